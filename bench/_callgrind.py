"""Count a child process's instructions with callgrind, between its "ready" and the end.

The child does its warm-up, touches ``<scratch>/ready`` and waits for
``<scratch>/go``; counting is switched on in between, so imports, setup and
warm-up are not counted. The child should leave with ``os._exit`` so that no
teardown is counted either.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def require_valgrind() -> None:
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        sys.exit("valgrind is needed: apt-get install valgrind")


def count(child_args: list[str], scratch: str, on_start: Callable[[], None] | None = None) -> int:
    """Instructions the child (``python <child_args>``) ran after its ready; ``on_start`` runs just before go."""
    ready, go, out = Path(scratch, "ready"), Path(scratch, "go"), Path(scratch, "child.callgrind")
    for path in (ready, go):
        path.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            *child_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not ready.exists():
        if process.poll() is not None:
            sys.exit(f"{' '.join(child_args)}: the child process failed")
        time.sleep(0.1)
    subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
    if on_start:
        on_start()
    go.touch()
    process.wait()
    total = int(re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE).group(1))
    out.unlink()
    return total
