"""Points and directions: ``--at 0,2`` or ``--at x1=0,x2=pi/4`` bound to a graph's inputs."""

from __future__ import annotations

import math
import re

from ..errors import GradcliError, GradcliSyntaxError, MathError
from .graph import constant_value
from .parse import lookalike_letters, normal_name, parse_expression, skeleton

_NAMED = re.compile(r"\s*([^\W\d]\w*(?:\^\{\*\}|\^\*|\*)?)\s*=(?!=)")  # y^*, y^{*} and y* are y_star


def split_top(text: str) -> list[tuple[int, str]]:
    """Split at commas outside parentheses and brackets: ``log(8, 2),1`` and ``x=[1, 2],y=3`` are two parts each,
    with their offsets."""
    if "(" not in text and "[" not in text and ")" not in text and "]" not in text:  # a row of numbers
        parts, start = [], 0
        for piece in text.split(","):
            parts.append((start, piece))
            start += len(piece) + 1
        return parts
    parts, depth, start = [], 0, 0
    for m in _SPLIT.finditer(text):  # only the brackets and commas, not every character
        c = m.group()
        if c == "(" or c == "[":
            depth += 1
        elif c == ")" or c == "]":
            depth -= 1
        elif depth == 0:
            i = m.start()
            parts.append((start, text[start:i]))
            start = i + 1
    parts.append((start, text[start:]))
    return parts


_SPLIT = re.compile(r"[()\[\],]")
# a plain decimal number, as typed in a point of many entries: read as Python reads it, which is what the parser
# makes of it (-0.05 is neg(0.05), the same double)
_DECIMAL = re.compile(r"\s*-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")


def bind(text: str | None, names: tuple[str, ...], option: str = "--at", trees: bool = False,
         arrays: dict | None = None) -> dict:
    """Values for every input, in the inputs' order; errors list the inputs and point at the culprit. With
    ``trees``, each value's Expr as typed (0.1 stays the decimal 0.1, pi stays pi), for exact work. ``arrays``
    gives the inputs that are arrays, by shape: their entries (``W[1,2]``) are among ``names``, and each array is
    given as one value, ``W=[[1, 2], [3, 4]]``, bound entry by entry."""
    from .arrays import entry_names, shape_text

    value = _tree if trees else _value
    arrays = arrays or {}
    entries = {n: entry_names(n, shape) for n, shape in arrays.items()}
    owner = {e: n for n, es in entries.items() for e in es}
    inputs: list[str] = []  # the names a point gives: each array once, where its first entry is
    for n in names:
        n = owner.get(n, n)
        if n not in inputs:
            inputs.append(n)
    listing = ", ".join(f"{n} ({shape_text(arrays[n])})" if n in arrays else n for n in inputs)
    prefix = f"{option} "
    if text is None or not text.strip():
        example = ",".join("[…]" if n in arrays else "0" for n in inputs)
        named = ",".join(f"{n}=[…]" if n in arrays else f"{n}=0" for n in inputs)
        raise GradcliError(f"{option} needs a value for each input ({listing}): e.g. {option} {example} "
                           f"or {option} {named}")
    whole = len(inputs) == 1 and inputs[0] in arrays and text.lstrip().startswith("[")  # x = [0, 2], one array
    parts = split_top(text if whole else _unwrap(text))
    for start, part in parts:
        if not part.strip():
            raise GradcliSyntaxError(f"a value is missing here; give one value per input ({listing})",
                                     text, start, 1, prefix)
    named = [_NAMED.match(p) for _, p in parts]
    given: dict[str, tuple[int, str]] = {}  # each input's value: its offset in text, and its text
    if any(named):
        for (start, part), m in zip(parts, named):
            if not m:
                raise GradcliSyntaxError(f"give every value a name (name=value) or none; the inputs are {listing}",
                                         text, start, max(1, len(part)), prefix)
            name = normal_name(m.group(1))
            if "*" in name:
                name = name.rstrip("*{}^") + "_star"
            if name not in inputs:
                alike = [n for n in inputs if skeleton(n) == skeleton(name)]
                why = (f"; it looks like the input '{alike[0]}' but is typed with other letters, "
                       f"{lookalike_letters(name) or lookalike_letters(alike[0])}") if alike else ""
                raise GradcliSyntaxError(f"'{m.group(1)}' is not an input{why}; the inputs are {listing}",
                                         text, start + m.start(1), len(m.group(1)), prefix)
            if name in given:
                raise GradcliSyntaxError(f"'{name}' is given twice", text, start + m.start(1), len(name), prefix)
            given[name] = (start + m.end(), part[m.end():])
        missing = [n for n in inputs if n not in given]
        if missing:
            raise GradcliSyntaxError(f"no value for {', '.join(missing)}; the inputs are {listing}",
                                     text, len(text), 1, prefix)
    elif arrays and len(parts) == len(names) != len(inputs) and not any("[" in p for _, p in parts):
        # every entry in the inputs' order, as a sheet gives f(x) at x = (0, 2): --at 0,2
        return {n: value(text, start, part, prefix) for n, (start, part) in zip(names, parts)}
    elif len(parts) != len(inputs):
        few = len(parts) < len(inputs)
        raise GradcliSyntaxError(f"{'only ' if few else ''}{len(parts)} value{'s' if len(parts) != 1 else ''} for "
                                 f"{len(inputs)} input{'s' if len(inputs) != 1 else ''}: the inputs are {listing}, in "
                                 "this order; or name them: " + ",".join(f"{n}=…" for n in inputs),
                                 text, len(text) if few else parts[len(inputs)][0], 1, prefix)
    else:
        given = dict(zip(inputs, parts))
    out: dict = {}
    for n in inputs:
        start, part = given[n]
        if n not in arrays:
            if arrays and part.strip().startswith("["):
                raise GradcliSyntaxError(f"'{n}' is a number in the expression, not an array", text, start,
                                         max(1, len(part)), prefix)
            out[n] = value(text, start, part, prefix)
            continue
        shape, items = _nested(text, start, part, prefix)
        if shape != arrays[n]:
            raise GradcliSyntaxError(f"'{n}' is {shape_text(arrays[n])} but this value is {shape_text(shape)}", text,
                                     start, max(1, len(part)), prefix)
        for e, (offset, item) in zip(entries[n], items):
            if not item.strip():
                raise GradcliSyntaxError("an entry is missing here", text, offset, 1, prefix)
            out[e] = value(text, offset, item, prefix)
    return {n: out[n] for n in names}


def _unwrap(text: str) -> str:
    """A point written as a tuple or a list, ``(0, 2)`` or ``[0, 2]``: the text inside its brackets, blanks in
    place of the brackets so every offset stays where it was."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if len(stripped) >= 2 and (stripped[0], stripped[-1]) in (("(", ")"), ("[", "]")):
        depth = 0
        for i, c in enumerate(stripped):
            depth += 1 if c in "([" else -1 if c in ")]" else 0
            if depth == 0 and i < len(stripped) - 1:
                return text  # (1+2)*3: the brackets do not enclose the whole text
        inner = stripped[1:-1]
        if len(split_top(inner)) > 1 or "=" in inner:
            return " " * (lead + 1) + inner
    return text


def _tree(text: str, start: int, part: str, prefix: str):
    """One value as the Expr it was typed as, checked as ``_value`` checks it."""
    from .expr import from_items

    _value(text, start, part, prefix)
    return from_items(parse_expression(part), part)


def _value(text: str, start: int, part: str, prefix: str) -> float:
    """One value: a number or a constant expression (``-2``, ``pi/4``, ``1e-3``), finite."""
    if _DECIMAL.fullmatch(part):
        value = float(part)
        if math.isfinite(value):
            return value
    try:
        items = parse_expression(part)
        value = constant_value(items, part)
        if not math.isfinite(value):
            raise GradcliSyntaxError(f"the value {part.strip()} is {value}: values must be finite (the largest "
                                     "is about 1.8e308)", part, 0, max(1, len(part)))
        return value
    except GradcliSyntaxError as e:
        # re-anchor the error in the whole option text
        raise GradcliSyntaxError(e.message, text, start + e.offset, e.length, prefix) from None
    except MathError as e:
        raise GradcliSyntaxError(f"the value {part.strip()} is undefined: {e.reason}", text, start,
                                 max(1, len(part)), prefix) from None


# --- arrays: W=[[1, 2], [3, 4]] ---------------------------------------------------------------------------------


def array_shapes(text: str | None) -> dict[str, tuple[int, int]]:
    """The shape of each value written as an array in a point, ``x=[16, -6],W=[[0.18, 0.04], [0.1, 0.22]]``: what
    makes x and W arrays in the program. Badly formed values are told when the point is bound."""
    shapes: dict[str, tuple[int, int]] = {}
    if text is None:
        return shapes
    for start, part in split_top(text):
        m = _NAMED.match(part)
        if m and part[m.end():].strip().startswith("["):
            try:
                shapes[normal_name(m.group(1))] = _nested(text, start + m.end(), part[m.end():], "")[0]
            except GradcliSyntaxError:
                continue
    return shapes


def parse_shapes(text: str | None, option: str = "--shape") -> dict[str, tuple[int, int]]:
    """``--shape W=2x3,x=3``: shapes without values (for --symbolic and check); a vector is its length."""
    shapes: dict[str, tuple[int, int]] = {}
    if text is None:
        return shapes
    for start, part in split_top(text):
        m = re.fullmatch(r"\s*([^\W\d]\w*)\s*=\s*([0-9]+)\s*(?:[x×*]\s*([0-9]+)\s*)?", part)
        if not m or int(m.group(2)) < 1 or (m.group(3) is not None and int(m.group(3)) < 1):
            raise GradcliSyntaxError("give each shape as name=rows x columns, or name=length for a vector: "
                                     "--shape W=2x3,x=3", text, start, max(1, len(part)), option + " ")
        rows, cols = int(m.group(2)), int(m.group(3) or 1)
        shapes[normal_name(m.group(1))] = (rows, cols)
    return shapes


def _nested(text: str, start: int, part: str, prefix: str) -> tuple[tuple[int, int], list[tuple[int, str]]]:
    """An array value, ``[1, 2]`` (a column) or ``[[1, 2], [3, 4]]`` (row by row): its shape, and each entry's
    offset in ``text`` and text."""
    lead = len(part) - len(part.lstrip())
    body = part.strip()

    def inner(offset: int, s: str) -> list[tuple[int, str]]:
        if not (s.startswith("[") and s.endswith("]")):
            raise GradcliSyntaxError("an array is written in brackets, [1, 2] or [[1, 2], [3, 4]]", text, offset,
                                     max(1, len(s)), prefix)
        return [(offset + 1 + k, p) for k, p in split_top(s[1:-1])]

    rows = inner(start + lead, body)
    nested = [p.strip().startswith("[") for _, p in rows]
    if not any(nested):
        return (len(rows), 1), rows
    entries: list[tuple[int, str]] = []
    width = None
    for (offset, p), is_row in zip(rows, nested):
        pad = len(p) - len(p.lstrip())
        if not is_row:
            raise GradcliSyntaxError("a matrix is written row by row, [[1, 2], [3, 4]]; this entry is not a row",
                                     text, offset + pad, max(1, len(p.strip())), prefix)
        row = inner(offset + pad, p.strip())
        if width is not None and len(row) != width:
            raise GradcliSyntaxError(f"this row has {len(row)} entries where the first has {width}", text,
                                     offset + pad, len(p.strip()), prefix)
        width = len(row)
        entries += row
    return (len(rows), width or 0), entries


def sample_point(names, rng) -> dict[str, float]:
    """A point to try a formula at, drawn from ``rng`` (a random.Random): half over the reals, half over positive
    numbers (where log and sqrt are defined), three decimals each so the point prints short."""
    if rng.random() < 0.5:
        return {n: round(rng.uniform(-2.0, 2.0), 3) for n in names}
    return {n: round(rng.uniform(0.05, 3.0), 3) for n in names}
