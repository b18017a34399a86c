"""One printer for every format: an Expr as plain text, as the terminal's Unicode or ASCII, or as LaTeX.

Precedence and parentheses are decided here, once; a Style only spells: names, marks, numbers,
operators and calls. The tree is walked with an explicit stack, so any depth prints.

A negative number or a negation is put in parentheses wherever it is not the first term of a sum:
``0.5 + (-0.5)``, ``(-1)·2``, ``(-2)**2``, ``x**(-1)``.
"""

from __future__ import annotations

import math
import unicodedata
from typing import NamedTuple

from .expr import (APPROX, EQ, EXACT, GRAD, GROUP, INDEXED, LIST, MARK, MORE, NAME, NUM, OUT, PARTIAL, PARTIAL2, SLOT,
                   SUMOVER, VECTOR, Expr)
from .ops import OPS, fmt

SUM, PROD, NEG, POW, CALL, ATOM = 1, 2, 3, 4, 8, 9


def digit_count(n: int) -> int:
    """How many decimal digits the integer n has, give or take one, without writing them."""
    return max(1, int(abs(n).bit_length() * 0.30103) + 1)


class Part(NamedTuple):
    """A printed subexpression: its text, its precedence, and whether it starts with a minus sign."""

    text: str
    prec: int
    minus: bool = False
    number: bool = False  # one number (a negative one goes in parentheses as any factor: (-1)·2)


def rounded(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, as short as that allows: 0.6931471805599453 -> 0.6931 (4)."""
    if x != x or x in (float("inf"), float("-inf")) or x == 0:
        return fmt(x)
    text = f"{x:.{digits}g}"
    return fmt(float(text)) if "e" not in text else text


def mark_letter(name: str, accent: str) -> str:
    """A name with a combining accent on its first letter, for every name alike: ċ3, c̄3, ȳ, θ̄0, p̄hi1 (the
    adjoint of phi1), l̄oss. A terminal can put an accent on one character only; LaTeX draws it over the
    whole stem."""
    i = next((k for k, c in enumerate(name) if c.isalpha()), 0)
    j = i + 1
    while j < len(name) and unicodedata.combining(name[j]):
        j += 1  # after the letter's own accents
    return unicodedata.normalize("NFC", name[:j] + accent + name[j:])


class Style:
    """Plain text in gradcli's own language: what JSON and DOT show, and what reads back as the same tree."""

    times = "*"
    power = "**"
    partial_sign = "d"
    nabla = "grad "
    ellipsis = "..."
    approx = "~"
    full_digits = 4000  # an exact number with more digits is shown by its size (Python writes at most 4300)

    def __init__(self, digits: int = 0) -> None:
        self.digits = digits

    def fmt(self, x: float) -> str:
        return fmt(x) if not self.digits else rounded(x, self.digits)

    def number(self, value: float, text: str | None) -> Part:
        s = text if text is not None and not self.digits else self.fmt(value)
        return Part(s, NEG if s.startswith("-") else ATOM, s.startswith("-"), True)

    def name(self, n: str) -> str:
        return n

    def mark(self, accent: str, n: str) -> str:
        return f"{n}_bar_dot" if accent == "bardot" else f"{n}_{accent}"

    def paren(self, text: str) -> str:
        return f"({text})"

    def mul(self, a: str, b: str) -> Part:
        return Part(f"{a}{self.times}{b}", PROD)

    def div(self, a: Part, b: Part) -> Part:
        return Part(f"{self.lead(a)}/{self.wrap(b, PROD + 1)}", PROD, a.minus and not a.number)

    def pow(self, a: Part, b: Part) -> Part:
        return Part(f"{self.wrap(a, POW + 1)}{self.power}{self.wrap(b, POW)}", POW)

    def call(self, op: str, args: list[Part]) -> Part:
        if op == "logb":
            return Part(f"log({args[0].text}, {args[1].text})", CALL)
        spec = OPS.get(op)
        return Part(f"{spec.names[0] if spec is not None and spec.names else op}({', '.join(a.text for a in args)})",
                    CALL)

    def partial(self, a: str, b: str) -> Part:
        d = self.partial_sign
        return Part(f"{d}{a}/{d}{b}", PROD)

    def partial2(self, a: str, b: str, c: str) -> Part:
        d = self.partial_sign
        square = "²" if d == "∂" else "2"
        return Part(f"{d}{square}{a}/{d}{b}{d}{c}", PROD)

    def grad(self, f: str, args: list[str]) -> Part:
        return Part(f"{self.nabla}{f}({', '.join(args)})" if args else f"{self.nabla}{f}", CALL)

    def more(self, n: int, mode: str) -> str:
        """What stands for what is left out: of a sum's terms in a rule ("terms"), in its numbers ("numbers"),
        of a list ("list")."""
        if mode == "terms":
            return f"{self.ellipsis} ({n} more terms)"
        return f"{self.ellipsis} {n} more" if mode == "list" else self.ellipsis

    def exact(self, value) -> Part:
        """An exact value sympy gave in a form gradcli has no op for (gradcli/symbolic.py makes every other form
        an Expr): sympy's own text of it; a fraction too long to write (a double cannot hold it) by its size."""
        if getattr(value, "is_Rational", False):
            return self.big(int(value.p), int(value.q))
        return Part(str(value), SUM)

    def big(self, p: int, q: int) -> Part:
        """The fraction p/q in full where it has at most ``full_digits`` digits, else ``≈1.2346·10^30103``: its
        size from logarithms, never from its decimal digits (writing those takes time growing as their square)."""
        minus = p < 0
        if digit_count(p) + digit_count(q) <= self.full_digits:
            text = str(p) if q == 1 else f"{p}/{q}"
            return Part(text, PROD if q != 1 else NEG if minus else ATOM, minus, True)
        size = math.log10(abs(p)) - math.log10(q)
        exponent = math.floor(size)
        mantissa = f"{10 ** (size - exponent):.5g}"
        if mantissa == "10":
            mantissa, exponent = "1", exponent + 1
        return Part(self.about(("-" if minus else "") + mantissa, exponent), SUM, minus)

    def about(self, mantissa: str, exponent: int) -> str:
        """A number known by its size: ``~1.2346*10**30103``."""
        lead = "" if mantissa in ("1", "-1") else mantissa + self.times
        return f"{self.approx}{lead}{'-' if mantissa == '-1' else ''}10{self.power}{exponent}"

    def wrap(self, p: Part, below: int) -> str:
        """An operand in parentheses where its precedence is below ``below`` or it starts with a minus."""
        return self.paren(p.text) if p.prec < below or p.minus else p.text

    def lead(self, p: Part) -> str:
        """The first factor of a product or quotient: a negation needs no parentheses there (-c1/c2**2 is
        (-c1)/c2**2), a negative number does, as every number factor ((-1)·2)."""
        return self.paren(p.text) if p.prec < PROD or (p.minus and p.number) else p.text

    # the printer itself: one loop over the tree
    def part(self, e: Expr, slots: list[Part] | None = None) -> Part:
        """The tree printed; ``slots``: the parts that slot k of a rule or a body stands for."""
        stack: list[tuple[Expr, bool]] = [(e, False)]
        done: list[Part] = []
        while stack:
            x, visited = stack.pop()
            if x.args and not visited:
                stack.append((x, True))
                stack.extend((a, False) for a in reversed(x.args))
                continue
            n = len(x.args)
            parts = done[-n:] if n else []
            if n:
                del done[-n:]
            if n:
                done.append(self.combine(x, parts))
            else:
                done.append(slots[x.leaf] if slots is not None and x.op == SLOT else self.leaf(x))
        return done[0]

    def text(self, e: Expr) -> str:
        return self.part(e).text

    def leaf(self, x: Expr) -> Part:
        op = x.op
        if op == NUM:
            return self.number(*x.leaf)
        if op == NAME:
            return Part(self.name(x.leaf), ATOM)
        if op == MARK:
            return Part(self.mark(*x.leaf), ATOM)
        if op == MORE:
            return Part(self.more(*x.leaf), ATOM)
        if op == EXACT:
            return self.exact(x.leaf)
        if op == SLOT:
            return Part("{%d}" % x.leaf, ATOM)
        if op == OUT:
            return Part("{out}", ATOM)
        if op == "ones":  # the vector of ones, as long as the context needs
            return Part(self.ones, ATOM)
        if op in (LIST, VECTOR):  # empty
            return Part("[]" if op == VECTOR else "", ATOM)
        raise ValueError(f"no way to print a leaf {op!r}")

    def combine(self, x: Expr, p: list[Part]) -> Part:
        op = x.op
        if op == "add":
            return Part(f"{p[0].text} + {self.wrap(p[1], SUM)}", SUM, p[0].minus)
        if op == "sub":
            return Part(f"{p[0].text} - {self.wrap(p[1], SUM + 1)}", SUM, p[0].minus)
        if op == "mul":  # a quotient as a factor in parentheses, c̄14·(1/c13), where it is written inline
            a = self.paren(p[0].text) if p[0].prec < PROD + (x.args[0].op == "div") else self.lead(p[0])
            part = self.mul(a, self.wrap(p[1], PROD + (x.args[1].op == "div")))
            return part._replace(minus=p[0].minus and not p[0].number)
        if op == "div":
            return self.div(p[0], p[1])
        if op == "pow":
            return self.pow(p[0], p[1])
        if op == "neg":
            inner = x.args[0]
            if inner.op == NUM and not p[0].minus:  # -2e-20 is one negative number
                value, text = inner.leaf
                return self.number(-value, None if text is None else "-" + text)
            wrapped = self.paren(p[0].text) if p[0].prec < PROD or p[0].minus else p[0].text
            return Part(f"-{wrapped}", NEG, True)
        if op == "copy":
            return p[0]
        if op == GROUP:
            return p[0] if p[0].prec >= CALL and not p[0].minus else Part(self.paren(p[0].text), ATOM)
        if op == EQ:
            return Part(" = ".join(a.text for a in p), 0)
        if op == APPROX:
            return Part(f" {self.approx} ".join(a.text for a in p), 0)
        if op == PARTIAL:
            return self.partial(p[0].text, p[1].text)
        if op == PARTIAL2:
            return self.partial2(p[0].text, p[1].text, p[2].text)
        if op == GRAD:
            return self.grad(p[0].text, [a.text for a in p[1:]])
        if op == VECTOR:
            return Part(f"[{', '.join(a.text for a in p)}]", ATOM)
        if op == LIST:
            return Part(", ".join(a.text for a in p), 0)
        if op == SUMOVER:
            return self.sum_over(x.leaf, self.wrap(p[0], PROD))
        if op == INDEXED:
            return self.indexed(self.wrap(p[0], ATOM), x.leaf)
        if op == "matmul":
            return Part(f"{self.wrap(p[0], PROD)}{self.matmul_sign}{self.wrap(p[1], PROD + 1)}", PROD)
        if op == "cdot":
            return Part(f"{self.wrap(p[0], PROD)}{self.times}{self.wrap(p[1], PROD + 1)}", PROD)
        if op == "transpose":
            return Part(self.transposed(self.wrap(p[0], CALL)), CALL)
        if op == "index":
            return Part(self.entry(self.wrap(p[0], CALL), [a.text for a in p[1:]]), CALL)
        if op == "array":
            rows = [[self.text(a) for a in r.args] if r.op == "array" else None for r in x.args]
            return Part(self.array(rows, [a.text for a in p]), ATOM)
        if op == "hadamard":  # the entrywise product: ⊙
            return Part(f"{self.wrap(p[0], PROD)}{self.hadamard_sign}{self.wrap(p[1], PROD + 1)}", PROD)
        if op == "shaped":  # a row's left side with its shape: W̄2 (2×3)
            return Part(self.shaped(p[0].text, x.leaf), 0)
        spec = OPS.get(op)
        if spec is not None and spec.inline is not None:  # a step kept as written: its body, operands put in
            return self.part(spec.inline, p)
        return self.call(op, p)

    hadamard_sign = " * "
    ones = "ones"

    def shaped(self, body: str, shape) -> str:
        return f"{body} ({shape[0]}x{shape[1]})"

    matmul_sign = " @ "

    def transposed(self, body: str) -> str:
        return body + ".T"

    def entry(self, body: str, indices: list[str]) -> str:
        return f"{body}[{', '.join(indices)}]"

    def array(self, rows: list, texts: list[str]) -> str:
        """``[a, b]``, or a matrix row by row; ``rows`` holds each row's entries where the rows are arrays."""
        return f"[{', '.join(texts)}]"

    def sum_over(self, index: str, body: str) -> Part:
        return Part(f"sum_{index} {body}", PROD)

    def indexed(self, body: str, index: str) -> Part:
        return Part(f"{body}_{index}", ATOM)


class TextStyle(Style):
    """The terminal's and Markdown's: products as ·, marks over the name's first letter, ∂ and ∇; or, with
    ``unicode`` off, plain ASCII (c3_dot, c3_bar, *, d, grad)."""

    full_digits = 40  # a table's cell; JSON's exact strings (the plain Style) keep up to 4000

    def __init__(self, unicode: bool = True, digits: int = 0) -> None:
        super().__init__(digits)
        self.unicode = unicode
        if unicode:
            self.times, self.partial_sign, self.nabla, self.ellipsis, self.approx = "·", "∂", "∇", "…", "≈"
            self.hadamard_sign, self.ones = " ⊙ ", "𝟙"

    def mark(self, accent: str, n: str) -> str:
        if not self.unicode:
            return f"{n}_bar_dot" if accent == "bardot" else f"{n}_{accent}"
        return mark_letter(n, _ACCENTS[accent])

    def transposed(self, body: str) -> str:
        return body + ("ᵀ" if self.unicode else ".T")

    def shaped(self, body: str, shape) -> str:
        return f"{body} ({shape[0]}×{shape[1]})" if self.unicode else super().shaped(body, shape)

    def sum_over(self, index: str, body: str) -> Part:
        if not self.unicode:
            return super().sum_over(index, body)
        return Part(f"Σ{_SUBSCRIPT.get(index, '_' + index)} {body}", PROD)

    def indexed(self, body: str, index: str) -> Part:
        if not self.unicode:
            return super().indexed(body, index)
        if index and all(c in _SUBSCRIPT for c in index):  # Hⱼₖ
            return Part(body + "".join(_SUBSCRIPT[c] for c in index), ATOM)
        return Part(body + "_" + index, ATOM)


_SUBSCRIPT = {"i": "ᵢ", "j": "ⱼ", "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ", "p": "ₚ", "r": "ᵣ", "s": "ₛ",
              "t": "ₜ", "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈",
              "9": "₉"}


_ACCENTS = {"dot": "\u0307", "bar": "\u0304", "bardot": "\u0304\u0307"}  # bardot: the tangent of an adjoint


PLAIN = Style()
