#!/usr/bin/env python3
"""Prints a curl command for each sample event in events/, posting its raw
body (events/bodies/) with its headers to the local function URL."""
import json
import pathlib
import shlex
import sys

root = pathlib.Path(__file__).resolve().parent.parent
base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9000/lambda-url"
for expected in json.loads((root / "events" / "expected.json").read_text()):
    name = expected["event"]
    event = json.loads((root / "events" / f"{name}.json").read_text())
    headers = " ".join(
        f"-H {shlex.quote(f'{key}: {value}')}"
        for key, value in event["headers"].items()
        if key not in ("user-agent",)
    )
    print(f"  # {name}: expect {expected['status']}" + (f" {expected['outcome']}" if expected["outcome"] else ""))
    body = next((root / "events" / "bodies").glob(f"{name}.*")).relative_to(root)
    print(f"  curl -sS -i {base}/{expected['function']}/ {headers} --data-binary @{body}")
