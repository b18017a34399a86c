"""sympy's work under a time limit: a task run in a forked worker process that sends each piece it finishes back
through a pipe, and is killed at the deadline, so a limit holds even inside long big-integer arithmetic (which
never lets a signal handler run).

A task is ``task(emit, *args)``: it calls ``emit(piece)`` with each picklable piece as it finishes (a row, a
verdict) and returns nothing. ``run`` returns the pieces that arrived, and whether the task finished; what the
task raised is raised again here. Where fork is unavailable the task runs in this process and stops at the first
piece emitted past the deadline (a cooperative bound: one long sympy call can still overrun it). With no limit
(``None``) the task runs in this process as it is: no fork.

This module imports nothing heavy; the tasks themselves import sympy before run forks, so the child shares it.
"""

from __future__ import annotations

import math
import os
import pickle
import select
import signal
import struct
import time
from typing import Callable, NamedTuple

GRACE = 0.2  # seconds between SIGTERM and SIGKILL at the deadline
_HEAD = struct.Struct("<Q")  # each message: its length, then its pickle


class Outcome(NamedTuple):
    pieces: list  # what the task emitted, in order
    finished: bool  # the task ran to its end within the limit


class _TimeUp(Exception):
    """The cooperative bound: raised by emit past the deadline, where the task runs in this process."""


def deadline(seconds: float | None) -> float | None:
    """The monotonic time a limit of ``seconds`` from now ends at; None for no limit."""
    return None if seconds is None else time.monotonic() + seconds


def run(task: Callable, args: tuple, until: float | None) -> Outcome:
    """Run ``task(emit, *args)`` until the monotonic time ``until`` (None: no limit). With no limit too the
    work runs in the worker where it can: a step of sympy's (a power of a 20,000-digit integer) holds the
    interpreter until it ends, so Ctrl-C reaches a parent that only waits, and ends the work at once."""
    if until is not None and until <= time.monotonic():
        return Outcome([], False)
    if not hasattr(os, "fork"):
        if until is None:
            pieces: list = []
            task(pieces.append, *args)
            return Outcome(pieces, True)
        return _in_process(task, args, until)
    return _forked(task, args, until)


def _in_process(task: Callable, args: tuple, until: float) -> Outcome:
    pieces: list = []

    def emit(piece) -> None:
        pieces.append(piece)
        if time.monotonic() >= until:
            raise _TimeUp

    try:
        task(emit, *args)
    except _TimeUp:
        return Outcome(pieces, False)
    return Outcome(pieces, True)


def _forked(task: Callable, args: tuple, until: float) -> Outcome:
    import warnings

    read, write = os.pipe()
    with warnings.catch_warnings():  # a test run with threads alive (PyTorch's): the child only computes
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.close(read)
            _child(task, args, write)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    pieces: list = []
    finished = False
    error: BaseException | None = None
    buffer = bytearray()
    try:
        while not finished and error is None:
            left = None if until is None else until - time.monotonic()
            if (left is not None and left <= 0) or not select.select([read], [], [], left)[0]:
                break  # the deadline
            chunk = os.read(read, 1 << 16)
            if not chunk:
                error = _died(pid)
                break
            buffer += chunk
            while len(buffer) >= _HEAD.size:
                (n,) = _HEAD.unpack_from(buffer)
                if len(buffer) < _HEAD.size + n:
                    break
                kind, value = _loads(bytes(buffer[_HEAD.size:_HEAD.size + n]))
                del buffer[:_HEAD.size + n]
                if kind == "piece":
                    pieces.append(value)
                elif kind == "done":
                    finished = True
                else:
                    error = value
    finally:
        _end(pid)
        os.close(read)
    if error is not None:
        raise error
    return Outcome(pieces, finished)


class _Flat(pickle.Pickler):
    """A pickler that writes an Expr as a flat list, its nodes in postorder: pickle recurses, and a long sum
    sympy hands back (500 terms) is an Expr 500 deep."""

    def reducer_override(self, obj):
        from ..core.expr import Expr

        if type(obj) is not Expr:
            return NotImplemented
        flat: list = []
        stack: list = [(obj, False)]
        while stack:
            x, ready = stack.pop()
            if not ready and x.args:
                stack.append((x, True))
                stack.extend((a, False) for a in reversed(x.args))
                continue
            flat.append((x.op, len(x.args), x.leaf))
        return _expr, (flat,)


def _expr(flat: list):
    """An Expr from _Flat's list: a loop, as deep as it was."""
    from ..core.expr import Expr

    done: list = []
    for op, n, leaf in flat:
        args = tuple(done[len(done) - n:]) if n else ()
        if n:
            del done[-n:]
        done.append(Expr(op, args, leaf))
    return done[0]


def dumps(value) -> bytes:
    """``value`` pickled, its Exprs flat."""
    import io

    f = io.BytesIO()
    _Flat(f, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return f.getvalue()


def _child(task: Callable, args: tuple, fd: int) -> None:
    def send(kind: str, value) -> None:
        data = dumps((kind, value))
        view = memoryview(_HEAD.pack(len(data)) + data)
        while view:
            view = view[os.write(fd, view):]

    try:
        task(lambda piece: send("piece", piece), *args)
    except BaseException as e:  # raised in the parent: a GradcliError's message, a RecursionError's bound
        try:
            pickle.loads(dumps(e))
        except Exception:
            from ..errors import GradcliError

            e = GradcliError(f"sympy failed: {type(e).__name__}: {e}")
        send("error", e)
        return
    send("done", None)


def _loads(data: bytes):
    try:
        return pickle.loads(data)
    except Exception as e:  # a piece sympy cannot rebuild here: said, not a traceback
        from ..errors import GradcliError

        return "error", GradcliError(f"sympy's answer could not be read back: {type(e).__name__}: {e}")


def _died(pid: int) -> BaseException:
    """The child closed the pipe without an answer: killed from outside, or out of memory."""
    from ..errors import GradcliError

    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 0
    how = f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else \
        f"exit code {os.WEXITSTATUS(status)}" if os.WIFEXITED(status) else "no status"
    return GradcliError(f"the process working with sympy stopped without an answer ({how}); perhaps it ran out "
                        "of memory")


def _end(pid: int) -> None:
    """The child gone and reaped: asked to stop (SIGTERM), then killed (SIGKILL) after GRACE seconds."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        os.kill(pid, signal.SIGTERM)
        stop = time.monotonic() + GRACE
        while time.monotonic() < stop:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass


def limit_text(seconds: float) -> str:
    """A limit as said in a message: 2 s, 0.5 s."""
    return f"{seconds:g} s" if math.isfinite(seconds) else "none"
