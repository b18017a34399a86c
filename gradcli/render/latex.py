"""LaTeX for answer keys: each table of steps an align* environment, formulas typeset from their trees.

The printer (gradcli/printer.py) decides the parentheses; the LaTeX style here spells names with
subscripts (c_{3}, \\theta_{0}, \\overline{\\mathrm{loss}}), products as \\cdot, quotients as fractions,
powers as superscripts. Prose prints the characters it holds in the OT1 fonts of any LaTeX.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ..core.expr import Expr, from_items
from ..core.ops import OPS
from ..core.printer import ATOM, CALL, NEG, POW, PROD, Part, Style
from .document import Code
from .flat import FlatGrid, FlatRow, FlatSteps, Writer

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
         "§": r"$\S$", "¶": r"$\P$", "²": r"$^{2}$", "³": r"$^{3}$", "″": r"$''$", "‴": r"$'''$"}
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


_ENTRY = re.compile(r"(.+?)(\[[0-9]+(?:,[0-9]+)?\])")


@functools.lru_cache(maxsize=4096)
def _name(name: str) -> tuple[str, str, bool]:
    """A name as a base, a subscript, and whether the base is one letter; an array's entry, W1[1,2], is its
    array's name followed by the index as written."""
    entry = _ENTRY.fullmatch(name)
    if entry is not None:
        base, sub, one = _name(entry.group(1))
        return base, sub + entry.group(2), one
    if not name:  # the blank of ∂/∂x1, a derivative of no name
        return "", "", False
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


def tex_number(text: str) -> Part:
    """A number's text typeset: 1e-05 -> 10^{-5}; inf -> \\infty."""
    if text in ("inf", "-inf"):
        return Part(text.replace("inf", r"\infty"), ATOM if text == "inf" else NEG, text[0] == "-", True)
    if text == "nan":
        return Part(r"\mathrm{NaN}", ATOM, False, True)
    m = _NUMBER.fullmatch(text)
    if m is None:
        return Part(text, ATOM if not text.startswith("-") else NEG, text.startswith("-"), True)
    mantissa, exponent = m.group(1), int(m.group(2))
    minus = mantissa.startswith("-")
    if mantissa.lstrip("-") in ("1", "1.0"):
        return Part(f"{'-' if minus else ''}10^{{{exponent}}}", NEG if minus else POW, minus, True)
    return Part(rf"{mantissa} \times 10^{{{exponent}}}", PROD, minus, True)


class LatexStyle(Style):
    """Expressions typeset: names with subscripts, \\dot and \\bar (\\overline over a longer name), \\cdot,
    \\frac, superscripts, the op table's TeX for functions."""

    times = r" \cdot "
    partial_sign = r"\partial "
    nabla = r"\nabla "
    ellipsis = r"\dots"
    approx = r"\approx"
    full_digits = 40

    def about(self, mantissa: str, exponent: int) -> str:
        lead = "" if mantissa in ("1", "-1") else mantissa + r" \times "
        return rf"\approx {lead}{'-' if mantissa == '-1' else ''}10^{{{exponent}}}"

    def exact(self, value) -> Part:
        if isinstance(value, str):  # a few words beside a number (beyond a double)
            return Part(rf"\text{{{value}}}", ATOM)
        return super().exact(value)

    def number(self, value: float, text: str | None) -> Part:
        return tex_number(text if text is not None and not self.digits else self.fmt(value))

    def name(self, n: str) -> str:
        if n == "ci":
            return "c_i"
        if n in ("inf", "nan"):  # in a formula read back leniently
            return tex_number(n).text
        return tex_name(n)

    def mark(self, accent: str, n: str) -> str:
        if n == "ci":
            return {"dot": r"\dot{c}_i", "bar": r"\bar{c}_i", "bardot": r"\dot{\bar{c}}_i"}[accent]
        base, sub, one = _name(n)
        bar = rf"\bar{{{base}}}" if one else rf"\overline{{{base}}}"  # an adjoint
        if accent == "bar":
            return bar + sub
        if accent == "bardot":  # the tangent of an adjoint
            return rf"\dot{{{bar}}}" + sub if one else rf"\overset{{\cdot}}{{{bar}}}" + sub
        # a tangent: \dot{c}_{3}; over a longer name a dot centred above it
        return (rf"\dot{{{base}}}" if one else rf"\overset{{\cdot}}{{{base}}}") + sub

    def paren(self, text: str) -> str:
        return rf"\left({text}\right)"

    def div(self, a: Part, b: Part) -> Part:
        return Part(rf"\frac{{{a.text}}}{{{b.text}}}", ATOM)

    matmul_sign = r" \, "

    def transposed(self, body: str) -> str:
        return body + r"^{\top}"

    def entry(self, body: str, indices: list[str]) -> str:
        if "_" in body or "^" in body:  # c_{4} indexed: (c_{4})_{2}, not c_{4}_{2} (a double subscript) or c₄₂
            body = f"({body})"
        return f"{body}_{{{','.join(indices)}}}"

    hadamard_sign = r" \odot "
    ones = r"\mathbf{1}"

    def shaped(self, body: str, shape) -> str:
        return rf"{body} \;\, ({shape[0]} \times {shape[1]})"

    def array(self, rows: list, texts: list[str]) -> str:
        """A vector as a column, a matrix row by row: bmatrix (amsmath)."""
        if all(r is not None for r in rows):
            body = r" \\ ".join(" & ".join(r) for r in rows)
        else:
            body = r" \\ ".join(texts)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"

    def pow(self, a: Part, b: Part) -> Part:
        return Part(f"{self.wrap(a, POW + 1)}^{{{b.text}}}", POW)

    def call(self, op: str, args: list[Part]) -> Part:
        template = OPS[op].tex if op in OPS else ""
        if op in OPS and OPS[op].defined:  # a function the program defines, s(γ) = …: named as the sheet names it
            template = tex_name(OPS[op].names[0]).replace("{", "{{").replace("}", "}}")
        elif not template:
            template = r"\operatorname{{" + (OPS[op].names[0] if op in OPS and OPS[op].names else op) + "}}"
        if "{0}" not in template:  # a command, and its arguments, any number of them
            return Part(template.replace("{{", "{").replace("}}", "}") + r"\left(" + ", ".join(a.text for a in args)
                        + r"\right)", CALL)
        prec = ATOM if template.startswith((r"\sqrt", r"\left|", r"\left[")) else CALL
        return Part(template.format(*(a.text for a in args)), prec)

    def partial(self, a: str, b: str) -> Part:
        return Part(rf"\partial {a}/\partial {b}" if a else rf"\partial/\partial {b}", PROD)

    def partial2(self, a: str, b: str, c: str) -> Part:
        return Part(rf"\partial^2 {a}/\partial {b}\,\partial {c}", PROD)

    def sum_over(self, index: str, body: str) -> Part:
        return Part(rf"\sum_{{{index}}} {body}", PROD)

    def indexed(self, body: str, index: str) -> Part:
        return Part(f"{{{body}}}_{{{index}}}", ATOM)

    def more(self, n: int, mode: str) -> str:
        if mode == "terms":
            return rf"\dots\ \text{{({n} more terms)}}"
        return rf"\dots\ \text{{{n} more}}" if mode == "list" else r"\dots"


class LatexWriter(Writer):
    """Formulas in $…$, prose escaped, a program's steps typeset one by one."""

    ellipsis = r"\vdots"

    def __init__(self, digits: int = 0) -> None:
        super().__init__(LatexStyle(digits))

    def inline(self, e: Expr) -> str:
        return f"${self.math(e)}$"

    def prose(self, text: str) -> str:
        """Prose for a printed page: the command line's options and hints left out, an apostrophe a quote."""
        return "'".join(escape(piece) for piece in _APOSTROPHE.split(on_paper(text)))

    def text(self, pieces) -> str:
        out: list[str] = []
        pieces = list(pieces)
        k = 0
        while k < len(pieces):
            p = pieces[k]
            after = pieces[k + 1] if k + 1 < len(pieces) else None
            if isinstance(p, Code) and p.command:  # a shell command belongs on the command line, not on paper
                k += 1
                continue
            m = _LHS.fullmatch(p) if isinstance(p, str) and isinstance(after, Code) and after.expr else None
            if m:  # "f = " and the expression: one formula, f in italics as the expression's names are
                out.append(self.prose(m.group(1)) + f"${tex_name(m.group(2))} = {self.math(after.expr)}$")
                k += 2
                continue
            out.append(super().text([p]))
            k += 1
        return "".join(out)

    def note(self, text: str) -> str:
        return rf"\text{{({escape(text)})}}"

    def left_out(self, n: int, what: str = "rows") -> str:
        return escape(f"… {n} {what} left out")

    def code(self, c: Code) -> str:
        """An expression typeset from its tree; a program's steps typeset one by one; what does not parse (a
        cut-off step) stays as typed."""
        if c.expr is not None:
            return f"${self.math(c.expr)}$"
        if c.command:
            return escape(c.text)  # prose prints the characters as typed and may break at its spaces
        from ..core.parse import definitions

        steps = []
        functions = definitions(c.text) if c.steps else None  # s(γ) = …, called by a later step
        for step in (c.text.split("; ") if c.steps else [c.text]):
            target, eq, rhs = step.partition(" = ")
            header = _HEADER.fullmatch(target) if eq and c.steps else None
            tree = _tree(rhs, functions) if eq and (target.isidentifier() or header) and c.steps else None
            if tree is not None and header is not None:
                params = ", ".join(tex_name(p.strip()) for p in header.group(2).split(","))
                steps.append(rf"${tex_name(header.group(1))}\left({params}\right) = {self.math(tree)}$")
            elif tree is not None:
                steps.append(f"${tex_name(target)} = {self.math(tree)}$")
            elif (tree := _tree(step)) is not None:
                steps.append(f"${self.math(tree)}$")
            else:
                # a long step may break after ( , * / (a little stretch there, as typewriter spaces have none)
                code = re.sub(r"([(,*/])", r"\1\\hspace{0pt plus 2pt}", escape(step))
                steps.append(rf"\texttt{{{code}}}")
        return "; ".join(steps)


# what a page has no use for: "(--symbolic)", "(--max-rows 0 shows all)", "; to draw it, add --dot and pipe to: "
_OPTIONS = re.compile(r" ?\((?:--|[^()]*?[ ;,]--)[a-z][^()]*\)")
_CLAUSE = re.compile(r"(?:(?<=[.;,])|^) *[^.;,]*(?<![\w-])--[a-z][\w-]*[^.;]*[.;]?")
_HINT = re.compile(r"[;,]? *to draw it,? *$")


def on_paper(text: str) -> str:
    """A line of prose as a printed page says it: without the options and commands of the command line."""
    return _HINT.sub("", _CLAUSE.sub("", _OPTIONS.sub("", text)))
_APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z])")
_LHS = re.compile(r"(|.*[\s(])([A-Za-z_][A-Za-z0-9_]*) = ", re.S)

_HEADER = re.compile(r"(\w+)\((\s*\w+\s*(?:,\s*\w+\s*)*)\)")  # s(γ), f(x1, x2): a step's name with its parameters


def _tree(text: str, functions: dict[str, int] | None = None) -> Expr | None:
    """The tree of one expression a user typed, or None where it is not one (a cut-off step, sheet notation
    only a program reads)."""
    from ..errors import GradcliError
    from ..core.parse import parse_expression

    if len(text) > 300:
        return None
    try:
        return from_items(parse_expression(text, functions=functions or None), text)
    except GradcliError:
        return None


def tex(text: str) -> str:
    """An expression in gradcli's language typeset: parsed as a user's expression, printed in LaTeX."""
    from ..core.parse import parse_expression

    return LatexStyle().text(from_items(parse_expression(text, lenient=True), text))


# rows per align* or \halign: TeX holds a whole alignment in memory, and amsmath collects an environment's
# body in time that grows faster than its length, so a table of 10^4 rows is set as pieces of this many
PIECE = 200


# --- long rows: measured, and broken as the terminal breaks them ---------------------------------------------

# ems a line of a table's formula may take: article's text width is 34.5 em, less the left column and margins
LINE_EMS = 25.0
TABLE_EMS = 31.0  # a table in columns (node = rule = numbers = value) wider than this is set one part a line
_WIDTHS = {"cdot": 1.22, "times": 1.22, "partial": 0.6, "infty": 1.0, "quad": 1.0, "qquad": 2.0, "dots": 1.2,
           "approx": 1.33, "nabla": 0.85, "pm": 1.22, "odot": 1.22, "top": 0.8, ",": 0.17, ";": 0.28, "!": -0.17,
           " ": 0.33, "leq": 1.33, "geq": 1.33, "vdots": 0.3, "mathbf": 0.0}
_SILENT = {"left", "right", "bigl", "bigr", "bar", "dot", "overline", "mathrm", "text", "operatorname", "hat",
           "tilde", "mathtt", "overset", "displaystyle", "begin", "end", "rmfamily", "itshape"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[_^]\{|[_^]|[{}]|\s|.")


def ems(tex: str) -> float:
    """About how wide a formula's LaTeX sets, in ems of the text font (a generous guess, never a small one)."""
    return _widths(tex, ())[-1]


def _widths(tex: str, offsets) -> list[float]:
    """The width of ``tex[:k]`` in ems for each offset k (ascending, each at a token's start), then the
    whole's: one pass, so a long formula's break points cost no more than reading it once."""
    marks = list(offsets)
    out: list[float] = []
    width = 0.0
    stack: list[float] = []  # the scale of each open group: scripts set at 0.7
    scale = 1.0
    script_next = False
    for m in _TOKEN.finditer(tex):
        while len(out) < len(marks) and marks[len(out)] <= m.start():
            out.append(width)
        t = m.group()
        if t.endswith("{") and t[0] in "_^":
            stack.append(scale)
            scale *= 0.7
            continue
        if t in ("_", "^"):
            script_next = True
            continue
        if t == "{":
            stack.append(scale)
            continue
        if t == "}":
            scale = stack.pop() if stack else 1.0
            continue
        s = scale * (0.7 if script_next else 1.0)
        script_next = False
        if t.startswith("\\"):
            word = t[1:]
            if word in _SILENT:
                continue
            if word in _WIDTHS:
                width += _WIDTHS[word] * s
            elif word in GREEK:
                width += 0.62 * s
            else:  # a function's name, \exp: its letters upright
                width += 0.5 * len(word) * s
        elif t.isspace():
            continue
        elif t in "+-":
            width += 1.22 * s
        elif t in "=<>":
            width += 1.33 * s
        elif t in "()[]|":
            width += 0.42 * s
        elif t in ",;":
            width += 0.45 * s
        elif t == ".":
            width += 0.28 * s
        elif t.isdigit():
            width += 0.5 * s
        else:
            width += 0.6 * s
    out += [width] * (len(marks) - len(out) + 1)  # the offsets past the end, then the whole
    return out


_BIG = (("\\left(", "\\bigl("), ("\\right)", "\\bigr)"), ("\\left[", "\\bigl["), ("\\right]", "\\bigr]"),
        ("\\left|", "\\bigl|"), ("\\right|", "\\bigr|"))
_BREAK = re.compile(r" (?:\+|-|=|\\cdot|\\approx) ")


def _group(tex: str, k: int) -> int:
    """Where the brace group opening at tex[k] ends (one past its closing brace)."""
    depth = 0
    while k < len(tex):
        c = tex[k]
        if c == "\\":
            k += 2
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        k += 1
        if depth == 0:
            return k
    return k


def unfrac(tex: str) -> str:
    """Fractions written on one line, (a)/(b), so that a line may break inside them: a fraction's parts are
    boxes TeX cannot part."""
    out, k = [], 0
    while (at := tex.find("\\frac{", k)) >= 0:
        out.append(tex[k:at])
        mid = _group(tex, at + 5)
        end = _group(tex, mid)
        top, bottom = (unfrac(part) if " " not in part else rf"\bigl({unfrac(part)}\bigr)"
                       for part in (tex[at + 6:mid - 1], tex[mid + 1:end - 1]))
        out.append(f"{top}/{bottom}")
        k = end
    out.append(tex[k:])
    return "".join(out)


def broken(tex: str, budget: float = LINE_EMS) -> list[str]:
    """A formula as lines no wider than ``budget`` ems, broken before a + - · or = outside any { }, at the
    shallowest parentheses the line allows (those around a break become \\bigl( \\bigr), which may part)."""
    if ems(tex) <= budget:
        return [tex]
    for a, b in _BIG:
        tex = tex.replace(a, b)
    lines = _lines(tex, budget)
    if max(map(ems, lines)) > budget and r"\frac{" in tex:  # a fraction too wide to fit: on one line, a/b
        lines = _lines(unfrac(tex), budget)
    return lines


def _lines(tex: str, budget: float) -> list[str]:
    # the places a line may break, each with how deep in parentheses it is
    places: list[tuple[int, float]] = []
    braces = parens = 0
    k = 0
    while k < len(tex):
        c = tex[k]
        if c == "\\":
            word = re.match(r"\\(?:[A-Za-z]+|.)", tex[k:]).group()
            if word in ("\\bigl",):
                parens += 1
            elif word in ("\\bigr",):
                parens -= 1
            k += len(word)
            continue
        if c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
        elif c in "([":
            parens += 1
        elif c in ")]":
            parens -= 1
        elif c == " " and braces == 0:
            m = _BREAK.match(tex, k)
            if m:  # inside a term (before a ·) counts as half a level deeper than between terms
                places.append((k, parens + (0.5 if m.group() == r" \cdot " else 0)))
        k += 1
    lines: list[str] = []
    # each place's width from the start, in one pass (places are at the top level, outside any script)
    *upto, total = _widths(tex, [at for at, _ in places])
    width = dict(zip((at for at, _ in places), upto))
    width[0] = 0.0
    start = 0
    while total - width[start] > budget:
        fit = [(at, depth) for at, depth in places if at > start and width[at] - width[start] <= budget]
        if not fit:  # no break fits: the first place after
            later = [(at, depth) for at, depth in places if at > start]
            if not later:
                break
            fit = later[:1]
        low = min(depth for _, depth in fit)
        # the shallowest place, unless it leaves the line less than half full: then the last place that fits
        at = max(a for a, d in fit if d == low)
        if width[at] - width[start] < budget / 2:
            at = fit[-1][0]
        lines.append(tex[start:at].strip())
        start = at
    lines.append(tex[start:].strip())
    return lines


def _stacked(row: FlatRow) -> str:
    """A row one part a line: the node, then = its rule, = each symbolic form, = the numbers, = the value;
    each part broken to the line. No page break inside a row."""
    if row.gap:
        return rf"\vdots & \quad\text{{{row.value}}}"
    parts = [row.value] if row.note else [p for p in (row.rule, *row.symbolic, row.numbers) if p] + [row.value]
    lines: list[str] = []
    whole = " = ".join(parts)
    if not row.numbers and ems(row.lhs) + ems(whole) + (ems(row.rule) + 1 if row.note else 0) <= LINE_EMS + 3:
        parts = [whole]  # a short row with no numbers to put in stays on one line: c̄5 = c̄6 = 48
    for part in parts:
        for n, line in enumerate(broken(part)):
            if n == 0:
                lines.append(f"&= {line}")
            else:
                lines.append(rf"&\qquad {{}}{line}")
    lines[0] = f"{row.lhs} " + lines[0]
    if row.note:
        lines[0] += rf" \quad {row.rule}"
    if row.after:
        lines.append(rf"&\quad\text{{{row.after}}}")
    return " \\\\*\n".join(lines)


def _wide(rows: list[FlatRow]) -> bool:
    """Whether a table in columns would be wider than the page: its widest cell in each column, summed."""
    cols = [0.0, 0.0, 0.0, 0.0]
    for r in rows:
        if r.gap:
            continue
        cells = [r.lhs, " = ".join((r.rule, *r.symbolic)) if not r.note else r.rule, r.numbers, r.value]
        for k, c in enumerate(cells):
            cols[k] = max(cols[k], ems(c))
    return sum(cols) + 6.0 > TABLE_EMS


def _row(row: FlatRow) -> str:
    after = rf" && \text{{{row.after}}}" if row.after else ""
    if row.gap:
        return rf"\vdots & \quad\text{{{row.value}}}"
    if row.note:
        return rf"{row.lhs} & \quad {row.rule} && && = {row.value}{after}"
    numbers = f"= {row.numbers}" if row.numbers else ""
    rule = " = ".join((row.rule, *row.symbolic))
    return rf"{row.lhs} &= {rule} && {numbers} && = {row.value}{after}"


# before a heading: a page break here rather than a heading alone at the foot of a page (needspace's way)
KEEP = r"\par\vskip 0pt plus 6\baselineskip\penalty-200\vskip 0pt plus -6\baselineskip"


def _steps(block: FlatSteps) -> list[str]:
    # \allowdisplaybreaks, kept in a group: a long table goes on over the next pages instead of off this one
    out = [KEEP, rf"\paragraph{{{block.title}}}", r"\begingroup\allowdisplaybreaks"]
    rows = block.rows
    stack = _wide(rows)
    for start in range(0, len(rows), PIECE):
        piece = [(_stacked if stack else _row)(row) for row in rows[start:start + PIECE]]
        if start:  # the next piece follows as if it were the same display
            out.append(r"\abovedisplayskip=\jot \abovedisplayshortskip=\jot")
        if start + PIECE < len(rows):
            out.append(r"\belowdisplayskip=0pt \belowdisplayshortskip=0pt")
        out += [r"\begin{align*}", " \\\\\n".join(piece), r"\end{align*}"]
    return out + [r"\endgroup"]


def _grid(block: FlatGrid) -> list[str]:
    """A table as TeX's own \\halign in vertical mode: unlike tabular, a box, its rows may go on over pages.
    A table with matrices in its numeric columns (the graph at the sheet's level) is set as several, the first
    column repeated and two numeric columns each, so that it fits the page's width."""
    first = next((k for k, n in enumerate(block.numeric) if n), len(block.numeric))
    wide = any(r"\begin{bmatrix}" in cell for row in block.rows if row is not None for cell in row[first:])
    if not wide or len(block.headers) - first <= 2:
        return _halign(block)
    out: list[str] = []
    for cols in [list(range(first))] + [[0, *range(k, min(k + 2, len(block.headers)))]
                                         for k in range(first, len(block.headers), 2)]:
        out += _halign(FlatGrid([block.headers[k] for k in cols],
                                [None if r is None else [r[k] for k in cols] for r in block.rows],
                                [block.numeric[k] for k in cols], block.gaps))
    return out


def _halign(block: FlatGrid) -> list[str]:
    cols = "&".join(r"\hfil#" if n else r"#\hfil" for n in block.numeric)
    template = r"\strut" + cols.replace("&", r"\tabskip=1em&", 1) + r"\tabskip=0pt\cr"
    head = "&".join(rf"\textbf{{{h}}}" for h in block.headers) + r"\cr\noalign{\hrule}"
    out = [r"\par\medskip", r"{\tabskip=0pt"]
    rows = [([block.gaps[n]] + [""] * (len(block.headers) - 1)) if r is None else r for n, r in enumerate(block.rows)]
    for start in range(0, max(len(rows), 1), PIECE):
        out.append(r"\halign{" + template)
        if start == 0:
            out.append(head)
        out += ["&".join(row) + r"\cr" for row in rows[start:start + PIECE]]
        out.append("}")
    return out + [r"}\medskip"]


_INLINE = re.compile(r"\$[^$]+\$")


def _loose(line: str) -> str:
    """A long line of formulas and prose, allowed to stretch its spaces rather than stick out of the margin."""
    return rf"{{\tolerance=9999 \emergencystretch=3em {line}}}" if ems(line) > 2 * LINE_EMS else line


def breakable(text: str) -> str:
    """A line of prose whose long formulas may break inside their parentheses: \\left( \\right), which hold
    what they enclose together, become \\bigl( \\bigr)."""

    def loosen(m: re.Match) -> str:
        formula = m.group()
        if ems(formula) <= TABLE_EMS or r"\begin{" in formula:  # a matrix needs its \left( \right)
            return formula
        for a, b in _BIG:
            formula = formula.replace(a, b)
        return unfrac(formula).replace(", ", r",\allowbreak ")  # a list of numbers may part after a comma

    return _INLINE.sub(loosen, text)


# a whole document: A4 with margins a table's formulas fit in (LINE_EMS and TABLE_EMS hold with room to spare)
PREAMBLE = (r"\documentclass{article}" "\n" r"\usepackage{amsmath}" "\n" r"\usepackage{graphicx}" "\n"
            r"\usepackage[a4paper,margin=2.5cm]{geometry}" "\n" r"\setlength{\parindent}{0pt}" "\n"
            r"\begin{document}" "\n")
TITLES = {"forward": "Forward mode, step by step", "reverse": "Reverse mode, step by step",
          "graph": "The computational graph"}


def document(body: list[str], title: str) -> str:
    """A document that compiles with LaTeX's base packages: the title, then the body."""
    return PREAMBLE + rf"\section*{{{escape(title)}}}" + "\n" + "\n".join(body) + "\n" + r"\end{document}" + "\n"


def render(blocks: list, command: str, digits: int = 0, standalone: bool = False, figure: str | None = None) -> str:
    """The blocks as a LaTeX fragment, or with ``standalone`` a whole document, ``figure`` (the graph) after the
    problem and the point."""
    out = [] if standalone else [f"% gradcli {command}: a LaTeX fragment; it needs \\usepackage{{amsmath}}"]
    for block in LatexWriter(digits).blocks(blocks):
        if figure is not None and isinstance(block, (FlatSteps, FlatGrid)):
            out += [r"\par\medskip", figure]
            figure = None
        if isinstance(block, FlatSteps):
            out += _steps(block)
        elif isinstance(block, FlatGrid):
            out += _grid(block)
        elif block.kind == "result":
            out.append(_loose(rf"\par\noindent\textbf{{Result:}} {breakable(block.text.strip())}\par"))
        elif block.kind == "warning":
            out.append(_loose(rf"\par\noindent\textit{{Warning:}} {breakable(block.text)}\par"))
        else:
            out.append(_loose(rf"\par\noindent {breakable(block.text)}\par"))
    if standalone:
        return document(out, TITLES.get(command, f"gradcli {command}"))
    return "\n".join(out) + "\n"
