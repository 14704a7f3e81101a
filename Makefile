# Quick start: `make run` (local stack) and `make test` (the whole suite).
# Tools (moto, cargo-lambda, the SAM CLI, cargo-shear) are installed into .venv/ on first use.
# Every target runs under scripts/guard.py: nothing it starts outlives it, however it ends.

SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
# One target directory for every build (tests, cargo lambda, sam build, benches).
export CARGO_TARGET_DIR ?= $(CURDIR)/target
# Offline-friendly defaults for the SAM CLI.
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
# `make run`'s ports (moto, cargo lambda watch): scripts read MOTO_PORT and INVOKE_PORT,
# with these defaults.
MOTO_PORT ?= 5000
INVOKE_PORT ?= 9000
guard := python3 scripts/guard.py

.PHONY: test checks run build bench tools lint unit-and-integration bins template-check smoke events

## The whole suite: formatting, clippy, unused dependencies, unit and integration tests (moto is
## started and stopped by the run), the binaries users run, the template checks, and the
## README's local commands. It ends by checking that nothing it started still runs and that
## make run's ports are free.
test:
	@$(guard) run --check --ports $(MOTO_PORT) $(INVOKE_PORT) -- $(MAKE) --no-print-directory tools checks

checks: lint unit-and-integration bins template-check smoke

tools:
	@scripts/bootstrap.sh

lint: tools
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo shear

unit-and-integration: tools
	python3 -m unittest discover -s scripts -p 'test_*.py'
	$(guard) run --check -- scripts/with-moto.sh cargo test --workspace --locked

## Every binary users run (both functions, webhook-admin, local-setup), built once under one
## feature set: `make run`, cargo lambda watch and `cargo run -p webhook-admin` find them built.
bins: tools
	cargo build --workspace --bins --locked

## sam validate --lint runs cfn-lint; checkov is the security scan (SECURITY.md).
template-check: tools
	sam validate --lint --template template.yaml --region us-east-1
	.venv/checkov/bin/checkov --file template.yaml --framework cloudformation --skip-download --compact --quiet

## The README's local commands, run as written against `make run`'s stack.
smoke: tools
	$(guard) run --check --ports $(MOTO_PORT) $(INVOKE_PORT) -- python3 scripts/smoke.py

## Serves both functions with `cargo lambda watch` against a local moto.
run: tools
	@$(guard) run -- scripts/run-local.sh

## Builds both functions for Lambda (arm64) with cargo-lambda, no Docker.
build: tools
	sam build --beta-features

## Per-delivery CPU (criterion), package sizes, init/first/warm latency and
## peak RSS against a local Runtime API and moto (docs/PERFORMANCE.md).
bench: tools
	$(guard) run -- bench/run.sh

## Regenerates events/ (signatures with Python's hmac, the encrypted sample
## with the cryptography package from .venv/, checked against the SDK vector).
events: tools
	.venv/bin/python scripts/make-events.py
