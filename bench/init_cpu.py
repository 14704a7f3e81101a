#!/usr/bin/env python3
"""CPU time of one function's init, for `make bench` (bench/run.sh).

Starts the release binary --runs times with no Lambda Runtime API to reach
(AWS_LAMBDA_RUNTIME_API names a closed loopback port), so each process runs
init (configuration, SDK clients, GetSecretValue and DescribeTable against the
moto of AWS_ENDPOINT_URL_*) and exits when it cannot fetch an event. Reports
the median user + system CPU of the process (wait4's rusage), not wall time,
so moto's latency does not count: as the function is deployed, and with
SSL_CERT_FILE and SSL_CERT_DIR set to the system's bundle and directory, which
makes it load those root certificates too: what the SDK's default HTTPS client
always did (rustls-native-certs probes both).

  bench/init_cpu.py --binary target/release/occ-organization [--runs 20]
MIMALLOC_* variables are passed on (e.g. MIMALLOC_ALLOW_THP=1 to compare).
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess

PASSED_ON = (
    "TABLE_NAME", "PAYLOAD_BUCKET", "CHARGEOVER_WEBHOOK_SECRET_ID", "OCC_WEBHOOK_SECRET_ID",
    "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_S3", "PATH",
)
# (bundle, directory) as openssl-probe finds them on Debian/Ubuntu and on Amazon Linux.
STORES = (("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs"),
          ("/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/tls/certs"))


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_cpu_ms(binary, env, runs):
    times = []
    for _ in range(runs):
        process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        times.append((usage.ru_utime + usage.ru_stime) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "TABLE_NAME"):
        if not os.environ.get(name):
            parser.error(f"{name} must be set (see bench/run.sh)")
    env = {name: value for name, value in os.environ.items()
           if name in PASSED_ON or name.startswith("MIMALLOC_")}
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{closed_port()}",
        "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(args.binary),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    })
    figures = {"binary": args.binary, "runs": args.runs,
               "deployed_ms": init_cpu_ms(args.binary, env, args.runs)}
    store = next((store for store in STORES if os.path.exists(store[0])), None)
    if store:
        system = {**env, "SSL_CERT_FILE": store[0], "SSL_CERT_DIR": store[1]}
        figures["system_roots_ms"] = init_cpu_ms(args.binary, system, args.runs)
        figures["system_store"] = list(store)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
