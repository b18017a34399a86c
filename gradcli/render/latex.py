"""LaTeX for answer keys: each table of steps an align* environment, formulas typeset from gradcli's syntax.

Formulas arrive as text in gradcli's own expression language (``c1**2``, ``exp(c1)*c7``); they
are parsed by gradcli's parser and laid out from the postfix tree with an explicit stack.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ..errors import GradcliSyntaxError
from ..ops import OPS, fmt
from ..parse import parse_expression
from ..trace import Trace
from .document import Block, Grid, Steps
from .rows import Notation, Row

ADD, MUL, NEG, POW, FUNC, ATOM = 1, 2, 3, 4, 8, 9
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
         "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta",
         "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "varepsilon", "vartheta",
         "varpi", "varrho", "varsigma", "varphi"}
# Letters a name may hold, in math. Greek capitals that look Latin are the Latin letter, upright like \Gamma.
# Unicode's symbol forms of Greek letters (ϑ ϕ ϖ ϱ ϵ) and the final ς are TeX's \var forms; the letters
# themselves (θ φ π ρ ε σ) its plain ones; so two names that differ in that letter still differ in print.
_MATH_LETTERS = dict(zip("αβγδεζηθικλμνξοπρςστυφχψω", (
    r"\alpha \beta \gamma \delta \epsilon \zeta \eta \theta \iota \kappa \lambda \mu \nu \xi o \pi \rho "
    r"\varsigma \sigma \tau \upsilon \phi \chi \psi \omega").split()))
_MATH_LETTERS.update(zip("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", (
    r"\mathrm{A} \mathrm{B} \Gamma \Delta \mathrm{E} \mathrm{Z} \mathrm{H} \Theta \mathrm{I} \mathrm{K} "
    r"\Lambda \mathrm{M} \mathrm{N} \Xi \mathrm{O} \Pi \mathrm{P} \Sigma \mathrm{T} \Upsilon \Phi \mathrm{X} "
    r"\Psi \Omega").split()))
_MATH_LETTERS.update({"ϑ": r"\vartheta", "ϕ": r"\varphi", "ϖ": r"\varpi", "ϱ": r"\varrho", "ϵ": r"\varepsilon",
                      "ϴ": r"\Theta", "ϒ": r"\Upsilon", "µ": r"\mu", "ı": r"\imath", "ȷ": r"\jmath", "ℓ": r"\ell",
                      "ℏ": r"\hbar", "℘": r"\wp", "ℜ": r"\Re", "ℑ": r"\Im", "א": r"\aleph"})
# combining marks: as math accents, and as the text accents OT1 has (i and j lose their dot under one above)
_MATH_ACCENTS = {"\u0300": r"\grave", "\u0301": r"\acute", "\u0302": r"\hat", "\u0303": r"\tilde",
                 "\u0304": r"\bar", "\u0306": r"\breve", "\u0307": r"\dot", "\u0308": r"\ddot",
                 "\u030a": r"\mathring", "\u030c": r"\check", "\u0342": r"\tilde"}
_TEXT_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
                 "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d",
                 "\u0327": "c", "\u0331": "b"}
_BELOW = {"\u0323", "\u0327", "\u0331"}
_TEXT_LETTERS = {"ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "œ": r"\oe{}", "Œ": r"\OE{}", "ø": r"\o{}",
                 "Ø": r"\O{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}", "ȷ": r"\j{}"}
_NUMBER = re.compile(r"(-?[0-9.]+)[eE]([+-]?[0-9]+)")
# Prose must print the characters it holds, in the OT1 fonts of any LaTeX: OT1 has no < > | " \ { } glyphs
# where ASCII has them, makes ligatures of -- `` '' !` ?`, and its ' ` ^ ~ are curly quotes and accents. So
# each such character comes from a font that has it (OML < >, OMS | \ { }, typewriter ' ` " ^ _ ~), and
# nothing needs T1 or TS1, which texlive-latex-base has only as METAFONT sources. Dashes, curly quotes and
# accented letters are set in roman even inside \texttt, whose OT1 layout has other glyphs in their places.
_TEXT = {"&": r"\&", "%": r"\%", "$": r"$\$$", "#": r"\#", "{": r"\{", "}": r"\}", "\\": r"\textbackslash{}",
         "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "_": r"\texttt{\char95}",
         "^": r"\texttt{\char94}", "~": r"\texttt{\char126}", "'": r"\texttt{\char13}", "`": r"\texttt{\char18}",
         '"': r"\texttt{\char34}", "\n": " ", "\t": " ", "\r": " ",
         "∂": r"$\partial$", "·": r"$\cdot$", "∇": r"$\nabla$", "…": r"\dots{}", "±": r"$\pm$", "×": r"$\times$",
         "−": r"$-$", "≤": r"$\leq$", "≥": r"$\geq$", "≠": r"$\neq$", "≈": r"$\approx$", "→": r"$\to$",
         "←": r"$\leftarrow$", "∞": r"$\infty$", "√": r"$\surd$", "′": r"$'$", "°": r"$^{\circ}$",
         "–": r"{\rmfamily--}", "—": r"{\rmfamily---}", "‘": r"{\rmfamily`}", "’": r"{\rmfamily'}",
         "“": r"{\rmfamily``}", "”": r"{\rmfamily''}", "¡": r"{\rmfamily!`}", "¿": r"{\rmfamily?`}",
         "§": r"$\S$", "¶": r"$\P$"}
# private-use characters that mark LaTeX already made (formulas, escaped text) inside a line of prose
_READY, _DONE = "\ue000", "\ue001"


def _code_point(cluster: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in cluster)


def _clusters(text: str) -> list[str]:
    """Each character with the combining marks that follow it."""
    out: list[str] = []
    for c in text:
        if out and unicodedata.category(c) in ("Mn", "Mc", "Me"):
            out[-1] += c
        else:
            out.append(c)
    return out


def _math_glyph(cluster: str) -> str | None:
    """A letter in math (é -> \\acute{e}, ά -> \\acute{\\alpha}, ϑ -> \\vartheta), or None."""
    if cluster in _MATH_LETTERS:
        return _MATH_LETTERS[cluster]
    if len(cluster) == 1 and cluster.isascii() and cluster.isalnum():
        return cluster
    base, *marks = unicodedata.normalize("NFD", cluster)
    if not marks or any(m not in _MATH_ACCENTS for m in marks):
        return None
    glyph = {"i": r"\imath", "j": r"\jmath"}.get(base) or (base if base.isascii() and base.isalpha()
                                                          else _MATH_LETTERS.get(base))
    if glyph is None:
        return None
    for m in marks:
        glyph = f"{_MATH_ACCENTS[m]}{{{glyph}}}"
    return glyph


def _text_glyph(cluster: str) -> str | None:
    """A letter in text with OT1's accents and letters (ç -> \\c{c}, ő -> \\H{o}, ß -> \\ss{}), or None."""
    if cluster in _TEXT_LETTERS:
        return _TEXT_LETTERS[cluster]
    base, *marks = unicodedata.normalize("NFD", cluster)
    if not marks or not (base.isascii() and base.isalpha()) or any(m not in _TEXT_ACCENTS for m in marks):
        return None
    glyph = rf"\{base}" if base in "ij" and any(m not in _BELOW for m in marks) else base
    for m in marks:
        glyph = rf"\{_TEXT_ACCENTS[m]}{{{glyph}}}"
    return glyph


def _math_chars(text: str) -> str:
    """Any text in math: letters as letters, _ as \\_, the rest by code point, a run of those set as one."""
    out: list[str] = []
    unknown: list[str] = []
    for cluster in _clusters(text):
        glyph = r"\_" if cluster == "_" else _math_glyph(cluster)
        if glyph is None and (t := _text_glyph(cluster)) is not None:
            glyph = rf"\text{{{t}}}"
        if glyph is None:
            unknown.append(_code_point(cluster).replace("+", "{+}"))
            continue
        if unknown:
            out.append(r"\mathtt{" + r"\,".join(unknown) + "}")
            unknown.clear()
        out.append(glyph + (" " if glyph[-1].isalpha() and glyph.startswith("\\") else ""))
    if unknown:
        out.append(r"\mathtt{" + r"\,".join(unknown) + "}")
    return "".join(out).rstrip()


def escape(text: str) -> str:
    """Prose for LaTeX that prints as the same characters: specials escaped, ligatures broken, symbols typeset.

    Letters with accents are set with OT1's accents, Greek as math; a character with no form in LaTeX's
    base fonts is shown by its code point (U+53D8).
    """
    clusters = _clusters(unicodedata.normalize("NFC", text))
    out: list[str] = []
    unknown: list[str] = []  # a run of characters shown by code point, set as one
    for i, c in enumerate(clusters):
        if c in _TEXT:
            t = _TEXT[c]
        elif len(c) == 1 and " " <= c <= "~":
            t = "-{}" if c == "-" and i + 1 < len(clusters) and clusters[i + 1][0] in "-–—" else c
        elif (t := _text_glyph(c)) is not None:
            t = rf"{{\rmfamily{t}}}"
        elif (m := _math_glyph(c)) is not None:
            t = f"${m}$"
        if t is None:
            unknown.append(_code_point(c))
            continue
        if unknown:
            out.append(rf"\texttt{{{' '.join(unknown)}}}")
            unknown.clear()
        out.append(t)
    if unknown:
        out.append(rf"\texttt{{{' '.join(unknown)}}}")
    return "".join(out)


def _ready(latex: str) -> str:
    """LaTeX to be set as it is inside a line of prose."""
    return f"{_READY}{latex}{_DONE}"


def prose(text: str) -> str:
    """A line of prose for LaTeX: escaped, except the formulas and text the notation has made ready."""
    out, depth, start = [], 0, 0
    for m in re.finditer(f"[{_READY}{_DONE}]", text):
        piece = text[start:m.start()]
        out.append(escape(piece) if depth == 0 else piece)
        depth = depth + 1 if m.group() == _READY else max(depth - 1, 0)
        start = m.end()
    out.append(escape(text[start:]) if depth == 0 else text[start:])
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _name(name: str) -> tuple[str, str, bool]:
    """A name as a base, a subscript, and whether the base is one letter."""
    name = unicodedata.normalize("NFC", name)
    stem = name.rstrip("0123456789")
    digits = name[len(stem):]
    if digits and stem.endswith("_"):
        stem = stem[:-1]
    sub = f"_{{{digits}}}" if digits else ""
    clusters = _clusters(stem)
    if not stem or not all(unicodedata.category(c[0])[0] == "L" or c in _MATH_LETTERS for c in clusters):
        return rf"\mathrm{{{_math_chars(name)}}}", "", False  # x_1_2, _x, a1b: the whole name, upright
    if stem in GREEK:
        return "\\" + stem, sub, True
    if len(clusters) == 1:
        glyph = _math_glyph(stem) or (rf"\text{{{t}}}" if (t := _text_glyph(stem)) else None)
        if glyph is not None:
            return glyph, sub, True
    return rf"\mathrm{{{_math_chars(stem)}}}", sub, False


def name_parts(name: str) -> tuple[str, str]:
    """A name as a base and a subscript: x1 -> (x, _{1}), theta0 -> (\\theta, _{0}), loss -> (\\mathrm{loss}, '').

    Every identifier has a form that compiles: letters with a LaTeX form are typeset (Greek with its
    variants, accented Latin, ℓ, א), others are shown by code point (\\mathtt{U{+}53D8}).
    """
    base, sub, _ = _name(name)
    return base, sub


def tex_name(name: str) -> str:
    base, sub, _ = _name(name)
    return base + sub


def tex_number(text: str) -> tuple[str, int]:
    """A number's text typeset: 1e-05 -> 10^{-5}; inf -> \\infty."""
    if text in ("inf", "-inf"):
        return text.replace("inf", r"\infty"), ATOM if text == "inf" else NEG
    if text == "nan":
        return r"\mathrm{NaN}", ATOM
    m = _NUMBER.fullmatch(text)
    if m is None:
        return text, ATOM if not text.startswith("-") else NEG
    mantissa, exponent = m.group(1), int(m.group(2))
    if mantissa.lstrip("-") in ("1", "1.0"):
        return f"{mantissa[:-len(mantissa.lstrip('-'))]}10^{{{exponent}}}", NEG if mantissa[0] == "-" else POW
    return rf"{mantissa} \times 10^{{{exponent}}}", MUL


def _wrap(t: tuple[str, int], below: int) -> str:
    """An operand in parentheses where precedence needs them, and wherever it starts with a minus and is
    not the first term: ``0.5 + \\left(-0.5\\right)``, ``\\left(-2\\right) \\cdot 3``, ``\\left(-2\\right)^{2}``."""
    text, prec = t
    if prec < below or (below >= ADD and text.startswith("-")):
        return rf"\left({text}\right)"
    return text


def tex(text: str) -> tuple[str, int]:
    """An expression in gradcli's language typeset as LaTeX, with its precedence."""
    iverson = re.fullmatch(r"\[(.+) > 0\]", text)
    if iverson:
        return rf"[\,{tex(iverson.group(1))[0]} > 0\,]", ATOM
    try:
        items = parse_expression(text, lenient=True)
    except GradcliSyntaxError:
        return rf"\texttt{{{escape(text)}}}", ATOM
    stack: list[tuple[str, int]] = []
    numeral: list[str | None] = []  # beside the stack: the number's text where an entry is one number
    for it in items:
        if it.kind == "num":
            stack.append(tex_number(text[it.start:it.end]))
            numeral.append(text[it.start:it.end])
        elif it.kind == "name":
            stack.append(tex_number(it.arg) if it.arg in ("inf", "nan") else (tex_name(it.arg), ATOM))
            numeral.append(it.arg if it.arg in ("inf", "nan") else None)
        elif it.arg == "neg" and numeral[-1] is not None and numeral[-1][0] not in "-n":
            # a negative number is one number (-2 \times 10^{-20}), parenthesised as one where it must be
            numeral[-1] = "-" + numeral[-1]
            stack[-1] = tex_number(numeral[-1])
        else:
            args = stack[-it.arity:]
            del stack[-it.arity:], numeral[-it.arity:]
            stack.append(_apply(it.arg, args))
            numeral.append(None)
    return stack[0]


def _apply(op: str, args: list[tuple[str, int]]) -> tuple[str, int]:
    if op == "add":
        return f"{args[0][0]} + {_wrap(args[1], ADD)}", ADD
    if op == "sub":
        return f"{args[0][0]} - {_wrap(args[1], ADD + 1)}", ADD
    if op == "mul":
        return rf"{_wrap(args[0], MUL)} \cdot {_wrap(args[1], MUL)}", MUL
    if op == "div":
        return rf"\frac{{{args[0][0]}}}{{{args[1][0]}}}", ATOM
    if op == "pow":
        return f"{_wrap(args[0], ATOM)}^{{{args[1][0]}}}", POW
    if op == "neg":
        return f"-{_wrap(args[0], NEG + 1)}", NEG
    if op == "copy":
        return args[0]
    template = OPS[op].tex or r"\operatorname{{" + op + "}}"
    if "{0}" not in template:
        template += r"\left({0}\right)"
    prec = ATOM if template.startswith((r"\sqrt", r"\left|")) else FUNC
    return template.format(*(a[0] for a in args)), prec


class LatexNotation(Notation):
    """Names with subscripts (c_{3}), \\dot and \\bar accents, \\cdot, \\partial, \\nabla."""

    __slots__ = ()

    def __init__(self, digits: int = 0) -> None:
        super().__init__(unicode=False, digits=digits)

    def name(self, node_id: str) -> str:
        return tex_name(node_id)

    def dot(self, name: str) -> str:
        """A tangent: \\dot{c}_{3}; over a longer name a dot centred above it."""
        base, sub, one = _name(name)
        return (rf"\dot{{{base}}}" if one else rf"\overset{{\cdot}}{{{base}}}") + sub

    def bar(self, name: str) -> str:
        """An adjoint: \\bar{c}_{3}; over a longer name a line over all of it, \\overline{\\mathrm{loss}}."""
        base, sub, one = _name(name)
        return (rf"\bar{{{base}}}" if one else rf"\overline{{{base}}}") + sub

    def generic(self, kind: str) -> str:
        return {"c": "c_i", "dot": r"\dot{c}_i", "bar": r"\bar{c}_i"}[kind]

    def expr(self, text: str) -> str:
        return tex(text)[0]

    def factor(self, text: str) -> str:
        return _wrap(tex(text), MUL)

    def number(self, x: float) -> str:
        return tex_number(self.fmt(x))[0]

    def num(self, x: float) -> str:
        t = tex_number(self.fmt(x))
        return _wrap(t, MUL)

    def note(self, text: str) -> str:
        return rf"\text{{({escape(text)})}}"

    def more(self, n: int) -> tuple[str, str]:
        return rf" + \dots\ \text{{({n} more terms)}}", r" + \dots"

    def inline(self, math: str) -> str:
        return _ready(f"${math}$")

    def code(self, text: str) -> str:
        """A program's steps typeset one by one; what does not parse (a cut-off step) stays as typed."""
        steps = []
        for step in text.split("; "):
            name, eq, rhs = step.partition(" = ")
            if eq and name.isidentifier() and self.short(rhs):
                steps.append(f"${tex_name(name)} = {tex(rhs)[0]}$")
            elif self.short(step):
                steps.append(f"${tex(step)[0]}$")
            else:
                # a long step may break after ( , * / (a little stretch there, as typewriter spaces have none)
                code = re.sub(r"([(,*/])", r"\1\\hspace{0pt plus 2pt}", escape(step))
                steps.append(rf"\texttt{{{code}}}")
        return _ready("; ".join(steps))

    def text(self, text: str) -> str:
        return _ready(escape(text))

    def command(self, text: str) -> str:
        return self.text(text)  # as prose, which prints the characters as typed and may break at its spaces

    def short(self, source: str) -> bool:
        if len(source) > 300:
            return False
        try:
            parse_expression(source)
        except GradcliSyntaxError:
            return False
        return True

    @property
    def times(self) -> str:
        return r" \cdot "

    @property
    def d(self) -> str:
        return r"\partial "

    @property
    def nabla(self) -> str:
        return r"\nabla "

    @property
    def ellipsis(self) -> str:
        return _ready(r"$\vdots$")


_FIRST_NEGATIVE = re.compile(r"\\left\((-(?:[0-9.]+(?: \\times 10\^\{-?[0-9]+\})?|10\^\{-?[0-9]+\}|\\infty))\\right\)"
                             r"(?= [+-] |$)")


# rows per align* or \halign: TeX holds a whole alignment in memory, and amsmath collects an environment's
# body in time that grows faster than its length, so a table of 10^4 rows is set as pieces of this many
PIECE = 200


def _row(row: Row, nt: LatexNotation) -> str:
    if row.lhs == nt.ellipsis:
        return rf"\vdots & \quad\text{{{prose(row.value.removeprefix(nt.ellipsis).strip())}}}"
    if row.note:
        return rf"{row.lhs} & \quad {row.rule} && && = {row.value}"
    # a negative first term needs no parentheses ("-3 + 0"), and a lone one is the value itself
    first = _FIRST_NEGATIVE.match(row.numbers)
    shown = row.numbers if first is None else first.group(1) + row.numbers[first.end():]
    numbers = f"= {shown}" if shown and shown != row.value else ""
    return rf"{row.lhs} &= {row.rule} && {numbers} && = {row.value}"


def _steps(block: Steps, nt: LatexNotation) -> list[str]:
    # \allowdisplaybreaks, kept in a group: a long table goes on over the next pages instead of off this one
    out = [rf"\paragraph{{{prose(block.title)}}}", r"\begingroup\allowdisplaybreaks"]
    rows = block.rows
    for start in range(0, len(rows), PIECE):
        piece = [_row(row, nt) for row in rows[start:start + PIECE]]
        if start:  # the next piece follows as if it were the same display
            out.append(r"\abovedisplayskip=\jot \abovedisplayshortskip=\jot")
        if start + PIECE < len(rows):
            out.append(r"\belowdisplayskip=0pt \belowdisplayshortskip=0pt")
        out += [r"\begin{align*}", " \\\\\n".join(piece), r"\end{align*}"]
    return out + [r"\endgroup"]


def _grid(block: Grid) -> list[str]:
    """A table as TeX's own \\halign in vertical mode: unlike tabular, a box, its rows may go on over pages."""
    cols = "&".join(r"\hfil#" if n else r"#\hfil" for n in block.numeric)
    template = r"\strut" + cols.replace("&", r"\tabskip=1em&", 1) + r"\tabskip=0pt\cr"
    head = "&".join(rf"\textbf{{{prose(h)}}}" for h in block.headers) + r"\cr\noalign{\hrule}"
    out = [r"\par\medskip", r"{\tabskip=0pt"]
    rows = block.rows
    for start in range(0, max(len(rows), 1), PIECE):
        out.append(r"\halign{" + template)
        if start == 0:
            out.append(head)
        out += ["&".join(prose(c) for c in row) + r"\cr" for row in rows[start:start + PIECE]]
        out.append("}")
    return out + [r"}\medskip"]


def render(blocks: list[Block], nt: LatexNotation, trace: Trace) -> str:
    out = [f"% gradcli {trace.command}: a LaTeX fragment; it needs \\usepackage{{amsmath}}"]
    for block in blocks:
        if isinstance(block, Steps):
            out += _steps(block, nt)
        elif isinstance(block, Grid):
            out += _grid(block)
        elif block.kind == "result":
            out.append(rf"\par\noindent\textbf{{Result:}} {prose(block.text).strip()}\par")
        elif block.kind == "warning":
            out.append(rf"\par\noindent\textit{{Warning:}} {prose(block.text)}\par")
        else:
            out.append(rf"\par\noindent {prose(block.text)}\par")
    return "\n".join(out) + "\n"
