#!/usr/bin/env bash
# Installs the project's tools into .venv/ (once): moto's server, cargo-lambda,
# the SAM CLI and cfn-lint from PyPI, cargo-machete from crates.io. Needs only
# Python 3, the Rust toolchain and the package registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
# Finds unused dependencies (`make lint`).
machete_version=0.9.2
stamp="$venv/.installed-$( (cat "$root/scripts/requirements.txt"; echo "$machete_version") | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet -r "$root/scripts/requirements.txt"
cargo install --quiet --locked --root "$venv" cargo-machete --version "$machete_version"
touch "$stamp"
echo "tools installed in .venv/"
