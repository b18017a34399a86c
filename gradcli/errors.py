"""Errors a user can cause, each knowing its exit code and how to show itself."""

from __future__ import annotations

import errno
import re
from typing import Callable

WINDOW = 60  # characters of a long line shown on each side of the caret
_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")
_PRINTABLE_AND: dict[str, bytes] = {}  # the printable ASCII bytes and those kept, by what is kept


def escape(c: str) -> str:
    """An invisible character as Python writes it in a string: \\x1b, \\r, \\u202e."""
    return repr(c)[1:-1]


def visible(text: str, keep: str = "", escape: Callable[[str], str] = escape) -> str:
    """User text as a terminal can show it without obeying it: every control or invisible character (ESC,
    CR, BEL, U+202E, ...) but those in ``keep`` becomes its escape. Everything gradcli echoes passes here."""
    if text.isascii():  # nearly always: then deleting the printable bytes in C says whether any is left
        printable = _PRINTABLE_AND.get(keep)
        if printable is None:
            printable = _PRINTABLE_AND[keep] = bytes(range(0x20, 0x7f)) + keep.encode("ascii", "ignore")
        if not text.encode("ascii").translate(None, printable):
            return text
    rest = text
    for c in keep:
        rest = rest.replace(c, "")
    if rest.isprintable():
        return text
    for c in set(_ASCII_CONTROL.findall(rest)) if rest.isascii() else set(rest):
        if not c.isprintable():
            text = text.replace(c, escape(c))
    return text


class GradcliError(Exception):
    """Something the user typed or asked for is wrong; ``exit_code`` says how wrong."""

    exit_code = 2

    def render(self) -> str:
        return f"error: {visible(str(self))}"


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
        # each character as shown: a tab as a space, an invisible one as its escape, with the carets under it
        cells = [" " if c == "\t" else visible(c) for c in text[lo:hi]]
        lead = "…" if lo else ""
        shown = lead + "".join(cells) + ("…" if hi < len(text) else "")
        before = len(lead) + sum(map(len, cells[:col - lo]))
        under = max(1, sum(map(len, cells[col - lo:col - lo + width])))
        where = self.prefix
        if "\n" in self.source:
            where += f"line {self.line}: "
        return "\n".join([f"  {where}{shown}", "  " + " " * (len(where) + before) + "^" * under,
                          f"error: {visible(self.message)} (at {self.where})"])

    @property
    def where(self) -> str:
        return f"column {self.column}" if "\n" not in self.source else f"line {self.line}, column {self.column}"

    def __str__(self) -> str:
        """The message, then the line with a caret under the mistake: what a traceback in a notebook shows."""
        caret = self.render().split("\n")[:2]
        return "\n".join([f"{self.message} (at {self.where})", *caret])


class UsageError(GradcliError):
    """Options that do not go together, or an option's value out of its range; ``option`` names the option
    (as the command line spells it) whose value is wrong."""

    exit_code = 2

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


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
        return f"math error: {visible(str(self))}"


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
