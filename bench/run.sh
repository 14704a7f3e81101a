#!/usr/bin/env bash
# `make bench`: what a delivery costs, measured on this machine (docs/PERFORMANCE.md).
#   1. criterion benches of each function's per-delivery CPU work without the
#      network, and its ratio to plain serde_json parsing of the same bytes;
#   2. the Lambda package: `cargo lambda build --release --arm64 --output-format zip`
#      (x86_64 if the arm64 build fails), size of each bootstrap and bootstrap.zip;
#   3. the x86_64 release binaries against a local Lambda Runtime API
#      (bench/runtime_api.py) and a local moto: init (process start -> first
#      GET /runtime/invocation/next), first and warm invocation latency, peak RSS,
#      and init CPU time (bench/init_cpu.py); and two floors in the same run, so
#      that the functions' own warm cost is a difference: a no-op function through
#      the same Runtime API (bench-noop) and the same storage requests from a warm
#      client (backend-floor). Each invocation's own time is its total less the
#      aws_wait_ms its log line reports, so moto's swings cancel per invocation.
# Everything runs on 127.0.0.1 and is stopped on the way out.
#
#   bench/run.sh                     # all three (make bench)
#   BENCH_STEPS="runtime" bench/run.sh       # any of: criterion package runtime
#   WARM_INVOCATIONS=50, COLD_STARTS=5 (defaults), MOTO_PORT (default: a free port)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
steps="${BENCH_STEPS:-criterion package runtime}"
warm="${WARM_INVOCATIONS:-50}"
starts="${COLD_STARTS:-5}"
functions=(chargeover-main-contact occ-organization)
work="$(mktemp -d "${TMPDIR:-/tmp}/webhook-bench.XXXXXX")"
summary="$work/summary.txt"
: >"$summary"
moto_port=""
runtime_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$runtime_pid" ]; then
    kill "$runtime_pid" 2>/dev/null || true
    wait "$runtime_pid" 2>/dev/null || true
  fi
  if [ -n "$moto_port" ]; then
    scripts/moto.sh stop "$moto_port" || true
  fi
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wants() { [[ " $steps " == *" $1 "* ]]; }
say() { printf '\n==> %s\n' "$*"; }

# Steal time (CPU the hypervisor gave to other guests) over a step, as a share
# of all CPU time: the load average does not show it, and it swings these
# figures most on a shared machine. Usage: before=$(cpu_ticks); ...; steal_since "$before".
cpu_ticks() { awk '/^cpu /{print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
steal_since() {
  local s0 t0 s1 t1
  read -r s0 t0 <<<"$1"
  read -r s1 t1 <<<"$(cpu_ticks)"
  awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f%%", t ? 100 * s / t : 0 }'
}

machine() {
  echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "toolchain: $(rustc --version)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
}

# --------------------------------------------------------------- 1. criterion
if wants criterion; then
  say "criterion: cargo bench --locked -p chargeover-main-contact -p occ-organization --bench delivery"
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  ticks_before=$(cpu_ticks)
  started=$(date +%s)
  cargo bench --locked -p chargeover-main-contact -p occ-organization --bench delivery
  echo "criterion ran with load average $load_before before, $(cut -d' ' -f1 /proc/loadavg) after; steal time $(steal_since "$ticks_before") of all CPU" >>"$summary"
  python3 - "$CARGO_TARGET_DIR/criterion" "$started" >>"$summary" <<'PY'
import json, pathlib, sys
base = pathlib.Path(sys.argv[1])
started = int(sys.argv[2])

def this_run(path):
    """Estimates written by this run (target/criterion keeps benches that no longer exist)."""
    return path.is_file() and path.stat().st_mtime >= started

def mean_us(group, bench):
    estimates = json.loads((base / group / bench / "new" / "estimates.json").read_text())
    return estimates["mean"]["point_estimate"] / 1000

def fastest_us(group, bench):
    """The fastest of criterion's samples (each the mean of many iterations):
    the least disturbed by other guests, so steadier than the mean here."""
    sample = json.loads((base / group / bench / "new" / "sample.json").read_text())
    return min(t / n for t, n in zip(sample["times"], sample["iters"])) / 1000

print("Per-delivery CPU, no network (target: <= 3x serde_json, ChargeOver < 100 us);"
      " criterion mean, and in brackets its fastest sample")
print(f"  {'function':<26}{'serde_json_parse':>22}{'accept_and_build_write':>26}{'ratio':>16}")
for group, name in (("chargeover", "chargeover-main-contact"), ("occ", "occ-organization")):
    parse, full = mean_us(group, "serde_json_parse"), mean_us(group, "accept_and_build_write")
    parse_min = fastest_us(group, "serde_json_parse")
    full_min = fastest_us(group, "accept_and_build_write")
    print(f"  {name:<26}{parse:>8.2f} ({parse_min:>7.2f}) us{full:>12.2f} ({full_min:>7.2f}) us"
          f"{full / parse:>7.2f}x ({full_min / parse_min:.2f}x)")
for group in ("chargeover_steps", "occ_steps"):
    directory = base / group
    if not directory.is_dir():
        continue
    print(f"  {group} (mean, fastest sample):")
    for bench in sorted(p.name for p in directory.iterdir() if this_run(p / "new" / "estimates.json")):
        print(f"    {bench:<34}{mean_us(group, bench):>10.2f} us ({fastest_us(group, bench):.2f} us)")
PY
fi

# --------------------------------------------------------------- 2. package
if wants package; then
  arch="arm64"
  packages=(-p chargeover-main-contact -p occ-organization)
  say "package: cargo lambda build --release --arm64 --output-format zip ${packages[*]}"
  if ! cargo lambda build --release --arm64 --output-format zip "${packages[@]}"; then
    arch="x86_64"
    say "arm64 build failed; package: cargo lambda build --release --x86-64 --output-format zip ${packages[*]}"
    cargo lambda build --release --x86-64 --output-format zip "${packages[@]}"
  fi
  {
    echo "Lambda package ($arch, cargo lambda build --release --output-format zip; target: zip < 5 MB since the S3 client, issue 13)"
    for function in "${functions[@]}"; do
      dir="$CARGO_TARGET_DIR/lambda/$function"
      zip_bytes=$(stat -c %s "$dir/bootstrap.zip")
      # The binary as packaged (a `bootstrap` beside the zip may be from an older build).
      binary_bytes=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo("bootstrap").file_size)' "$dir/bootstrap.zip")
      python3 - "$function" "$binary_bytes" "$zip_bytes" <<'PY'
import sys
name, binary, archive = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mib = 1024 * 1024
verdict = lambda limit: "yes" if archive < limit else "NO"
print(f"  {name:<26}bootstrap {binary / mib:5.2f} MiB ({binary} B)   bootstrap.zip {archive / mib:5.2f} MiB ({archive} B)"
      f"   < 5 MB (10^6): {verdict(5 * 10**6)}")
PY
    done
  } >>"$summary"
fi

# --------------------------------------------------------------- 3. runtime
if wants runtime; then
  say "runtime: cargo build --release --locked -p chargeover-main-contact -p occ-organization"
  cargo build --release --locked -p chargeover-main-contact -p occ-organization
  say "building the local setup tool and the floors (cargo build --locked -p integration-tests -p bench)"
  cargo build --locked -q -p integration-tests --bin local-setup
  cargo build --release --locked -q -p bench

  moto_port="${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
  scripts/moto.sh start "$moto_port"
  export MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
  export AWS_ENDPOINT_URL_DYNAMODB="$MOTO_ENDPOINT" AWS_ENDPOINT_URL_SECRETS_MANAGER="$MOTO_ENDPOINT"
  export AWS_ENDPOINT_URL_S3="$MOTO_ENDPOINT" PAYLOAD_BUCKET=webhook-payloads-bench
  export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  export TABLE_NAME=webhooks-bench
  export CHARGEOVER_WEBHOOK_SECRET_ID=chargeover-webhook-secret OCC_WEBHOOK_SECRET_ID=occ-webhook-secret

  ticks_before=$(cpu_ticks)
  for function in "${functions[@]}"; do
    # A fresh table per function: moto slows down as a table grows.
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/moto-api/reset", method="POST"), timeout=10)' "$MOTO_ENDPOINT"
    cargo run --locked -q -p integration-tests --bin local-setup >/dev/null
    say "runtime: $function, $starts cold starts and $warm warm invocations against the local Runtime API"
    bench/runtime_api.py --function "$function" --binary "$CARGO_TARGET_DIR/release/$function" \
      --starts "$starts" --warm "$warm" --log "$work/$function.log" >"$work/$function.json" &
    runtime_pid=$!
    if ! wait "$runtime_pid"; then
      runtime_pid=""
      cat "$work/$function.json" >&2 || true
      echo "--- last lines of the function's output ---" >&2
      tail -n 20 "$work/$function.log" >&2 || true
      exit 1
    fi
    runtime_pid=""
    say "runtime floor: a no-op function (bench-noop) through the same Runtime API"
    bench/runtime_api.py --function "$function" --binary "$CARGO_TARGET_DIR/release/bench-noop" --no-aws-calls \
      --starts "$starts" --warm "$warm" >"$work/$function-noop.json" &
    runtime_pid=$!
    wait "$runtime_pid" || { runtime_pid=""; cat "$work/$function-noop.json" >&2; exit 1; }
    runtime_pid=""
    say "backend floor: $function's storage requests from a warm client (backend-floor)"
    "$CARGO_TARGET_DIR/release/backend-floor" "$function" "$warm" >"$work/$function-floor.json"
    say "runtime: $function, init CPU time (as deployed, and loading the system's root certificates too)"
    bench/init_cpu.py --binary "$CARGO_TARGET_DIR/release/$function" >"$work/$function-init-cpu.json"
  done
  echo "runtime step: steal time $(steal_since "$ticks_before") of all CPU" >>"$summary"
  python3 - "$work" "${functions[@]}" >>"$summary" <<'PY'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
rows = [json.loads((work / f"{name}.json").read_text()) for name in sys.argv[2:]]
print(f"Local Lambda Runtime API + moto, x86_64 release binary, 256 MB configured, {rows[0]['starts']} cold starts each "
      "(targets: init < 20 ms, first <= 2x warm, peak RSS < 30 MB)")
print("  medians; total = as the Runtime API sees it; own = total minus the time spent waiting for moto;")
print("  init direct = the function talking to moto without the timing proxy (the path of a local run)")
print(f"  {'function':<25}{'init direct':>12}{'init total':>11}{'init own':>10}{'first':>9}{'warm':>9}"
      f"{'first own':>11}{'warm own':>10}{'first/warm':>12}{'own ratio':>11}{'peak RSS':>10}")
for f in rows:
    print(f"  {f['function']:<25}{f['init_direct_ms']['median']:>9.1f} ms{f['init_ms']['median']:>8.1f} ms{f['init_own_ms']['median']:>7.1f} ms"
          f"{f['first_ms']['median']:>6.1f} ms{f['warm_ms']['median']:>6.1f} ms"
          f"{f['first_own_ms']['median']:>8.2f} ms{f['warm_own_ms']['median']:>7.2f} ms"
          f"{f['first_over_warm']:>11.2f}x{f['first_over_warm_own']:>10.2f}x{f['peak_rss_kb'] / 1024:>6.1f} MiB")
print("  details:")
for f in rows:
    i, b, o = f["init_ms"], f["init_backend_ms"], f["init_own_ms"]
    print(f"    {f['function']}: init min {i['min']:.1f} / p50 {i['median']:.1f} / max {i['max']:.1f} ms"
          f" (runs: {', '.join(f'{x:.1f}' for x in f['init_runs_ms'])}); direct runs:"
          f" {', '.join(f'{x:.1f}' for x in f['init_direct_runs_ms'])}; p50 waiting for moto"
          f" (GetSecretValue + DescribeTable) {b['median']:.1f} ms, own {o['median']:.1f} ms;"
          f" one DescribeTable straight to moto: {f['backend_rtt_ms']:.1f} ms")
    w, wo, fi = f["warm_ms"], f["warm_own_ms"], f["first_own_ms"]
    print(f"      first own min {fi['min']:.2f} / p50 {fi['median']:.2f} / max {fi['max']:.2f} ms;"
          f" warm ({len(f['latencies_ms']) - 1}) total min {w['min']:.1f} / p50 {w['median']:.1f} / p90 {w['p90']:.1f}"
          f" / max {w['max']:.1f} ms, own min {wo['min']:.2f} / p50 {wo['median']:.2f} / p90 {wo['p90']:.2f}"
          f" / max {wo['max']:.2f} ms")
    if f.get("handler_first_ms") is not None:
        print(f"      the handler's own latency_ms log (last start): first {f['handler_first_ms']:.1f} ms,"
              f" warm p50 {f['handler_warm_median_ms']:.1f} ms")
    cpu = json.loads((work / f"{f['function']}-init-cpu.json").read_text())
    system = (f"; with the system's root certificates too ({', '.join(cpu['system_store'])}):"
              f" {cpu['system_roots_ms']:.1f} ms" if "system_roots_ms" in cpu else "")
    print(f"      init CPU (user + system, median of {cpu['runs']} starts): {cpu['deployed_ms']:.1f} ms{system}")
    print(f"      RSS after init {f['rss_after_init_kb'] / 1024:.1f} MiB, peak {f['peak_rss_kb'] / 1024:.1f} MiB;"
          f" load average before/after: {f['loadavg_before']:.2f} / {f['loadavg_after']:.2f}")
print("  (every invocation a distinct body and a real write, for a new customer/organization; own includes"
      " the Python emulator and proxy overhead)")
print()
noops = {f["function"]: json.loads((work / f"{f['function']}-noop.json").read_text()) for f in rows}
floors = {f["function"]: json.loads((work / f"{f['function']}-floor.json").read_text()) for f in rows}
print("Warm overhead against two floors measured in this run, all straight to moto, no proxy"
      " (targets: overhead <= 1 ms ChargeOver, <= 2 ms OCC; first <= 1.3x warm):")
print("  runtime floor = bench-noop through the same Runtime API; backend floor = the delivery's"
      " storage requests, built first, sent from a warm client (backend-floor)")
print("  wall: each invocation's total less its own aws_wait_ms (the time its AWS requests waited for"
      " moto, from its log line), so moto's swings cancel per invocation; the backend floor likewise")
print("  cpu: the process's CPU time per warm invocation (schedstat), the floors' the same way")
print(f"  {'function':<25}{'':>6}{'warm':>9}{'runtime floor':>15}{'backend floor':>15}{'overhead':>10}"
      f"{'first':>9}{'first/warm':>12}   (wall: own time, total less aws_wait_ms)")
for f in rows:
    noop, floor = noops[f["function"]], floors[f["function"]]
    own, runtime_floor = f["warm_direct_own_ms"]["median"], noop["warm_direct_own_ms"]["median"]
    first_own = f["first_direct_own_ms"]["median"]
    overhead = own - runtime_floor - floor["median_client_ms"]
    print(f"  {f['function']:<25}{'wall':>6}{own:>6.2f} ms{runtime_floor:>12.2f} ms{floor['median_client_ms']:>12.2f} ms"
          f"{overhead:>7.2f} ms{first_own:>6.2f} ms{first_own / own:>11.2f}x")
    cpu, noop_cpu = f["warm_cpu_ms"]["median"], noop["warm_cpu_ms"]["median"]
    first_cpu = f["first_cpu_ms"]["median"]
    print(f"  {'':<25}{'cpu':>6}{cpu:>6.2f} ms{noop_cpu:>12.2f} ms{floor['median_cpu_ms']:>12.2f} ms"
          f"{cpu - noop_cpu - floor['median_cpu_ms']:>7.2f} ms{first_cpu:>6.2f} ms{first_cpu / cpu:>11.2f}x")
print("  the same with whole medians, moto's time included (it swings by more than the targets):")
for f in rows:
    noop, floor = noops[f["function"]], floors[f["function"]]
    warm, runtime_floor = f["warm_direct_ms"]["median"], noop["warm_direct_ms"]["median"]
    first = f["first_direct_ms"]["median"]
    print(f"  {f['function']:<25}{'total':>6}{warm:>6.2f} ms{runtime_floor:>12.2f} ms{floor['median_ms']:>12.2f} ms"
          f"{warm - runtime_floor - floor['median_ms']:>7.2f} ms{first:>6.2f} ms{first / warm:>11.2f}x"
          f"   (aws wait p50 {f['warm_direct_aws_wait_ms']['median']:.1f} ms, floor's {floor['median_aws_wait_ms']:.1f} ms)")
print("Start-up and memory (targets: init own work <= 8 ms, init total <= 20 ms; RSS no regression):")
print(f"  {'function':<25}{'init CPU':>10}{'noop':>8}{'init direct':>13}{'noop':>8}{'RSS':>10}{'anon':>10}{'file':>10}")
for f in rows:
    noop = noops[f["function"]]
    print(f"  {f['function']:<25}{f['init_cpu_ms']['median']:>7.1f} ms{noop['init_cpu_ms']['median']:>5.1f} ms"
          f"{f['init_direct_ms']['median']:>10.1f} ms{noop['init_direct_ms']['median']:>5.1f} ms"
          f"{f['peak_rss_kb'] / 1024:>6.1f} MiB{f['rss_anon_kb'] / 1024:>6.1f} MiB{f['rss_file_kb'] / 1024:>6.1f} MiB")
print("  init CPU: the process's CPU time from exec to its first poll for an event (schedstat), medians of"
      " the direct starts; anon = heap and stacks, file = the binary's pages read in (last direct start)")
PY
fi

say "summary"
machine
cat "$summary"
