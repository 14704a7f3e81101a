#!/usr/bin/env bash
# `make run`: moto on loopback with the table, the payload bucket and both secrets, then both
# functions under `cargo lambda watch` (reloaded on change). Ctrl-C stops all.
#   MOTO_PORT (default 5000) and INVOKE_PORT (default 9000) choose the ports.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
scripts/bootstrap.sh

moto_port="${MOTO_PORT:-5000}"
invoke_port="${INVOKE_PORT:-9000}"
# Before anything starts: a taken port ends the run here, with what holds it.
python3 scripts/guard.py ports "$moto_port" "$invoke_port"

watch_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$watch_pid" ]; then
    # The watcher and the functions it started share its process group.
    kill -TERM -- "-$watch_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$watch_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
  fi
  scripts/moto.sh stop "$moto_port"
  echo "stopped cargo lambda watch and moto"
}
trap cleanup EXIT INT TERM

scripts/moto.sh start "$moto_port"
export MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
# What the functions read: the SDK's standard endpoint overrides, dummy
# credentials for moto, and the deployed configuration path (Secrets Manager).
export AWS_ENDPOINT_URL_DYNAMODB="$MOTO_ENDPOINT"
export AWS_ENDPOINT_URL_SECRETS_MANAGER="$MOTO_ENDPOINT"
export AWS_ENDPOINT_URL_S3="$MOTO_ENDPOINT"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export TABLE_NAME="${TABLE_NAME:-webhooks-local}"
export PAYLOAD_BUCKET="${PAYLOAD_BUCKET:-webhook-payloads-local}"
export CHARGEOVER_WEBHOOK_SECRET_ID=chargeover-webhook-secret
export OCC_WEBHOOK_SECRET_ID=occ-webhook-secret
# Function logs at info; cargo lambda's own at warn.
export RUST_LOG="${RUST_LOG:-warn,chargeover_main_contact=info,occ_organization=info,webhook_shared=info}"

# Every binary at once, under the one feature set `make test` builds them with:
# cargo lambda watch and `cargo run -p webhook-admin` then find them built.
cargo build --locked --quiet --workspace --bins
"${CARGO_TARGET_DIR:-target}/debug/local-setup"

# Its own process group, so Ctrl-C reaches the functions it started too.
set -m
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$invoke_port" &
watch_pid=$!
set +m

base="http://127.0.0.1:$invoke_port/lambda-url"
echo "waiting for cargo lambda watch and the first build of both functions..."
for function in chargeover-main-contact occ-organization; do
  # A GET builds and starts the function; it answers 405 (only POST is accepted).
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/$function/" || true)
    [ "$code" = "405" ] && break
    kill -0 "$watch_pid" 2>/dev/null || { echo "cargo lambda watch exited" >&2; exit 1; }
    sleep 1
  done
  [ "$code" = "405" ] || { echo "$function did not answer" >&2; exit 1; }
done

cat <<MSG

Local webhook URLs (moto at $MOTO_ENDPOINT, table $TABLE_NAME, bucket $PAYLOAD_BUCKET):
  ChargeOver main contact: $base/chargeover-main-contact/
  OCC organization:        $base/occ-organization/

Post the sample events (status expected in events/expected.json):
MSG
python3 scripts/curl-lines.py "$base"
echo
echo "The same with cargo lambda invoke (the address is needed: its default is [::1]):"
echo "  cargo lambda invoke -A 127.0.0.1 -P $invoke_port --data-file events/chargeover-valid.json chargeover-main-contact"
echo "  cargo lambda invoke -A 127.0.0.1 -P $invoke_port --data-file events/occ-full.json occ-organization"
echo
echo "See and repair what arrived with the admin CLI (README, Operating):"
admin="AWS_ENDPOINT_URL=$MOTO_ENDPOINT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing cargo run -q -p webhook-admin -- --table $TABLE_NAME --bucket $PAYLOAD_BUCKET"
for command in "state chargeover 413" "history chargeover 413" "state occ or-300007" \
  "history occ or-300007" "quarantine list --all" "quarantine show <event_id>" \
  "quarantine replay --all --dry-run" "gc"; do
  echo "  $admin $command"
done
echo
echo "Ctrl-C stops cargo lambda watch and moto."
wait "$watch_pid"
