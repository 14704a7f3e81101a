#!/usr/bin/env bash
# Runs a command with a moto server (DynamoDB + Secrets Manager) on loopback,
# exported as MOTO_ENDPOINT, and stops the server afterwards whatever happens.
#   scripts/with-moto.sh cargo test --workspace
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
"$here/moto.sh" start "$port"
trap '"$here/moto.sh" stop "$port"' EXIT
export MOTO_ENDPOINT="http://127.0.0.1:$port"
"$@"
