"""The worked-solution rows shared by the text renderers: ``c̄1 = c̄3·exp(c1) + c̄4·2·c1 = 64·1 + 48·0 = 64``.

Rows are built from a Trace's numbers and the op table's rule texts; nothing is differentiated here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from ..graph import Graph
from ..ops import OPS, define, fmt
from ..trace import Sweep, Trace
from .layout import MATH_CLOSE, MATH_OPEN

_STAR = re.compile(r"(?<!\*)\*(?!\*)")
_TO_ASCII = str.maketrans({"·": "*", "∂": "d", "∇": "grad ", "…": "...", "±": "+/-", "−": "-"})


def rounded(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, as short as that allows: 0.6931471805599453 -> 0.6931 (4)."""
    if x != x or x in (float("inf"), float("-inf")) or x == 0:
        return fmt(x)
    text = f"{x:.{digits}g}"
    if "e" not in text and "." not in text and abs(x) >= 1e16:
        return text
    return fmt(float(text)) if "e" not in text else text


def mark(name: str, accent: str) -> str:
    """A name with a combining accent on its first letter, for every name alike: ċ3, c̄3, ȳ, θ̄0, p̄hi1 (the
    adjoint of phi1), l̄oss. A terminal can put an accent on one character only; LaTeX draws it over the
    whole stem."""
    i = next((k for k, c in enumerate(name) if c.isalpha()), 0)
    j = i + 1
    while j < len(name) and unicodedata.combining(name[j]):
        j += 1  # after the letter's own accents
    return unicodedata.normalize("NFC", name[:j] + accent + name[j:])


class Notation:
    """How the rows are written: Unicode (ċ3, c̄3, ·, ∇, ∂) or plain ASCII (c3_dot, c3_bar, *, grad, d).

    Expressions arrive in gradcli's own language (``exp(c1)``, ``2*c1``, ``c6**3``); a notation
    decides how they look. The LaTeX renderer brings a notation of its own.
    """

    __slots__ = ("unicode", "digits")

    def __init__(self, unicode: bool = True, digits: int = 0) -> None:
        self.unicode = unicode
        self.digits = digits  # significant digits shown (--digits); 0: every digit of the double

    def name(self, node_id: str) -> str:
        return node_id

    def dot(self, name: str) -> str:
        return mark(name, "\u0307") if self.unicode else f"{name}_dot"

    def bar(self, name: str) -> str:
        return mark(name, "\u0304") if self.unicode else f"{name}_bar"

    def generic(self, kind: str) -> str:
        """The i-th node, tangent or adjoint in general (kind "c", "dot", "bar"): ci, ċi, c̄i."""
        if kind == "c":
            return "ci"
        if not self.unicode:
            return f"ci_{kind}"
        return ("ċ" if kind == "dot" else "c̄") + "i"

    def inline(self, math: str) -> str:
        """Mathematics inside a line of prose: marked, so the terminal's line breaking keeps it whole."""
        return f"{MATH_OPEN}{math}{MATH_CLOSE}"

    def command(self, text: str) -> str:
        """A shell command in prose, kept on one line."""
        return f"{MATH_OPEN}{text}{MATH_CLOSE}"

    def code(self, text: str) -> str:
        """A program or expression as the user typed it (its steps joined by "; "): each step kept whole on
        a line where it fits, broken as a formula where it does not."""
        text = text if self.unicode else text.translate(_TO_ASCII)
        return "; ".join(f"{MATH_OPEN}{step}{MATH_CLOSE}" for step in text.split("; "))

    def text(self, text: str) -> str:
        """Prose that may hold any character (warnings)."""
        return text if self.unicode else text.translate(_TO_ASCII)

    def short(self, source: str) -> bool:
        """Whether the source is shown as a formula rather than as typed."""
        return False

    def expr(self, text: str) -> str:
        """An expression, with products written · rather than * (powers keep **)."""
        return _STAR.sub("·", text) if self.unicode else text

    def factor(self, text: str) -> str:
        """An expression as a factor of a product: in parentheses when it has a top-level + - / or leading minus."""
        text = self.expr(text)
        depth = 0
        for i, c in enumerate(text):
            if c in "([":
                depth += 1
            elif c in ")]":
                depth -= 1
            elif depth == 0 and (c in "+/" or (c == "-" and (i == 0 or text[i - 1] != "e"))):
                return f"({text})"
        return text

    def fmt(self, x: float) -> str:
        """A number as text: in full, or rounded to ``digits`` significant digits."""
        return fmt(x) if not self.digits else rounded(x, self.digits)

    def number(self, x: float) -> str:
        return self.fmt(x)

    def num(self, x: float) -> str:
        """A number as a factor: negative numbers in parentheses."""
        s = self.number(x)
        return f"({s})" if s.startswith("-") else s

    def note(self, text: str) -> str:
        return f"({text})"

    def more(self, n: int) -> tuple[str, str]:
        """What stands for the terms of a long sum that are not shown: in the rule, in the numbers."""
        return f" + {self.ellipsis} ({n} more terms)", f" + {self.ellipsis}"

    @property
    def times(self) -> str:
        return "·" if self.unicode else "*"

    @property
    def d(self) -> str:
        return "∂" if self.unicode else "d"

    @property
    def nabla(self) -> str:
        return "∇" if self.unicode else "grad "

    @property
    def ellipsis(self) -> str:
        return "…" if self.unicode else "..."


class Row(NamedTuple):
    """One line of a trace: ``lhs = rule = numbers = value``, or ``lhs (note) = value`` for seeds and inputs."""

    lhs: str
    rule: str
    numbers: str
    value: str
    note: bool = False
    gap: bool = False  # the line that stands for the rows left out (--max-rows); its text is in value


def _sum(terms: list[tuple[bool, str, str]], nt: Notation, max_terms: int = 0) -> tuple[str, str]:
    """Join (negated, symbols, numbers) terms into ``a + b - c`` for both the rule and the numbers.

    With ``max_terms`` > 0, a longer sum shows its first terms and how many more there are.
    """
    rule, numbers = [], []
    more = len(terms) - max_terms if 0 < max_terms < len(terms) else 0
    for n, (neg, sym, nums) in enumerate(terms[: len(terms) - more]):
        if n == 0:
            rule.append(f"-{sym}" if neg else sym)
            # a lone leading number needs no parentheses: "-3 + 4", not "(-3) + 4"
            bare = nums[1:-1] if _LONE_NEGATIVE.fullmatch(nums) else nums
            numbers.append(f"-{nums}" if neg else bare)
        else:
            rule.append(f" - {sym}" if neg else f" + {sym}")
            numbers.append(f" - {nums}" if neg else f" + {nums}")
    if more:
        in_rule, in_numbers = nt.more(more)
        rule.append(in_rule)
        numbers.append(in_numbers)
    return "".join(rule), "".join(numbers)


_LONE_NEGATIVE = re.compile(r"\(-[^()·*\\]+\)")


def _term(rule: str, sym: str, sym_first: bool, factor_value: float, partial: float,
          nt: Notation) -> tuple[bool, str, str]:
    """One chain-rule term: partial·tangent (forward, ``sym_first`` False) or adjoint·partial (reverse)."""
    if rule in ("1", "-1"):
        return rule == "-1", sym, nt.num(factor_value)
    p = nt.factor(rule)
    x = nt.times
    if sym_first:
        return False, f"{sym}{x}{p}", f"{nt.num(factor_value)}{x}{nt.num(partial)}"
    return False, f"{p}{x}{sym}", f"{nt.num(partial)}{x}{nt.num(factor_value)}"


def _row(lhs: str, rule: str, numbers: str, value: float, nt: Notation) -> Row:
    v = nt.number(value)
    if numbers == v or numbers == rule:
        numbers = ""
    return Row(lhs, rule, numbers, v)


def evaluation_row(trace: Trace, i: int, nt: Notation) -> Row:
    """``c3 = exp(c1) = exp(0) = 1``: a node's definition, with the numbers put in, and its value."""
    graph, values = trace.graph, trace.values
    assert values is not None
    node = graph.nodes[i]
    if node.op == "input":
        named = node.expr != node.id  # "c1 = x1"; in a program the input keeps its name
        rule = nt.expr(node.expr) if named else nt.note("input")
        return Row(nt.name(node.id), rule, "", nt.number(values[i]), note=not named)
    numbers = define(OPS[node.op], tuple(nt.fmt(values[a]) if type(a) is int else a.label for a in node.args))
    return _row(nt.name(node.id), nt.expr(node.expr), nt.expr(numbers), values[i], nt)


def tangent_row(trace: Trace, sweep: Sweep, i: int, nt: Notation, max_terms: int = 0) -> Row:
    """``ċ8 = c7·ċ3 + c3·ċ7 = 64·1 + 1·0 = 64``: a node's tangent in one forward sweep."""
    graph, partials = trace.graph, trace.partials
    assert partials is not None
    t = sweep.tangents
    node = graph.nodes[i]
    if node.op == "input":
        return Row(nt.dot(node.id), nt.note("seed"), "", nt.number(t[i]), note=True)
    terms = [_term(graph.rule(i, k), nt.dot(graph.nodes[a].id), False, t[a], partials[i][k], nt)
             for k, a in enumerate(node.args) if type(a) is int]
    rule, numbers = _sum(terms, nt, max_terms)
    return _row(nt.dot(node.id), rule, numbers, t[i], nt)


def adjoint_row(trace: Trace, j: int, nt: Notation, max_terms: int = 0) -> Row:
    """``c̄1 = c̄3·exp(c1) + c̄4·2·c1 = 64·1 + 48·0 = 64``: one term per edge to a consumer."""
    graph, partials, adj = trace.graph, trace.partials, trace.adjoints
    assert partials is not None and adj is not None
    out = graph.output
    lhs = nt.bar(graph.nodes[j].id)
    if j == out:
        return Row(lhs, nt.note("seed"), "", nt.number(adj[j]), note=True)
    terms = [_term(graph.rule(i, k), nt.bar(graph.nodes[i].id), True, adj[i], partials[i][k], nt)
             for i, k in graph.consumers[j] if i <= out]
    if not terms:
        return Row(lhs, nt.note("no path to the output"), "", nt.number(adj[j]), note=True)
    rule, numbers = _sum(terms, nt, max_terms)
    return _row(lhs, rule, numbers, adj[j], nt)


def source_text(graph: Graph, limit: int = 240) -> str:
    """The program on one line, steps joined by '; ' (a comma or full stop that ended a step left out),
    shortened if long."""
    code = re.sub(r"#[^\n]*", "", graph.source)
    steps = [_unstop(" ".join(step.split())) for step in re.split(r"[;\n]", code)]
    text = "; ".join(step for step in steps if step)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unstop(step: str) -> str:
    """A step without the comma or full stop that ended it: "exp[x]," and "f4 + f5." but not the number "2."."""
    if step.endswith(",") or (step.endswith(".") and not _NUMBER_END.search(step[:-1])):
        return step[:-1].rstrip()
    return step


_NUMBER_END = re.compile(r"(?:^|[^\w.])[0-9]+$")
