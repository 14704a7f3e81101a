# Quick start: `make run` (local stack) and `make test` (the whole suite).
# Tools (moto, cargo-lambda, SAM CLI, cfn-lint) are installed into .venv/ on first use.

SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
# One target directory for every build (tests, cargo lambda, sam build, benches).
export CARGO_TARGET_DIR ?= $(CURDIR)/target
# Offline-friendly defaults for the SAM CLI.
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: test run build bench tools lint unit-and-integration template-check smoke events

## The whole suite: formatting, clippy, unused dependencies, unit and integration tests (moto is
## started and stopped by the run), every events/ file, and the template checks.
test: tools lint unit-and-integration template-check smoke

tools:
	@scripts/bootstrap.sh

lint: tools
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo machete

unit-and-integration: tools
	scripts/with-moto.sh cargo test --workspace --locked

template-check: tools
	@if [ -f template.yaml ]; then \
	  sam validate --lint --template template.yaml --region us-east-1 && \
	  cfn-lint template.yaml && echo "template.yaml: sam validate --lint and cfn-lint clean"; \
	else echo "no template.yaml yet"; fi

## The README's local commands, run as written against `make run`'s stack.
smoke: tools
	python3 scripts/smoke.py

## Serves both functions with `cargo lambda watch` against a local moto.
run: tools
	scripts/run-local.sh

## Builds both functions for Lambda (arm64) with cargo-lambda, no Docker.
build: tools
	sam build --beta-features

## Per-delivery CPU (criterion), package sizes, init/first/warm latency and
## peak RSS against a local Runtime API and moto (docs/PERFORMANCE.md).
bench: tools
	scripts/bench.sh

## Regenerates events/ (signatures with Python's hmac, the encrypted sample
## with the cryptography package from .venv/, checked against the SDK vector).
events: tools
	.venv/bin/python scripts/make-events.py
