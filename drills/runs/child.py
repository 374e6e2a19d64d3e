"""A helper process of the console's, started clean and spoken to over two pipes.

The console is a threaded server: a process forked from it would inherit its listening
socket (a restarted console then fails with "address already in use" while the child
lives) and whatever locks its other threads held at that instant. A helper is therefore a
new interpreter (`python -m MODULE`), started with every descriptor closed but its two
pipes; it exits when the console does (the parent-death signal, and end of file on its
inbox), and the console reaps it when it closes it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

PR_SET_PDEATHSIG = 1


class Child:
    """A helper process: `send` a message, `recv` its answer (pickled), `stop` it."""

    def __init__(self, module: str, args: Sequence[str] = (), env: dict[str, str] | None = None):
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        command = [sys.executable, "-m", module, str(to_child), str(from_child), *args]
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=(to_child, from_child),
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
        finally:
            os.close(to_child)
            os.close(from_child)
        self._out = Connection(from_parent, readable=False)
        self._in = Connection(to_parent, writable=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: Any) -> None:
        self._out.send(message)

    def poll(self, timeout: float | None) -> bool:
        return self._in.poll(timeout)

    def recv(self) -> Any:
        """The next answer; EOFError if the child has gone."""
        return self._in.recv()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, kill: bool = False, wait_s: float = 10.0) -> None:
        """Close its inbox (it exits on end of file) or kill it; then reap it."""
        with contextlib.suppress(OSError):
            self._out.close()
        if kill:
            with contextlib.suppress(OSError):
                self.process.kill()
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            self._in.close()


def connections(argv: Sequence[str]) -> tuple[Connection, Connection]:
    """In the child: its inbox and outbox, from the descriptors its parent passed. A ^C at
    the console's terminal reaches its whole process group: the child leaves it to the
    console, which closes the child's inbox."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(signal.SIGTERM)
    return Connection(int(argv[0]), writable=False), Connection(int(argv[1]), readable=False)


def alive(pid: int) -> bool:
    """Whether process `pid` exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def die_with_parent(sig: int) -> None:
    """Ask the kernel to send `sig` when the parent exits (Linux; elsewhere end of file on
    the inbox ends the child); exit at once if the parent is already gone."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def quiet_send(outbox: Connection, message: Any) -> bool:
    """Send, or give up silently if the reader has gone (a console killed mid-job: no
    BrokenPipe traceback in its log)."""
    try:
        outbox.send(message)
        return True
    except (BrokenPipeError, ConnectionResetError, OSError):
        return False
