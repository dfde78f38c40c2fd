"""The real `pageguide` console script in a subprocess: a knowledge folder to give it, its
output read back as it runs, and a process group that is always ended."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import pty
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PAGEGUIDE = Path(sys.executable).parent / "pageguide"  # the console script of this venv


def write_knowledge(folder: Path, catalogues: int = 70) -> int:
    """The billing article of the demo knowledge, which answers plan questions, plus
    `catalogues` short generated articles of 9 chunks each, so that embedding runs over
    several batches. Returns the number of articles."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "knowledge/billing-change-plan.md", folder)
    for n in range(catalogues):
        parts = [f"---\ntitle: Parts catalogue {n}\n---\n\nParts in catalogue {n}.\n"]
        parts += [f"## Entry {e}\n\nEntry {e} lists part {n * 8 + e}.\n" for e in range(8)]
        (folder / f"catalogue-{n:03}.md").write_text("\n".join(parts))
    return catalogues + 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env() -> dict[str, str]:
    """This environment without PAGEGUIDE_* settings, so only the test's options count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEGUIDE_")}
    env["HF_HUB_OFFLINE"] = "1"
    return env


try:  # loaded here, not in the forked child, where another thread may hold the import lock
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """In the child before exec: the kernel ends it if the test run dies without cleaning up."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run(
    args: list[str],
    timeout: float = 300,
    stderr: int | IO[Any] = subprocess.PIPE,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`pageguide ARGS` to completion, its output as text (a bar's carriage returns kept:
    text mode would turn them into newlines)."""
    done = subprocess.run(
        [str(PAGEGUIDE), *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env={**child_env(), **(env or {})},
        timeout=timeout,
        preexec_fn=_die_with_parent,
    )
    err = done.stderr.decode() if isinstance(done.stderr, bytes) else None
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), err)


def run_on_terminal(args: list[str], timeout: float = 300) -> tuple[str, str]:
    """`pageguide ARGS` with stderr on a pseudo-terminal, as in a shell; (stdout, stderr)."""
    main, child = pty.openpty()
    # a new pseudo-terminal is 0x0, which a bar takes as no room at all
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [str(PAGEGUIDE), *args],
        stdout=subprocess.PIPE,
        stderr=child,
        env=child_env(),
        preexec_fn=_die_with_parent,
    )
    os.close(child)
    seen = bytearray()
    try:
        while True:  # read as it comes, so a full terminal buffer never blocks the child
            try:
                data = os.read(main, 4096)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not data:
                break
            seen += data
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        proc.wait(timeout)
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out, seen.decode(errors="replace")


def json_lines(text: str) -> list[dict[str, Any]]:
    """Each complete line as a JSON object; fails on a line that is not one."""
    records = []
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # still being written
        record = json.loads(line)
        assert isinstance(record, dict), line
        records.append(record)
    return records


@dataclass
class Served:
    """A running `pageguide serve`: its URLs, and its stdout and stderr as written so far."""

    proc: subprocess.Popen[bytes]
    port: int
    out: Path
    err: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def origin(self) -> str:
        """A page on localhost, which the development site allows."""
        return f"http://localhost:{self.port}"

    # bytes decoded, not read_text(), which would turn a bar's carriage returns into newlines
    def stdout(self) -> str:
        return self.out.read_bytes().decode()

    def stderr(self) -> str:
        return self.err.read_bytes().decode()

    def wait_for_log(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first JSON log record `match` accepts, waiting for it to be written."""
        deadline = time.monotonic() + timeout
        while True:
            for record in json_lines(self.stderr()):
                if match(record):
                    return record
            if time.monotonic() > deadline:
                raise AssertionError(f"no such log line in:\n{self.stderr()[-4000:]}")
            time.sleep(0.05)


@contextlib.contextmanager
def serve(args: list[str], folder: Path, timeout: float = 300) -> Iterator[Served]:
    """`pageguide serve ARGS --port FREE`, healthy before it is handed over; ended (with any
    children) afterwards."""
    port = free_port()
    out, err = folder / "stdout.txt", folder / "stderr.txt"
    with open(out, "wb") as out_file, open(err, "wb") as err_file:
        proc = subprocess.Popen(
            [str(PAGEGUIDE), "serve", *args, "--port", str(port)],
            stdout=out_file,
            stderr=err_file,
            env=child_env(),
            preexec_fn=_die_with_parent,
            start_new_session=True,
        )
    served = Served(proc, port, out, err)
    try:
        _wait_healthy(served, timeout)
        yield served
    finally:
        _stop(proc)


def _wait_healthy(served: Served, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if served.proc.poll() is not None:
            raise RuntimeError(f"pageguide serve exited early:\n{served.stderr()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(served.url + "/healthz", timeout=2.0).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"pageguide serve not healthy:\n{served.stderr()[-4000:]}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
