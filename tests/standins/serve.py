"""What both stand-ins share: an HTTP server on loopback (`--port`, any free
one by default) that prints its URL once listening, and stops when its
standard input closes (the test that started it has ended, however it
ended) or on SIGTERM."""
import argparse
import os
import signal
import sys
import threading
from http.server import ThreadingHTTPServer


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
