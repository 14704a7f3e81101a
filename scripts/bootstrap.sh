#!/usr/bin/env bash
# Installs the project's tools into .venv/ (once): moto's server, cargo-lambda,
# the SAM CLI and cfn-lint. Needs only Python 3 and the package registry.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-$(sha256sum "$root/scripts/requirements.txt" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet -r "$root/scripts/requirements.txt"
touch "$stamp"
echo "tools installed in .venv/"
