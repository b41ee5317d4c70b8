#!/usr/bin/env python3
"""Swap the running gunicorn master for one of the release `current` now points at, without downtime.

    scripts/reload_web.py --pidfile /run/firstmile/web.pid

systemd runs it as the web unit's ExecReload (docs/deploy.md, *Upgrades*). The
master must have been started through the `current` link
(``/srv/firstmile/current/.venv/bin/python /srv/firstmile/current/.venv/bin/gunicorn …``),
so that gunicorn's USR2, which re-executes the same command, starts the new code.

1. USR2 to the old master: it starts a new master (writing ``<pidfile>.2``) that
   inherits the listening socket and forks workers of the new release, while the
   old workers go on serving. No connection is refused: both sets accept from
   the same socket.
2. Wait until every worker of the new master has loaded the application (each
   writes its pid to ``<pidfile>.<master pid>.booted``). If the new master dies
   instead (the new release cannot start), stop here and exit 1: the old release
   keeps serving, nothing was lost.
3. Under systemd, tell it the new master is the service's main process
   (``MAINPID=``; the unit has ``NotifyAccess=all``).
4. TERM to the old master: its workers finish the requests in hand and exit;
   the new master takes over the pid file.

Standard library only: it runs with any Python 3 of the machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not serving.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _notify_systemd(message: str) -> None:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())


def say(text: str) -> None:
    print(f"reload_web: {text}", flush=True)


def reload(pidfile: Path, timeout: float) -> int:
    old = _read_pid(pidfile)
    if old is None or not _alive(old):
        say(f"no running master in {pidfile}: start the service instead")
        return 1
    second = Path(f"{pidfile}.2")
    if _read_pid(second) not in (None, old) and _alive(_read_pid(second)):
        say(f"a new master ({_read_pid(second)}) is already starting: wait for it, or stop it first")
        return 1
    os.kill(old, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    new = None
    while time.monotonic() < deadline:
        candidate = _read_pid(second)
        if candidate and candidate != old and _alive(candidate):
            new = candidate
            break
        time.sleep(0.1)
    if new is None:
        say(f"no new master started within {timeout:.0f} s; the old one ({old}) keeps serving")
        return 1
    marker = Path(f"{pidfile}.{new}.booted")
    while True:
        if not _alive(new):
            say(f"the new release failed to start (master {new} exited); the old one ({old}) keeps serving")
            return 1
        booted = set()
        if marker.exists():
            booted = {int(line) for line in marker.read_text().split() if line.isdigit()}
        workers = _children(new)
        if workers and workers <= booted:
            break
        if time.monotonic() > deadline:
            say(f"the new master's workers did not all start within {timeout:.0f} s; stopping it")
            os.kill(new, signal.SIGTERM)
            return 1
        time.sleep(0.1)
    say(f"new master {new}: {len(workers)} workers serving; stopping the old master {old}")
    _notify_systemd(f"MAINPID={new}")
    os.kill(old, signal.SIGTERM)
    while _alive(old) and time.monotonic() < deadline + 60:
        time.sleep(0.1)
    for _ in range(50):  # the new master renames <pidfile>.2 once it sees its parent gone
        if _read_pid(pidfile) == new:
            break
        time.sleep(0.1)
    say(f"done: master {new} serves the new release")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pidfile", required=True, type=Path, help="gunicorn's pid file (FIRSTMILE_PIDFILE)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the new master's workers")
    args = parser.parse_args(argv)
    return reload(args.pidfile, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
