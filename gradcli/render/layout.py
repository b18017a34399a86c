"""Line breaking for the terminal: formulas break between terms, never inside a number or a name.

A formula is broken at "cuts": before a top-level ``+``/``-`` of a sum first, then after a ``,``
or a product's ``·``, then the same one parenthesis deeper, and so on; a cut never falls inside a
run of letters, digits and combining marks, so ``-0.6931471805599453`` and ``c̄17`` stay whole. A
piece with no cut that is wider than the line is left whole on a line of its own: the terminal
may fold it, but the text is never cut by us.

Prose marks the mathematics in it with MATH_OPEN/MATH_CLOSE (the terminal notation's ``inline``):
a formula that fits on a line is not broken, one longer than a line is broken as a formula.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from typing import NamedTuple

MATH_OPEN, MATH_CLOSE = "\ue000", "\ue001"  # private-use characters: the parser refuses them in any input
_MARKS = str.maketrans("", "", MATH_OPEN + MATH_CLOSE)
_OPEN, _CLOSE = "([{", ")]}"


def plain(text: str) -> str:
    """Text without the math marks."""
    return text.translate(_MARKS)


def cells(text: str) -> int:
    """How many terminal cells a text takes: combining marks none, wide East Asian characters two."""
    if text.isascii():
        return len(text)
    return sum(map(_cells, text))


@functools.lru_cache(maxsize=4096)
def _cells(c: str) -> int:
    if c in (MATH_OPEN, MATH_CLOSE) or unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def _offsets(text: str) -> list[int]:
    """The cells before each position of the text: cells(text[a:b]) is at[b] - at[a]."""
    at = [0]
    if text.isascii():
        return list(range(len(text) + 1))
    total = 0
    for c in text:
        total += _cells(c)
        at.append(total)
    return at


class Cut(NamedTuple):
    """A place to break a formula: the line ends at ``end``, the next begins at ``start``."""

    end: int
    start: int
    priority: int  # lower is better: 2·depth for a sum's + and -, 2·depth + 1 for the rest


def cuts(text: str) -> list[Cut]:
    """Every place a formula may be broken, in order."""
    out: list[Cut] = []
    depth = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth = max(0, depth - 1)
        elif c == " ":
            j = i
            while j < n and text[j] == " ":
                j += 1
            # " + " and " - " between the terms of a sum: the operator starts the next line, and stays with
            # its term (no cut after it)
            after_sign = i > 1 and text[i - 1] in "+-=" and text[i - 2] == " "
            if j < n and i > 0 and not after_sign:
                sum_sign = text[j] in "+-" and j + 1 < n and text[j + 1] == " "
                out.append(Cut(i, j, 2 * depth if sum_sign else 2 * depth + 1))
            i = j
            continue
        elif c in "·*/," and 0 < i < n - 1 and text[i + 1] != " ":
            if c == "*" and (text[i + 1] == "*" or text[i - 1] == "*"):
                pass  # a power's ** stays with its operands
            else:
                out.append(Cut(i + 1, i + 1, 2 * depth + 1))  # after the operator
        i += 1
    return out


def wrap(text: str, width: int, indent: int = 2, first: int | None = None) -> list[str]:
    """A formula as lines no wider than ``width`` where it can be: the first line ``first`` cells (default:
    the width), the others indented by ``indent`` spaces (included in the lines returned)."""
    room = width if first is None else first
    if cells(text) <= room:
        return [text]
    marks = cuts(text)
    ends = [c.end for c in marks]
    at = _offsets(text)
    lines: list[str] = []
    pos = 0
    pad = ""
    while at[-1] - at[pos] > room:
        first = bisect.bisect_right(ends, pos)
        best: Cut | None = None
        k = first
        while k < len(marks):
            cut = marks[k]
            if at[cut.end] - at[pos] > room:
                break
            if best is None or cut.priority <= best.priority:
                best = cut
            k += 1
        if best is None:  # nothing fits: the first cut after pos, past the margin (one unbreakable piece)
            best = marks[first] if first < len(marks) else None
            if best is None:
                break
        lines.append(pad + text[pos:best.end].rstrip())
        pos = best.start
        pad = " " * indent
        room = max(1, width - indent)
    lines.append(pad + text[pos:])
    return lines


_PROSE = re.compile(f"(?:{MATH_OPEN}[^{MATH_CLOSE}]*{MATH_CLOSE}|[^ {MATH_OPEN}])+| +")


def wrap_prose(text: str, width: int, indent: int = 2) -> list[str]:
    """Prose as lines no wider than ``width``, broken at spaces, lines after the first indented by ``indent``;
    its formulas stay whole where they fit on a line and are broken as formulas where they do not."""
    if cells(text) <= width:
        return [plain(text)]
    lead = len(text) - len(text.lstrip(" "))
    if lead and width - lead > 2 * indent:  # an indented line keeps its indentation on every line it takes
        return [" " * lead + piece for piece in wrap_prose(text[lead:], width - lead, indent)]
    lines: list[str] = []
    line = ""  # the line being filled, its indentation included
    space = ""
    for m in _PROSE.finditer(text):
        word = m.group()  # a run without spaces outside formulas: "(c1 = w1," is one word
        if word.startswith(" "):
            space = word
            continue
        math = MATH_OPEN in word
        word = plain(word)
        pad = " " * indent if lines else ""
        if line and cells(line) + cells(space) + cells(word) <= width:
            line += space + word
        elif math and line and cells(word) > width - indent and width - cells(line) - cells(space) >= width // 3:
            # a formula that fits on no line begins where the prose stops, and goes on on the next lines
            pieces = wrap(word, width - indent, 2, first=width - cells(line) - cells(space))
            lines.append(line + space + pieces[0])
            pad = " " * indent
            lines += [pad + p for p in pieces[1:-1]]
            line = pad + pieces[-1] if len(pieces) > 1 else ""
        elif not line and cells(pad + word) <= width:
            line = pad + word
        else:
            if line:
                lines.append(line)
                pad = " " * indent
            line = pad + word
            if math and cells(line) > width:  # a formula longer than a line: broken as one, indented further
                pieces = wrap(word, width - indent, 2)
                lines += [pad + p for p in pieces[:-1]]
                line = pad + pieces[-1]
        space = ""
    if line:
        lines.append(line)
    return lines
