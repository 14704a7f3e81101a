#!/usr/bin/env python3
"""The README's local commands, run exactly as written against `make run`'s
stack (started and stopped here): every `curl` to the local function URLs,
every `cargo lambda invoke`, and every `webhook-admin` command of the README's
"Try it locally" section. A curl or invoke answer must be what
events/expected.json says for the sample it sends; an admin command must exit
0. So the README cannot drift from what works.

    python3 scripts/smoke.py        (make test runs it)
"""
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTION = "### Try it locally"


def readme_commands():
    """The shell commands of the README's local section, continuations joined."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    section = text[start:end]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for command in re.sub(r"\\\n\s*", "", block).splitlines():
            command = command.strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def expected_for(command):
    """What events/expected.json says for the sample a command sends."""
    match = re.search(r"events/(?:bodies/)?([\w-]+)\.\w+", command)
    if not match:
        return None
    for entry in json.loads((ROOT / "events" / "expected.json").read_text()):
        if entry["event"] == match.group(1):
            return entry
    raise SystemExit(f"smoke: {match.group(1)} is not in events/expected.json")


def answer(command, output):
    """(status, outcome) of a curl -i or cargo lambda invoke answer."""
    if command.startswith("curl"):
        status = int(re.search(r"HTTP/[\d.]+ (\d{3})", output).group(1))
        body = output.split("\r\n\r\n", 1)[-1] if "\r\n\r\n" in output else output.split("\n\n", 1)[-1]
    else:
        response = json.loads(output[output.index("{"):])
        status = response["statusCode"]
        body = response.get("body") or "{}"
    try:
        outcome = json.loads(body).get("outcome")
    except json.JSONDecodeError:
        outcome = None
    return status, outcome


def main():
    commands = readme_commands()
    kinds = {kind: [c for c in commands if c.startswith(prefix)]
             for kind, prefix in (("curl", "curl"), ("invoke", "cargo lambda invoke"),
                                  ("admin", "AWS_ENDPOINT_URL="))}
    for function in ("chargeover-main-contact", "occ-organization"):
        for kind in ("curl", "invoke"):
            if not any(function in c for c in kinds[kind]):
                raise SystemExit(f"smoke: the README shows no {kind} for {function}")
    if not kinds["admin"]:
        raise SystemExit("smoke: the README shows no webhook-admin command")

    # The stack's ports, before anything is built or started (run-local.sh checks them too).
    ports = [os.environ.get("MOTO_PORT", "5000"), os.environ.get("INVOKE_PORT", "9000")]
    if subprocess.run([sys.executable, "scripts/guard.py", "ports", *ports], cwd=ROOT).returncode:
        raise SystemExit("smoke: make run's ports are taken (is `make run` running?)")
    # SIGTERM ends the run through the `finally` below, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    (ROOT / ".local").mkdir(exist_ok=True)
    log = open(ROOT / ".local" / "smoke-run-local.log", "w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    stack = subprocess.Popen(["scripts/run-local.sh"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True)
    failures = []
    try:
        deadline = time.time() + 900
        while "Ctrl-C stops" not in (ROOT / ".local" / "smoke-run-local.log").read_text():
            if stack.poll() is not None or time.time() > deadline:
                print((ROOT / ".local" / "smoke-run-local.log").read_text()[-4000:], file=sys.stderr)
                raise SystemExit("smoke: make run's stack did not start")
            time.sleep(1)
        for command in commands:
            result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True,
                                    timeout=600)
            expected = None if command.startswith("AWS_ENDPOINT_URL=") else expected_for(command)
            if expected is None:
                ok = result.returncode == 0
                got = f"exit {result.returncode}"
                want = "exit 0"
            else:
                try:
                    status, outcome = answer(command, result.stdout)
                except (AttributeError, ValueError, KeyError):
                    status, outcome = None, None
                got = f"{status} {outcome}"
                want = f"{expected['status']} {expected['outcome']}"
                ok = result.returncode == 0 and status == expected["status"] and outcome == expected["outcome"]
            print(f"{'ok  ' if ok else 'FAIL'} {want:<18} {command[:110]}")
            if not ok:
                failures.append(f"{command}\n  wanted {want}, got {got}\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        raise SystemExit(f"smoke: {len(failures)} README command(s) do not work as written")
    print(f"smoke: the README's {len(commands)} local commands work as written")


if __name__ == "__main__":
    main()
