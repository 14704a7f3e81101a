"""What both stand-ins share: a handler that answers every method with JSON
(`JsonHandler`), and an HTTP server on loopback (`--port`, any free one by
default) that prints its URL once listening, and stops when its standard
input closes (the test that started it has ended, however it ended) or on
SIGTERM."""
import argparse
import os
import signal
import sys
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class ApiError(Exception):
    """An error answer of the sender's API: status, message, extra headers,
    and (ChargeOver's envelope) its `response`."""

    def __init__(self, status, message, headers=None, response=False):
        super().__init__(message)
        self.status, self.message, self.headers, self.response = status, message, headers or {}, response


class JsonHandler(BaseHTTPRequestHandler):
    """Every method answered with JSON: `control(path, raw)` for /_standin/
    paths, `api(path, query, raw)` for the rest, each returning (status,
    body); an `ApiError`, or any other failure as a 500, in the sender's
    error envelope (`error_body`)."""
    protocol_version = "HTTP/1.1"
    indent = None

    def log_message(self, *args):
        pass

    def send(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body, indent=self.indent).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlsplit(self.path)
        path = unquote(url.path).rstrip("/") or "/"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            if path.startswith("/_standin/"):
                status, body = self.control(path, raw)
            else:
                status, body = self.api(path, url.query, raw)
            self.send(status, body)
        except ApiError as e:
            self.send(e.status, self.error_body(e), e.headers)
        except Exception as e:  # a malformed control body, say: answer rather than drop the connection
            self.send(500, self.error_body(ApiError(500, repr(e))))

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = handle_any


def serve(handler, description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    stop = lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)

    def watch_stdin():  # raw reads: a buffered reader's lock would block interpreter exit
        while os.read(sys.stdin.fileno(), 65536):
            pass
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()
