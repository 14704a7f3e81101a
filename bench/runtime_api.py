#!/usr/bin/env python3
"""A small AWS Lambda Runtime API on loopback, for `make bench` (bench/run.sh).

Starts one function's release binary (its `bootstrap`) against it --starts
times (a cold start each) and measures:
  init      process start -> its first GET /2018-06-01/runtime/invocation/next
  first     the first invocation after a start: event handed out -> response posted
  warm      the next --warm invocations of the last start (median and spread)
  peak RSS  VmHWM of the process (/proc/<pid>/status), read after its last invocation

The binary is dropped from the page cache first, so that the first start
reads it from disk, as on a fresh Lambda sandbox: how many of its pages a
process maps depends on how they came into the cache (the linker's writes
or the kernel's readahead), and peak RSS swung by up to 1 MiB with it.

The function's AWS endpoints (AWS_ENDPOINT_URL_DYNAMODB / _SECRETS_MANAGER,
moto) are reached through a timing pass-through proxy on loopback, so each
figure is also split into "backend" (time spent waiting for moto, which is
slow and grows with the table) and "own" (everything else: the function, the
SDK, the HTTP stack and this emulator). The proxy is one more Python hop on
every request, so init is also measured over --starts more cold starts that
talk to moto directly ("init direct"), the path a local run takes; the last
of them goes on with --warm invocations ("first direct", "warm direct"), the
figures that `make bench` compares with its floors. Their own time needs no
proxy: each delivery's log line says how long its AWS requests waited
(`aws_wait_ms`), and own = total - that. CPU time per invocation and of init
is read from /proc/<pid>/task/*/schedstat (nanoseconds on a CPU).

Every invocation carries a distinct body (a real write, not a duplicate) built
from the sample events in events/ and authenticated like them: for ChargeOver
the token of scripts/local.env (header and body), for OCC an HMAC-SHA512
signature over the new body with the base64-decoded key. Each response must be
statusCode 200 with outcome "applied".

Implements GET  /2018-06-01/runtime/invocation/next
           POST /2018-06-01/runtime/invocation/<id>/response
           POST /2018-06-01/runtime/invocation/<id>/error
           POST /2018-06-01/runtime/init/error
Prints one JSON object (the figures) on stdout; progress goes to stderr.
Bounded: every wait has a timeout, and the function is killed on the way out.

  bench/runtime_api.py --function chargeover-main-contact \\
      --binary target/release/chargeover-main-contact [--starts 5] [--warm 50] [--pattern new|update]
The function's configuration comes from this process's environment: TABLE_NAME,
the *_WEBHOOK_SECRET_ID, AWS_ENDPOINT_URL_* (loopback only), AWS_REGION and
the AWS_* credentials.
"""
import argparse
import base64
import copy
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
PREFIX = "/2018-06-01/runtime"
# Passed on to the function from this process's environment (endpoints are rewritten).
PASSED_ON = (
    "TABLE_NAME", "PAYLOAD_BUCKET", "CHARGEOVER_WEBHOOK_SECRET_ID", "OCC_WEBHOOK_SECRET_ID",
    "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "RUST_LOG", "AWS_LAMBDA_LOG_LEVEL",
    "CHARGEOVER_TIMEZONE", "MAX_BODY_BYTES", "EVENT_RETENTION_DAYS", "OCC_SIGNATURE_ALGORITHMS",
)
# Not SSL_CERT_FILE / SSL_CERT_DIR: Lambda does not set them, and either makes the
# functions load the system's root certificates as well (shared/src/operate/config.rs).
ENDPOINTS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_S3")


def log(message):
    print(f"[runtime_api] {message}", file=sys.stderr, flush=True)


def local_env():
    values = {}
    for line in (ROOT / "scripts" / "local.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def compact(value):
    return json.dumps(value, separators=(",", ":"))


class QuietServer(ThreadingHTTPServer):
    """Loopback only; a peer that goes away (the function, killed) is not an error."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


# ---------------------------------------------------------------- events

def chargeover_events(count, run, pattern):
    """`count` deliveries of the sample, each a distinct body. `new`: each for
    another customer (the same work every time: a first write of the state).
    `update`: all for one customer, each with a later mod_datetime (the first
    creates the state, the others update it). All are `applied`."""
    template = json.loads((EVENTS / "chargeover-valid.json").read_text())
    body = json.loads(template["body"])
    base_id = 1_000_000 * (1 + run % 1000)
    start = 1_700_000_000
    for i in range(count):
        b = copy.deepcopy(body)
        customer_id = base_id + (i if pattern == "new" else 0)
        b["context_id"] = customer_id
        b["data"]["customer"]["customer_id"] = customer_id
        b["data"]["user"]["customer_id"] = customer_id
        if pattern == "update":
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + 60 * i))
            b["data"]["customer"]["mod_datetime"] = stamp
        event = copy.deepcopy(template)
        event["body"] = compact(b)
        yield event


def occ_events(count, run, key_text, pattern):
    """`count` full deliveries of the sample organization, each a distinct
    body, signed. `new`: each another organization (the read finds nothing,
    first write). `update`: one organization, each with another description
    (read, merge, versioned write)."""
    template = json.loads((EVENTS / "occ-full.json").read_text())
    body = json.loads(template["body"])
    key = base64.b64decode(key_text)
    for i in range(count):
        b = copy.deepcopy(body)
        b["organization"]["id"] = f"or-bench-{run}" + (f"-{i}" if pattern == "new" else "")
        b["organization"]["description"] = f"Benchmark delivery {i}"
        text = compact(b)
        signature = base64.b64encode(hmac.new(key, text.encode(), hashlib.sha512).digest()).decode()
        event = copy.deepcopy(template)
        event["headers"] = {**event["headers"], "x-oracle-cc-webhook-signature-sha512": signature}
        event["body"] = text
        yield event


# ---------------------------------------------------------------- runtime API

class Runtime:
    """What the Runtime API's handlers share with the main thread."""

    def __init__(self, function_name):
        self.function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.pending = queue.Queue()      # (request id, event bytes) to hand out
        self.results = queue.Queue()      # (kind, request id, body bytes, time)
        self.first_next = threading.Event()
        self.first_next_at = None
        self.handed_out = {}              # request id -> time the event was sent
        self.lock = threading.Lock()


def runtime_handler(runtime):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real Runtime API
        # Headers and body go out in separate writes: without TCP_NODELAY,
        # Nagle and delayed ACKs add ~40 ms to each exchange.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_GET(self):
            if self.path != f"{PREFIX}/invocation/next":
                return self.reply(404, b'{"errorType":"NotFound"}')
            with runtime.lock:
                if runtime.first_next_at is None:
                    runtime.first_next_at = time.perf_counter()
                    runtime.first_next.set()
            # Long poll, as Lambda does; bounded so a forgotten thread ends.
            try:
                request_id, event = runtime.pending.get(timeout=120)
            except queue.Empty:
                return self.reply(503, b'{"errorType":"NoEvent"}')
            headers = [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 15_000)),
                ("Lambda-Runtime-Invoked-Function-Arn", runtime.function_arn),
                ("Lambda-Runtime-Trace-Id",
                 f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
                 f"Parent={uuid.uuid4().hex[:16]};Sampled=0"),
            ]
            runtime.handed_out[request_id] = time.perf_counter()
            self.reply(200, event, headers)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            at = time.perf_counter()
            parts = self.path[len(PREFIX):].strip("/").split("/")
            if parts == ["init", "error"]:
                result = ("init_error", None, body, at)
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                result = (parts[2], parts[1], body, at)
            else:
                return self.reply(404, b'{"errorType":"NotFound"}')
            # Acknowledge before reporting: the function may be killed right after.
            try:
                self.reply(202, b'{"status":"OK"}')
            except OSError:
                pass
            runtime.results.put(result)

    return Handler


# ---------------------------------------------------------------- backend proxy

class BackendTimer:
    """A pass-through HTTP proxy to one loopback endpoint (moto) that records
    how long each request waited for it."""

    def __init__(self, upstream):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or parsed.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit(f"only a loopback http:// endpoint is supported, not {upstream}")
        self.upstream = (parsed.hostname, parsed.port or 80)
        self.spans = []  # (start, end) of each upstream request
        self.lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", 0), self.handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def spans_within(self, start, end):
        with self.lock:
            return [(s, e) for s, e in self.spans if s >= start and e <= end]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def handler(self):
        timer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive", "transfer-encoding")}
                if not hasattr(self, "upstream"):
                    self.upstream = http.client.HTTPConnection(*timer.upstream, timeout=30)
                started = time.perf_counter()
                self.upstream.request(self.command, self.path, body=body, headers=headers)
                response = self.upstream.getresponse()
                data = response.read()
                ended = time.perf_counter()
                with timer.lock:
                    timer.spans.append((started, ended))
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                            "content-length", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward

        return Handler


def backend_round_trip_ms(upstream, table, samples=15):
    """Median time of a DynamoDB DescribeTable sent straight to moto: about
    the least each of the function's storage calls costs locally."""
    host, port = upstream
    body = compact({"TableName": table})
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
               "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/"
                                "aws4_request, SignedHeaders=host, Signature=0"}
    times = []
    try:
        connection = http.client.HTTPConnection(host, port, timeout=5)
        for _ in range(samples):
            started = time.perf_counter()
            connection.request("POST", "/", body=body, headers=headers)
            connection.getresponse().read()
            times.append((time.perf_counter() - started) * 1000)
        connection.close()
    except OSError as error:
        log(f"DescribeTable probe failed: {error}")
        return None
    return statistics.median(times)


# ---------------------------------------------------------------- measuring

def drop_from_page_cache(path):
    """Asks the kernel to forget the file's cached pages (clean pages go)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def vm_status(pid):
    values = {}
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                values[key] = int(value.split()[0])  # kB
    except OSError:
        pass
    return values


def cpu_ms(pid):
    """CPU time of the process so far, all its threads (schedstat: nanoseconds
    on a CPU, not the 10 ms ticks of /proc/<pid>/stat); None once it is gone."""
    try:
        tasks = list(pathlib.Path(f"/proc/{pid}/task").iterdir())
        return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e6
    except (OSError, ValueError, IndexError):
        return None


def delivery_log(log_path, field):
    """`field` of each delivery's log line, in order: `latency_ms` (the
    handler's own clock, request in -> response out, AWS calls included) or
    `aws_wait_ms` (the part of it spent waiting for AWS responses)."""
    text = pathlib.Path(log_path).read_text(errors="replace")
    return [float(m) for m in re.findall(rf'\b{field}[=":\s]+([0-9.]+)', text)]


def check_response(kind, body):
    """None for the API Gateway response of an applied delivery, else why not."""
    if kind != "response":
        return f"invocation error: {body[:300]!r}"
    try:
        response = json.loads(body)
        status = response.get("statusCode")
        payload = response.get("body") or ""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload).decode()
        outcome = json.loads(payload).get("outcome") if payload else None
    except (ValueError, AttributeError) as error:
        return f"unreadable response ({error}): {body[:300]!r}"
    if status != 200 or outcome != "applied":
        return f"statusCode {status}, outcome {outcome}: {body[:300]!r}"
    return None


def summary(values):
    ordered = sorted(values)
    return {
        "median": statistics.median(values),
        "min": ordered[0],
        "p90": ordered[max(0, int(len(ordered) * 0.9) - 1)],
        "max": ordered[-1],
    }


class Failed(Exception):
    pass


def start_and_invoke(args, events, timers, base_env, output):
    """Starts the function once, hands it `events` one after the other, and
    measures; the process is killed before returning."""
    runtime = Runtime(args.function)
    server = QuietServer(("127.0.0.1", 0), runtime_handler(runtime))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**base_env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}"}

    def backend_ms(start, end):
        """Time at least one backend request was outstanding: concurrent ones
        (init's GetSecretValue and DescribeTable) count once."""
        spans = sorted(span for timer in timers.values() for span in timer.spans_within(start, end))
        busy, reach = 0.0, start
        for s, e in spans:
            if e > reach:
                busy += e - max(s, reach)
                reach = e
        return busy * 1000

    process = None
    try:
        started = time.perf_counter()
        process = subprocess.Popen([args.binary], env=env, stdout=output, stderr=subprocess.STDOUT)
        if not runtime.first_next.wait(timeout=args.timeout):
            raise Failed(f"no GET /invocation/next within {args.timeout}s (exit code {process.poll()})")
        init_ms = (runtime.first_next_at - started) * 1000
        init_backend_ms = backend_ms(started, runtime.first_next_at)
        rss_after_init = vm_status(process.pid).get("VmRSS")
        init_cpu = cpu_ms(process.pid)
        total, own, cpu = [], [], []
        cpu_before = init_cpu
        for index, event in enumerate(events):
            request_id = str(uuid.uuid4())
            runtime.pending.put((request_id, json.dumps(event).encode()))
            try:
                kind, got_id, body, at = runtime.results.get(timeout=args.timeout)
            except queue.Empty:
                raise Failed(f"invocation {index} got no response within {args.timeout}s "
                             f"(exit code {process.poll()})") from None
            if kind == "init_error":
                raise Failed(f"init error: {body[:500]!r}")
            if got_id != request_id:
                raise Failed(f"response for {got_id}, expected {request_id}")
            problem = check_response(kind, body)
            if problem:
                raise Failed(f"invocation {index}: {problem}")
            handed = runtime.handed_out[request_id]
            total.append((at - handed) * 1000)
            own.append(total[-1] - backend_ms(handed, at))
            # From one response to the next: the response's POST, the next
            # poll, and the whole invocation in between.
            cpu_after = cpu_ms(process.pid)
            unreadable = cpu_before is None or cpu_after is None
            cpu.append(None if unreadable else cpu_after - cpu_before)
            cpu_before = cpu_after
        status = vm_status(process.pid)
        if process.poll() is not None:
            raise Failed(f"the function exited ({process.returncode})")
        return {
            "init_ms": init_ms,
            "init_backend_ms": init_backend_ms,
            "init_own_ms": init_ms - init_backend_ms,
            "rss_after_init_kb": rss_after_init,
            "total": total,
            "own": own,
            "init_cpu_ms": init_cpu,
            "cpu": cpu,
            "peak_rss_kb": status.get("VmHWM"),
            "rss_kb": status.get("VmRSS"),
            "rss_anon_kb": status.get("RssAnon"),
            "rss_file_kb": status.get("RssFile"),
        }
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        server.shutdown()
        server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--function", required=True,
                        choices=["chargeover-main-contact", "occ-organization"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--warm", type=int, default=50,
                        help="warm invocations after the first (default 50)")
    parser.add_argument("--starts", type=int, default=5,
                        help="cold starts measured (default 5): each starts the process, "
                             "measures init and one invocation, and stops it; the last one "
                             "goes on with the warm invocations")
    parser.add_argument("--pattern", choices=["new", "update"], default="new",
                        help="new: every delivery for another customer/organization, so every "
                             "invocation does the same work (default); update: all for one, so "
                             "each warm one updates the stored state")
    parser.add_argument("--no-aws-calls", action="store_true",
                        help="the function calls no AWS service and logs no deliveries (bench-noop)")
    parser.add_argument("--log", help="file for the function's output "
                                      "(default: a temporary file, kept only on failure)")
    parser.add_argument("--timeout", type=float, default=15.0,
                        help="seconds allowed for init and for each invocation (default 15)")
    args = parser.parse_args()
    if not 1 <= args.warm <= 1000:
        parser.error("--warm must be between 1 and 1000")
    if not 1 <= args.starts <= 50:
        parser.error("--starts must be between 1 and 50")
    for name in ENDPOINTS + ("TABLE_NAME",):
        if not os.environ.get(name):
            parser.error(f"{name} must be set (see bench/run.sh)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = int(time.time() * 1000) % 10_000_000
    count = 2 * (args.starts + args.warm)
    if args.function == "chargeover-main-contact":
        events = list(chargeover_events(count, run, args.pattern))
    else:
        events = list(occ_events(count, run, local_env()["LOCAL_OCC_SECRET"], args.pattern))

    timers = {}
    for name in ENDPOINTS:
        upstream = os.environ[name]
        if upstream not in timers:
            timers[upstream] = BackendTimer(upstream)
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": args.function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{args.function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    }
    base_env.update({name: os.environ[name] for name in PASSED_ON if name in os.environ})
    direct_env = {**base_env, **{name: os.environ[name] for name in ENDPOINTS}}
    base_env.update({name: timers[os.environ[name]].url for name in ENDPOINTS})

    scratch = None if args.log else tempfile.mkdtemp(prefix="runtime-api-")
    log_path = args.log or os.path.join(scratch, "function.log")
    figures = {"function": args.function, "binary": args.binary, "pattern": args.pattern,
               "binary_bytes": os.path.getsize(args.binary),
               "loadavg_before": os.getloadavg()[0]}
    failure = None
    try:
        dynamodb = timers[os.environ["AWS_ENDPOINT_URL_DYNAMODB"]].upstream
        figures["backend_rtt_ms"] = backend_round_trip_ms(dynamodb, os.environ["TABLE_NAME"])
        starts = []
        drop_from_page_cache(args.binary)
        with open(log_path, "wb") as output:
            for index in range(args.starts - 1):
                starts.append(start_and_invoke(args, events[index:index + 1], timers, base_env, output))
            last = start_and_invoke(args, events[args.starts - 1:args.starts + args.warm],
                                    timers, base_env, output)
            starts.append(last)
            rest = events[args.starts + args.warm:]
            direct = [start_and_invoke(args, [event], {}, direct_env, output)
                      for event in rest[:args.starts - 1]]
            direct.append(start_and_invoke(args, rest[args.starts - 1:], {}, direct_env, output))
        total, own = last["total"], last["own"]
        # The log holds one line per delivery: the proxied starts, then the direct ones.
        handler = delivery_log(log_path, "latency_ms")[args.starts - 1:args.starts - 1 + len(total)]
        # The direct starts' deliveries are the log's last ones: each one's
        # own time is its total less its wait for AWS, as it measured it.
        waits = delivery_log(log_path, "aws_wait_ms")[-(args.starts + args.warm):]
        if args.no_aws_calls:
            waits = [0.0] * (args.starts + args.warm)
        if len(waits) != args.starts + args.warm:
            raise Failed(f"{len(waits)} aws_wait_ms in the function's log, "
                         f"expected at least {args.starts + args.warm}")
        direct_firsts_own = [s["total"][0] - w for s, w in zip(direct, waits[:args.starts - 1])]
        direct_firsts_own.append(direct[-1]["total"][0] - waits[args.starts - 1])
        direct_warm_own = [t - w for t, w in zip(direct[-1]["total"][1:], waits[args.starts:])]
        firsts = [s["total"][0] for s in starts]
        firsts_own = [s["own"][0] for s in starts]
        figures.update({
            "starts": args.starts,
            "init_ms": summary([s["init_ms"] for s in starts]),
            "init_direct_ms": summary([s["init_ms"] for s in direct]),
            "init_direct_runs_ms": [round(s["init_ms"], 3) for s in direct],
            "init_backend_ms": summary([s["init_backend_ms"] for s in starts]),
            "init_own_ms": summary([s["init_own_ms"] for s in starts]),
            "rss_after_init_kb": last["rss_after_init_kb"],
            "first_ms": summary(firsts),
            "first_own_ms": summary(firsts_own),
            "warm_ms": summary(total[1:]),
            "warm_own_ms": summary(own[1:]),
            "first_over_warm": statistics.median(firsts) / statistics.median(total[1:]),
            "first_over_warm_own": statistics.median(firsts_own) / statistics.median(own[1:]),
            "first_direct_ms": summary([s["total"][0] for s in direct]),
            "warm_direct_ms": summary(direct[-1]["total"][1:]),
            "first_direct_own_ms": summary(direct_firsts_own),
            "warm_direct_own_ms": summary(direct_warm_own),
            "warm_direct_aws_wait_ms": summary(waits[args.starts:]),
            "first_cpu_ms": summary([s["cpu"][0] for s in direct if s["cpu"][0] is not None]),
            "warm_cpu_ms": summary([c for c in direct[-1]["cpu"][1:] if c is not None]),
            "init_cpu_ms": summary([s["init_cpu_ms"] for s in direct if s["init_cpu_ms"] is not None]),
            "handler_first_ms": handler[0] if len(handler) == len(total) else None,
            "handler_warm_median_ms":
                statistics.median(handler[1:]) if len(handler) == len(total) else None,
            "peak_rss_kb": max(s["peak_rss_kb"] or 0 for s in starts),
            "rss_kb": last["rss_kb"],
            # Of the last direct start, after its warm invocations: heap and
            # stacks (anon) and the binary's pages read in (file).
            "rss_anon_kb": direct[-1]["rss_anon_kb"],
            "rss_file_kb": direct[-1]["rss_file_kb"],
            "loadavg_after": os.getloadavg()[0],
            "init_runs_ms": [round(s["init_ms"], 3) for s in starts],
            "latencies_ms": [round(x, 3) for x in total],
            "own_ms": [round(x, 3) for x in own],
        })
    except Failed as error:
        failure = str(error)
    finally:
        for timer in timers.values():
            timer.close()

    if failure:
        figures["error"] = failure
        log(f"{args.function}: {failure} (function output: {log_path})")
    elif scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(figures), flush=True)
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
