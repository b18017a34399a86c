"""Points and directions: ``--at 0,2`` or ``--at x1=0,x2=pi/4`` bound to a graph's inputs."""

from __future__ import annotations

import math
import re

from ..errors import GradcliError, GradcliSyntaxError, MathError
from .graph import constant_value
from .parse import lookalike_letters, normal_name, parse_expression, skeleton

_NAMED = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")


def split_top(text: str) -> list[tuple[int, str]]:
    """Split at commas outside parentheses: ``log(8, 2),1`` -> two parts, with their offsets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append((start, text[start:i]))
            start = i + 1
    parts.append((start, text[start:]))
    return parts


def bind(text: str | None, names: tuple[str, ...], option: str = "--at", trees: bool = False) -> dict:
    """Values for every input, in the inputs' order; errors list the inputs and point at the culprit. With
    ``trees``, each value's Expr as typed (0.1 stays the decimal 0.1, pi stays pi), for exact work."""
    value = _tree if trees else _value
    listing = ", ".join(names)
    prefix = f"{option} "
    if text is None or not text.strip():
        example = ",".join("0" for _ in names)
        named = ",".join(f"{n}=0" for n in names)
        raise GradcliError(f"{option} needs a value for each input ({listing}): e.g. {option} {example} "
                           f"or {option} {named}")
    parts = split_top(_unwrap(text))
    for start, part in parts:
        if not part.strip():
            raise GradcliSyntaxError(f"a value is missing here; give one value per input ({listing})",
                                     text, start, 1, prefix)
    named = [_NAMED.match(p) for _, p in parts]
    values: dict = {}
    if any(named):
        for (start, part), m in zip(parts, named):
            if not m:
                raise GradcliSyntaxError(f"give every value a name (name=value) or none; the inputs are {listing}",
                                         text, start, max(1, len(part)), prefix)
            name = normal_name(m.group(1))
            if name not in names:
                alike = [n for n in names if skeleton(n) == skeleton(name)]
                why = (f"; it looks like the input '{alike[0]}' but is typed with other letters, "
                       f"{lookalike_letters(name) or lookalike_letters(alike[0])}") if alike else ""
                raise GradcliSyntaxError(f"'{m.group(1)}' is not an input{why}; the inputs are {listing}",
                                         text, start + m.start(1), len(m.group(1)), prefix)
            if name in values:
                raise GradcliSyntaxError(f"'{name}' is given twice", text, start + m.start(1), len(name), prefix)
            values[name] = value(text, start + m.end(), part[m.end():], prefix)
        missing = [n for n in names if n not in values]
        if missing:
            raise GradcliSyntaxError(f"no value for {', '.join(missing)}; the inputs are {listing}",
                                     text, len(text), 1, prefix)
        return {n: values[n] for n in names}
    if len(parts) != len(names):
        few = len(parts) < len(names)
        raise GradcliSyntaxError(f"{'only ' if few else ''}{len(parts)} value{'s' if len(parts) != 1 else ''} for "
                                 f"{len(names)} input{'s' if len(names) != 1 else ''}: the inputs are {listing}, in "
                                 "this order; or name them: " + ",".join(f"{n}=…" for n in names),
                                 text, len(text) if few else parts[len(names)][0], 1, prefix)
    return {n: value(text, start, part, prefix) for n, (start, part) in zip(names, parts)}


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
