#!/usr/bin/env bash
# Runs a command with a moto server (DynamoDB + Secrets Manager) on loopback,
# exported as MOTO_ENDPOINT, and stops the server afterwards whatever happens.
#   scripts/with-moto.sh cargo test --workspace
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# A free port, never make run's (MOTO_PORT): the two can run side by side.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$here/moto.sh" start "$port"
trap '"$here/moto.sh" stop "$port"' EXIT
# Ended by a signal, the script still exits through the trap above.
trap 'exit 130' INT
trap 'exit 143' TERM
export MOTO_ENDPOINT="http://127.0.0.1:$port"
"$@"
