#!/usr/bin/env bash
# Installs the project's tools into .venv/ (once): moto's server, cargo-lambda,
# the SAM CLI with cfn-lint, and cargo-shear (unused dependencies, a prebuilt
# binary), all from PyPI; and checkov in an environment of its own
# (.venv/checkov/), so that its dependencies cannot clash with the SAM CLI's.
# Needs only Python 3 and the package registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-$(cat "$root"/scripts/requirements*.txt | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
python3 -m venv "$venv"
python3 -m venv "$venv/checkov"
# The two installs are independent: side by side they take the time of the longer.
# However this script ends, neither goes on without it.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements.txt" &
tools=$!
"$venv/checkov/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements-checkov.txt" &
checkov=$!
wait "$tools"
wait "$checkov"
touch "$stamp"
echo "tools installed in .venv/"
