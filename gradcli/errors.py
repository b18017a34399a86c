"""Errors a user can cause, each knowing its exit code and how to show itself."""

from __future__ import annotations

import errno

WINDOW = 60  # characters of a long line shown on each side of the caret


def visible(c: str) -> str:
    """A character as a message can show it: itself, or U+001E for an invisible one."""
    return c if c.isprintable() else f"U+{ord(c):04X}"


class GradcliError(Exception):
    """Something the user typed or asked for is wrong; ``exit_code`` says how wrong."""

    exit_code = 2

    def render(self) -> str:
        return f"error: {self}"


class GradcliSyntaxError(GradcliError):
    """Text that is not in the language, with where it went wrong and what would be right."""

    exit_code = 2

    def __init__(self, message: str, source: str, offset: int, length: int = 1, prefix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.offset = max(0, min(offset, len(source)))
        self.length = max(1, length)
        self.prefix = prefix  # shown before the source line, e.g. "--at "

    @property
    def line(self) -> int:
        return self.source.count("\n", 0, self.offset) + 1

    @property
    def column(self) -> int:
        return self.offset - (self.source.rfind("\n", 0, self.offset) + 1) + 1

    def render(self) -> str:
        start = self.source.rfind("\n", 0, self.offset) + 1
        end = self.source.find("\n", self.offset)
        end = len(self.source) if end < 0 else end
        text = self.source[start:end]
        col = self.offset - start
        width = max(1, min(self.length, end - self.offset, WINDOW))
        # keep very long lines readable: a window around the caret
        lo = max(0, col - WINDOW)
        hi = min(len(text), col + width + WINDOW)
        shown = ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
        col = col - lo + (1 if lo else 0)
        # one printable cell per character, so the caret stays under the column
        shown = "".join(c if c.isprintable() else " " if c == "\t" else "?" for c in shown)
        where = self.prefix
        if "\n" in self.source:
            where += f"line {self.line}: "
        lines = [f"  {where}{shown}", "  " + " " * (len(where) + col) + "^" * width]
        at = f"column {self.column}" if "\n" not in self.source else f"line {self.line}, column {self.column}"
        lines.append(f"error: {self.message} (at {at})")
        return "\n".join(lines)


class MathError(GradcliError):
    """The expression is undefined at the point: names the node, its definition and operands."""

    exit_code = 1

    def __init__(self, node: str, definition: str, operands: str, reason: str) -> None:
        super().__init__(f"{node} = {definition} is undefined at {operands}: {reason}")
        self.node = node
        self.definition = definition
        self.operands = operands
        self.reason = reason

    def render(self) -> str:
        return f"math error: {self}"


class OutputError(GradcliError):
    """The result could not be written: the disk is full, standard output is closed, or a pipe's reader left."""

    exit_code = 1  # as coreutils do on a write error

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(f"cannot write the output: {reason}")
        self.broken_pipe = code == errno.EPIPE
        if self.broken_pipe:
            self.exit_code = 141  # 128 + SIGPIPE: what a shell reports for a program a pipe's end stopped

    @classmethod
    def of(cls, e: OSError) -> OutputError:
        return cls(e.strerror or str(e), e.errno)
