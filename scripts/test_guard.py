"""scripts/guard.py: what make test, make run and the smoke check rely on.

    python3 -m unittest discover -s scripts -p 'test_*.py'    (make test runs it)
"""
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

GUARD = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "guard.py")]


def alive(pattern):
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode == 0


class Guard(unittest.TestCase):
    def test_a_process_left_behind_is_stopped_and_fails_a_checked_run(self):
        run = subprocess.run([*GUARD, "run", "--check", "--", "sh", "-c", "sleep 301 & exit 0"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn("left running", run.stderr)
        self.assertFalse(alive("sleep 301"))

    def test_an_unchecked_run_still_stops_what_is_left(self):
        run = subprocess.run([*GUARD, "run", "--", "sh", "-c", "sleep 302 & exit 0"], timeout=60)
        self.assertEqual(run.returncode, 0)
        self.assertFalse(alive("sleep 302"))

    def test_sigterm_stops_the_whole_run(self):
        guard = subprocess.Popen([*GUARD, "run", "--", "sh", "-c", "sleep 303 & sleep 304"])
        deadline = time.monotonic() + 30
        while not (alive("sleep 303") and alive("sleep 304")) and time.monotonic() < deadline:
            time.sleep(0.1)
        guard.send_signal(signal.SIGTERM)
        self.assertNotEqual(guard.wait(timeout=60), 0)
        self.assertFalse(alive("sleep 303") or alive("sleep 304"))

    def test_ctrl_c_stops_a_command_that_ignores_sigint(self):
        # As a command started in the background does: SIGINT ignored.
        guard = subprocess.Popen([*GUARD, "run", "--", "sh", "-c", "trap '' INT; sleep 305 & wait"])
        deadline = time.monotonic() + 30
        while not alive("sleep 305") and time.monotonic() < deadline:
            time.sleep(0.1)
        guard.send_signal(signal.SIGINT)
        guard.wait(timeout=60)
        self.assertFalse(alive("sleep 305"))

    def test_a_taken_port_is_named_with_its_holder(self):
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            port = server.getsockname()[1]
            run = subprocess.run([*GUARD, "ports", str(port)], capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 1)
            self.assertIn(f"port {port} is taken by pid {os.getpid()}", run.stderr)
            checked = subprocess.run([*GUARD, "run", "--check", "--ports", str(port), "--", "true"],
                                     capture_output=True, text=True, timeout=30)
            self.assertEqual(checked.returncode, 1)
        free = subprocess.run([*GUARD, "ports", str(port)], capture_output=True, text=True, timeout=30)
        self.assertEqual(free.returncode, 0, free.stderr)


if __name__ == "__main__":
    unittest.main()
