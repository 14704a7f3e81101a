#!/usr/bin/env bash
# Starts or stops the local moto server (DynamoDB- and Secrets-Manager-
# compatible) on 127.0.0.1, by its process id.
#   scripts/moto.sh start [port]   # waits until it answers; fails if it cannot start
#   scripts/moto.sh stop [port]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
action="${1:?usage: moto.sh start|stop [port]}"
port="${2:-${MOTO_PORT:-5000}}"
state="$root/.local"
pidfile="$state/moto-$port.pid"
mkdir -p "$state"

case "$action" in
start)
  "$root/scripts/bootstrap.sh" >/dev/null
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "moto already running on port $port (pid $(cat "$pidfile"))"
    exit 0
  fi
  # moto reads MOTO_PORT itself (and fails on an empty one); the port is given here.
  # moto_server.py serialises requests: moto's own threads break DynamoDB's
  # atomic conditional writes.
  env -u MOTO_PORT "$root/.venv/bin/python" "$root/scripts/moto_server.py" -H 127.0.0.1 -p "$port" >"$state/moto-$port.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if "$root/.venv/bin/python" - "$port" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
PY
      echo "moto listening on http://127.0.0.1:$port (pid $(cat "$pidfile"))"
      exit 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "moto did not start on port $port; its log:" >&2
  cat "$state/moto-$port.log" >&2 || true
  exit 1
  ;;
stop)
  # Returns once the server is gone (KILL after 5 s), so nothing outlives a stop.
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  ;;
*)
  echo "usage: moto.sh start|stop [port]" >&2
  exit 2
  ;;
esac
