"""Points and directions: ``--at 0,2`` or ``--at x1=0,x2=pi/4`` bound to a graph's inputs."""

from __future__ import annotations

import re

from .errors import GradcliError, GradcliSyntaxError, MathError
from .graph import constant_value
from .parse import parse_expression

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


def bind(text: str | None, names: tuple[str, ...], option: str = "--at") -> dict[str, float]:
    """Values for every input, in the inputs' order; errors list the inputs and point at the culprit."""
    listing = ", ".join(names)
    prefix = f"{option} "
    if text is None or not text.strip():
        example = ",".join("0" for _ in names)
        named = ",".join(f"{n}=0" for n in names)
        raise GradcliError(f"{option} needs a value for each input ({listing}): e.g. {option} {example} "
                           f"or {option} {named}")
    parts = split_top(text)
    for start, part in parts:
        if not part.strip():
            raise GradcliSyntaxError(f"a value is missing here; give one value per input ({listing})",
                                     text, start, 1, prefix)
    named = [_NAMED.match(p) for _, p in parts]
    values: dict[str, float] = {}
    if any(named):
        for (start, part), m in zip(parts, named):
            if not m:
                raise GradcliSyntaxError(f"give every value a name (name=value) or none; the inputs are {listing}",
                                         text, start, max(1, len(part)), prefix)
            name = m.group(1)
            if name not in names:
                raise GradcliSyntaxError(f"'{name}' is not an input; the inputs are {listing}",
                                         text, start + m.start(1), len(name), prefix)
            if name in values:
                raise GradcliSyntaxError(f"'{name}' is given twice", text, start + m.start(1), len(name), prefix)
            values[name] = _value(text, start + m.end(), part[m.end():], prefix)
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
    return {n: _value(text, start, part, prefix) for n, (start, part) in zip(names, parts)}


def _value(text: str, start: int, part: str, prefix: str) -> float:
    """One value: a number or a constant expression (``-2``, ``pi/4``, ``1e-3``)."""
    try:
        items = parse_expression(part)
        return constant_value(items, part)
    except GradcliSyntaxError as e:
        # re-anchor the error in the whole option text
        raise GradcliSyntaxError(e.message, text, start + e.offset, e.length, prefix) from None
    except MathError as e:
        raise GradcliSyntaxError(f"the value {part.strip()} is undefined: {e.reason}", text, start,
                                 max(1, len(part)), prefix) from None
