#!/usr/bin/env python3
"""The project's processes and ports: nothing a command starts outlives it, and
nothing starts on a port that is already taken. Linux (/proc); standard library only.

    scripts/guard.py ports PORT...
        exits 1, naming each taken port and what holds it, when one is taken.
    scripts/guard.py run [--check] [--ports PORT...] -- COMMAND...
        runs COMMAND with a marker in its environment that every process it
        starts inherits. However COMMAND ends (success, failure, Ctrl-C, SIGTERM),
        the processes still carrying the marker are stopped (TERM, then KILL).
        With --check, a process left behind or a port in PORTS still taken after
        a run fails it (exit 1): `make test` is run this way.
"""
import os
import signal
import socket
import subprocess
import sys
import time

# Each run's own variable (a run may start another: both find their processes).
MARKER = "WEBHOOK_RECEIVERS_RUN"
# How long a command asked to stop gets to clean up after itself.
STOP_GRACE = 20.0


def port_taken(port):
    """True when something listens on 127.0.0.1:port (or on every address)."""
    with socket.socket() as probe:
        # As servers bind: a connection left in TIME_WAIT does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _listening_inodes(port):
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def _command_line(pid):
    try:
        raw = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:160] or "?"


def port_holder(port):
    """`pid N (command line)` of the process listening on port, where /proc tells."""
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                return f"pid {pid} ({_command_line(pid)})"
        except OSError:
            continue
    return None


def taken_ports(ports):
    """A line for each taken port, naming what holds it where /proc tells."""
    lines = []
    for port in ports:
        if port_taken(port):
            holder = port_holder(port)
            lines.append(f"port {port} is taken" + (f" by {holder}" if holder else ""))
    return lines


def marked(marker):
    """Processes other than this one whose environment carries the marker."""
    needle = f"{marker}=1".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if needle in environ:
            found.append(int(pid))
    return found


def stop(pids, grace=10.0):
    """TERM, then KILL what is still there after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            pids = [pid for pid in pids if os.path.exists(f"/proc/{pid}") and not _zombie(pid)]
            if not pids:
                return
            time.sleep(0.1)


def _zombie(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def run(command, check, ports):
    marker = f"{MARKER}_{os.getpid()}_{time.time_ns()}"
    interrupted = []
    started = []

    def forward(signum, _frame):
        # Ctrl-C, SIGTERM or a hang-up: the command is asked to stop with
        # SIGTERM, which it cannot have inherited as ignored (a command started
        # in the background ignores SIGINT) and which every script here traps.
        interrupted.append(time.monotonic())
        for child in started:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except OSError:
                pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    # Its own session and process group, so that a signal to this script
    # reaches the whole command once.
    child = subprocess.Popen(command, env={**os.environ, marker: "1"}, start_new_session=True)
    started.append(child)
    if interrupted:
        forward(signal.SIGTERM, None)
    status = None
    while status is None:
        try:
            status = child.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            # Asked to stop and still running after the grace: stopped below.
            if interrupted and time.monotonic() - interrupted[0] > STOP_GRACE:
                break

    left = [(pid, _command_line(pid)) for pid in marked(marker)]
    if left:
        stop([pid for pid, _ in left])
    if status is None:
        status = child.wait()
    problems = []
    if check and not interrupted:
        problems += [f"left running: pid {pid} ({line}); stopped it" for pid, line in left]
        problems += taken_ports(ports)
    for problem in problems:
        print(f"guard: {problem}", file=sys.stderr)
    if status != 0:
        return status if status > 0 else 128 - status
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "ports":
        lines = taken_ports([int(port) for port in argv[1:]])
        for line in lines:
            print(f"{line}: stop it, or choose another port (MOTO_PORT, INVOKE_PORT)", file=sys.stderr)
        return 1 if lines else 0
    if argv and argv[0] == "run" and "--" in argv:
        options, command = argv[1:argv.index("--")], argv[argv.index("--") + 1:]
        check = "--check" in options
        ports = [int(port) for port in options if port.isdigit()]
        if command:
            return run(command, check, ports)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
