"""Tokenizer and parser: text -> statements, each a syntax tree in postfix order.

The parser is one operator-precedence (shunting-yard) loop over the regex's matches, with
explicit stacks, so nesting depth is limited only by memory and a megabyte parses in well
under a second. User text is never evaluated by Python.

It reads the notation of homework sheets as well as gradcli's own: ``exp[x]`` and ``[a + b]``,
``x²`` and ``x⁻¹``, subscript digits (``x₁`` is ``x1``), ``σ(z)`` and ``\\sigma(z)`` for the
sigmoid, ``f(x1, x2) = …`` for the output step (it also gives the inputs' order), a trailing
comma or full stop after a step, and steps separated by commas.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate
from typing import NamedTuple

from .. import limits
from ..errors import GradcliSyntaxError, visible
from .ops import BINARY, CONSTANTS, FUNCTION_NAMES, OPS, VARIADIC, arities, op_for_call

# names that are also functions: a call when "(" or "[" follows, else a plain name (σ is a standard deviation)
PLAIN_TOO = frozenset({"σ"})
NOT_NUMBERS = frozenset({"inf", "nan", "infinity"})  # compared lowercased: not names, and not numbers we accept


class Item(NamedTuple):
    """One entry of a postfix syntax tree: a number, a name, or an op applied to the entries before it."""

    kind: str  # "num", "name" or "op"
    arg: object  # the number (float), the name (str) or the op's name in OPS (str)
    arity: int  # how many earlier entries an op takes
    start: int  # the subexpression's span in the source
    end: int


class Statement(NamedTuple):
    """``target = expr``, or a bare ``expr`` (target None); ``params`` are the inputs ``f(x1, x2) = …`` lists."""

    target: str | None
    target_start: int
    items: list[Item]
    start: int
    end: int
    params: tuple[tuple[str, int], ...] = ()  # (name, offset)
    outputs: tuple = ()  # a last step that lists the outputs, "s1, s2, s3": (items, start, end) for each
    define: bool = False  # ``s(γ) = …`` where a later step calls s: a function's definition, params its parameters


class Program(NamedTuple):
    source: str
    statements: list[Statement]


_SUPER = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_VALUE = {c: str(n) for n, c in enumerate(_SUPER)}
_UNNAMED = _SUPER + "ᵀ"  # characters a name cannot hold though they are letters or digits: xᵀ is x transposed
TRANSPOSE = ("ᵀ", ".T")
# one token per match, classified afterwards by its first character: findall runs in C
_TOKEN = re.compile(r"\*\*|[-+*/^(),=;\n\[\]@·⋅×ᵀ]|\.T(?!\w)|(?![" + _UNNAMED + r"])[^\W\d](?:(?![" + _UNNAMED
                    + r"])\w)*"
                    r"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                    r"|[⁺⁻]?[" + _SUPER + r"]+|\\[A-Za-z]+"
                    r"|[ \t\r\f\v]+|\\\r?\n|\#[^\n]*|.")
NUM, NAME, PUNCT, BAD, EOF, SUPER, COMMAND = 2, 3, 4, 5, 6, 7, 8
_PUNCT = frozenset("-+*/^(),=;\n[]@·⋅×ᵀ")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_DIGITS = frozenset("0123456789")
_BLANK = frozenset(" \t\r\f\v#")
_CLOSER = {"(": ")", "[": "]"}
_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__

# LaTeX commands a sheet may be typed with: \sigma(z), \exp(x), \theta_1, a \cdot b
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon "
          "phi chi psi omega").split()


def _greek(name: str, case: str) -> str:
    return unicodedata.lookup(f"GREEK {case} LETTER {name.upper().replace('LAMBDA', 'LAMDA')}")


LATEX: dict[str, str] = {
    **{g: _greek(g, "SMALL") for g in _GREEK},
    # capitals that do not look like Latin letters (\Alpha is not LaTeX either)
    **{g.capitalize(): _greek(g, "CAPITAL") for g in ("gamma", "delta", "theta", "lambda", "xi", "pi", "sigma",
                                                       "upsilon", "phi", "psi", "omega")},
    "varphi": "φ", "vartheta": "ϑ", "varepsilon": "ε", "ell": "ℓ",
    **{f: f for f in ("exp", "log", "ln", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos",
                      "arctan")},
    "cdot": "*", "times": "*",
}

# what a user probably meant by a character the language does not have
_HINTS = {
    "÷": "write / for a division", "−": "write - (ASCII minus)", "–": "write - (ASCII minus)",
    "√": "write sqrt(x)", "{": "it is never closed; add '}'", "}": "no '{' opens it",
    "'": "there are no strings in expressions", '"': "there are no strings in expressions",
    ".": "attributes are not part of the language; names are plain identifiers",
    "!": "there is no factorial or negation; write -x for a minus", "%": "there is no remainder operator",
    "<": "there are no comparisons", ">": "there are no comparisons",
    "&": "there are no logical operators", "|": "write abs(x) for an absolute value",
    ":": "there are no slices or lambdas",
    "\ufffd": "the input is not valid UTF-8 text", "\ufeff": "remove the byte-order mark",
}

# functions a sheet may use that gradcli does not have, and what to write instead
NOT_FUNCTIONS = {
    "rect": "the rectifier rect(x) is relu(x)",
    "prod": "gradcli has no prod: write the factors out, x1*x2*x3",
    "heaviside": "the step function is step(x): 1 for x > 0, else 0",
    "argmax": "argmax has no derivative; max(a, b, …) is the largest value",
}

MAX_OPERATIONS = limits.OPERATIONS  # bounds the time and memory any input can take

_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "cdot": 2, "neg": 3, "pow": 4}
_SEP = (";", "\n")
_INF = float("inf")

# operator-stack entries are lists [kind, op, start, argcount, bracket]
_BIN, _NEG, _GROUP, _CALL = 0, 1, 2, 3


class _Tok(NamedTuple):
    kind: int
    text: str
    start: int
    end: int


def _describe(tok: _Tok) -> str:
    if tok.kind == EOF:
        return "the end of the input"
    if tok.text == "\n":
        return "the end of the line"
    return f"'{tok.text}'"


# letters of other alphabets that look like Latin ones: names that differ only by these are refused
_LOOKALIKE = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
    "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M",
    "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ı": "i",
})


def skeleton(name: str) -> str:
    """What a name looks like: letters of other alphabets that look Latin read as Latin (Cyrillic х as x)."""
    return name if name.isascii() else name.translate(_LOOKALIKE)


def lookalike_letters(name: str) -> str:
    """The letters of a name that only look Latin, named: "х (CYRILLIC SMALL LETTER HA)"."""
    return ", ".join(f"{c} ({unicodedata.name(c, 'U+%04X' % ord(c))})"
                     for c in dict.fromkeys(name) if skeleton(c) != c)


def normal_name(text: str) -> str:
    """A name as Python reads an identifier: NFKC-normalised, so x₁ is x1 and a fullwidth ｘ is x."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _classify(text: str) -> int:
    c = text[:1]
    if c in _PUNCT or text == ".T":
        return PUNCT
    if c in _DIGITS or (c == "." and len(text) > 1):
        return NUM
    if not text:
        return EOF
    if c in _BLANK or (c == "\\" and len(text) > 1 and text[1] in "\r\n"):
        return -1
    if c == "\\" and len(text) > 1:
        return COMMAND
    if c in _SUPER or (c in "⁺⁻" and len(text) > 1):
        return SUPER
    if (c.isalnum() or c == "_") and not c.isdecimal():
        return NAME
    return BAD


_KINDS: dict[str, int] = {}  # short tokens seen before -> their kind
_KINDS_KEPT = 65536


def _kind(text: str) -> int:
    """``_classify``, remembered for short tokens (operators, brackets, common names)."""
    kind = _classify(text)
    if len(text) <= 8 and len(_KINDS) < _KINDS_KEPT:
        _KINDS[text] = kind
    return kind


# --- the LaTeX a sheet is typed in, read as the tokens it stands for ----------------------------------------

_SHEET = re.compile(r"[\\{}]|\^\s*\*|[a-z]{2}\^")  # what sheet_tokens may have to rewrite: most sources hold none
_SIZES = frozenset({"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "bigg", "Bigg"})


def sheet_tokens(texts: list[str], starts: list[int], kinds: list[int]):
    """The tokens of LaTeX as a sheet types it, rewritten into gradcli's own: ``x_{1}`` and ``w_{12}`` are the
    names x_1 and w_12, ``\\phi_0`` is φ_0, ``\\left(``/``\\right)`` are brackets, braces group, ``\\frac{a}{b}``
    is ``((a)/(b))``, ``\\sqrt{x}`` is ``sqrt(x)``, and ``tanh^2(x)`` and ``\\sin^2 x`` are the square of the
    function, ``(tanh(x))^2``. Each new token keeps the start of the one it comes from, so carets stay
    under what was typed. Three passes, each a loop."""
    toks = [(t, s, k) for t, s, k in zip(texts, starts, kinds)]
    # 1. subscripts and stars joined into names (x_{12}, \phi_0, y^*, \phi^*_0); \left and \right left out
    out: list = []
    i, n = 0, len(toks)
    while i < n:
        t, st, k = toks[i]
        if k == COMMAND and t[1:] in _SIZES:
            i += 1
            continue
        greek = LATEX.get(t[1:], "") if k == COMMAND else ""
        if k != NAME and not (len(greek) == 1 and greek.isalpha()):
            out.append((t, st, k))
            i += 1
            continue
        base, end, j = greek or t, st + len(t), i + 1
        while j < n and toks[j][1] == end:
            nt, ns, nk = toks[j]
            if base.endswith("_") and nt == "{":  # x_{12}, x_{i}
                m = j + 1
                while m < n and toks[m][2] in (NAME, NUM):
                    m += 1
                if m == j + 1 or m == n or toks[m][0] != "}":
                    break
                base += "".join(x[0] for x in toks[j + 1:m])
                j, end = m + 1, toks[m][1] + 1
            elif base.endswith("_") and nk in (NAME, NUM):  # x_ 1 written without a space: x_1
                base, j, end = base + nt, j + 1, ns + len(nt)
            elif nk == NAME and nt.startswith("_"):  # \phi_0, or y^*_0
                base, j, end = base + nt, j + 1, ns + len(nt)
            elif nt == "^" and j + 1 < n and toks[j + 1][0] == "*":  # y^*: the name y_star
                base, j, end = base + "_star", j + 2, toks[j + 1][1] + 1
            elif (nt == "^" and j + 3 < n and [x[0] for x in toks[j + 1:j + 4]] == ["{", "*", "}"]):
                base, j, end = base + "_star", j + 4, toks[j + 3][1] + 1
            else:
                break
        if j == i + 1 and (k == NAME or base == greek):
            out.append((t, st, k))  # nothing joined: the token as it was
        else:
            out.append((base, st, NAME))
        i = j
    toks = out
    # 2. a function to a power, as sheets write its power: tanh^2(x), \sin^2 x, \sin^{2}(x)
    out = []
    i, n = 0, len(toks)

    def significant(j: int) -> int:
        while j < n and toks[j][2] == -1:
            j += 1
        return j

    def matching(j: int) -> int:
        """The index of the bracket that closes the one at j, or -1."""
        depth = 0
        while j < n:
            c = toks[j][0]
            if c in ("(", "[", "{"):
                depth += 1
            elif c in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return j
            elif toks[j][2] == EOF:
                return -1
            j += 1
        return -1

    while i < n:
        t, st, k = toks[i]
        name = LATEX.get(t[1:], "") if k == COMMAND else t if k == NAME else ""
        if name in FUNCTION_NAMES and name not in CONSTANTS:
            j = significant(i + 1)
            if j < n and toks[j][0] == "^":
                p = significant(j + 1)
                power, after = None, -1
                if p < n and toks[p][2] == NUM:
                    power, after = [toks[p]], p + 1
                elif p < n and toks[p][0] == "{":
                    q = matching(p)
                    if q > p + 1 and all(x[2] in (NUM, -1) or x[0] == "-" for x in toks[p + 1:q]):
                        power, after = [x for x in toks[p + 1:q] if x[2] != -1], q + 1
                if power is not None:
                    a = significant(after)
                    if a < n and toks[a][0] in ("(", "[", "{"):
                        c = matching(a)
                        arg = toks[a:c + 1] if c > 0 else None
                        end = c + 1
                    elif a < n and toks[a][2] in (NAME, NUM, COMMAND):
                        arg = [("(", toks[a][1], PUNCT), toks[a], (")", toks[a][1], PUNCT)]
                        end = a + 1
                    else:
                        arg = None
                    if arg:
                        out += [("(", st, PUNCT), (t, st, k), *arg, (")", st, PUNCT), ("^", toks[j][1], PUNCT),
                                *power]
                        i = end
                        continue
        out.append((t, st, k))
        i += 1
    toks = out
    # 3. braces as brackets; \frac{a}{b} as ((a)/(b))
    out = []
    braces: list[str] = []  # per open brace: "plain", "numerator" or "denominator"
    pending = None  # the role of the next brace: after \frac, a numerator; after its numerator, a denominator
    stack: list[int] = []
    partner: dict[int, int] = {}  # the braces that pair up; one that does not stays, for the parser's caret
    for j, (t, _, _) in enumerate(toks):
        if t == "{":
            stack.append(j)
        elif t == "}" and stack:
            partner[stack.pop()] = j
            partner[j] = -1

    def group(j: int) -> int:
        """The index of the brace closing a group that starts at j, blanks skipped, or -1."""
        j = significant(j)
        return partner.get(j, -1) if j < n and toks[j][0] == "{" else -1

    n = len(toks)
    for j, (t, st, k) in enumerate(toks):
        if t in ("{", "}") and j not in partner:
            out.append((t, st, BAD))
            continue
        if k == COMMAND and t == "\\frac" and any(toks[x][0] == "{" and x not in partner
                                                   for x in (significant(j + 1), significant(group(j + 1) + 1)
                                                             if group(j + 1) > 0 else n)
                                                   if x < n):
            continue  # \frac{a}{ : the caret goes to the brace never closed
        if k == COMMAND and t == "\\frac" and (a := group(j + 1)) > 0 and group(a + 1) > 0:
            out.append(("(", st, PUNCT))
            pending = "numerator"
            continue
        if t == "{":
            braces.append(pending or "plain")
            pending = None
            out.append(("(", st, PUNCT))
            continue
        if t == "}":
            role = braces.pop()
            out.append((")", st, PUNCT))
            if role == "numerator":
                out.append(("/", st, PUNCT))
                pending = "denominator"
            elif role == "denominator":
                out.append((")", st, PUNCT))
            continue
        if k != -1:
            pending = None  # a brace after \frac's groups is a group of its own
        out.append((t, st, k))
    return [x[0] for x in out], [x[1] for x in out], [x[2] for x in out]


_HEADER = re.compile(r"\)\s*=")  # what every definition s(γ) = … holds; most sources have none
_DEFINED: list = [None, {}]  # the last source prescanned and its definitions: a program's lines share it


def definitions(source: str) -> dict[str, int]:
    """The functions a program defines, as name -> number of parameters: a step ``s(γ) = …`` whose name a
    later step calls, ``s(z1)``. A step ``f(x1, x2) = …`` whose name nothing calls lists the inputs instead.
    One pass over the tokens, with no parsing: the parser then knows each call for what it is."""
    if _DEFINED[0] is source or _DEFINED[0] == source:
        return _DEFINED[1]
    found: dict[str, int] = {}
    if _HEADER.search(source):
        texts = _TOKEN.findall(source.translate(_FULLWIDTH) if not source.isascii() else source)
        kinds = [_kind(t) for t in texts]
        words = [k == NAME or k == COMMAND for k in kinds]
        significant = [i for i, k in enumerate(kinds) if k != -1]
        headers: dict[str, int] = {}
        at_header: set[int] = set()
        called: set[str] = set()
        depth, start = 0, True
        n = len(significant)
        for j, i in enumerate(significant):
            t = texts[i]
            if start and words[i] and j + 1 < n and texts[significant[j + 1]] == "(":
                k, count = j + 2, 0
                while k < n and words[significant[k]]:
                    count += 1
                    k += 1
                    if k < n and texts[significant[k]] == ",":
                        k += 1
                if count and k + 1 < n and texts[significant[k]] == ")" and texts[significant[k + 1]] == "=":
                    headers.setdefault(normal_name(t), count)
                    at_header.add(j)
            start = False
            if t in ("(", "["):
                depth += 1
            elif t in (")", "]"):
                depth = max(0, depth - 1)
            elif depth == 0 and t in _SEP:
                start = True
            elif words[i] and j not in at_header and j + 1 < n and texts[significant[j + 1]] == "(":
                called.add(normal_name(t))
        found = {name: count for name, count in headers.items() if name in called and name not in FUNCTION_NAMES}
    _DEFINED[0], _DEFINED[1] = source, found
    return found


class _Parser:
    def __init__(self, source: str, prefix: str = "", lenient: bool = False,
                 functions: dict[str, int] | None = None) -> None:
        self.source = source
        self.prefix = prefix
        self.lenient = lenient  # inf and nan read as names: formulas gradcli itself wrote with such values
        # the functions the program defines, name -> parameters; ``functions``: a program's, for a formula about it
        self.defined = definitions(source) if functions is None else functions
        self.operations = 0  # operators and calls read so far, each an operation: counted against MAX_OPERATIONS

    def error(self, message: str, start: int, end: int | None = None) -> GradcliSyntaxError:
        return GradcliSyntaxError(message, self.source, start, (end or start + 1) - start, self.prefix)

    def run(self, single: bool, pos: int = 0, endpos: int | None = None, sink=None) -> list[Statement]:
        """Every statement of the source (or of ``source[pos:endpos]``, one or more whole lines); with
        ``single``, exactly one bare expression. With ``sink``, each statement is handed to it as soon as it is
        read, and not kept: the builder takes it while the parser goes on."""
        source = self.source
        statements: list[Statement] = []
        take = statements.append if sink is None else sink
        made = 0
        out: list[Item] = []
        spans: list[tuple[int, int]] = []  # the span of each operand on the output
        stack: list[list] = []
        depth = 0
        expect_operand = True
        target: str | None = None
        params: tuple[tuple[str, int], ...] = ()
        defining = False  # the step is a function's definition
        parts: list = []  # the outputs a statement lists before the current one: (items, start, end)
        target_start = stmt_start = -1
        last: _Tok | None = None  # the previous token of this statement
        pending: _Tok | None = None  # a name whose meaning (call or operand) the next token decides

        def push(entry: list, end: int) -> None:
            """An operator or call onto the stack: each is one operation once its operands are read, so the
            limit is told at the operator that passes it, in reading order."""
            self.operations += 1
            if self.operations > MAX_OPERATIONS:
                raise self.error(f"more than {MAX_OPERATIONS:,} operations: gradcli's tables and sweeps are made for "
                                 "graphs up to that size (limit operations)", entry[2], end)
            stack.append(entry)

        def emit(op: str, arity: int, start: int, end: int) -> None:
            if arity:
                del spans[-arity:]
            spans.append((start, end))
            out.append(_new(Item, ("op", op, arity, start, end)))

        def reduce(prec: int, right: bool) -> None:
            while stack and stack[-1][0] <= _NEG:
                top = stack[-1]
                p = _PREC[top[1]]
                if p > prec or (p == prec and not right):
                    stack.pop()
                    if top[0] == _BIN:
                        emit(top[1], 2, spans[-2][0], spans[-1][1])
                    else:
                        emit("neg", 1, top[2], spans[-1][1])
                else:
                    break

        # fullwidth forms (ｘ, ２, （) read as the ASCII they stand for: one character each, so columns hold
        texts = _TOKEN.findall(source.translate(_FULLWIDTH) if not source.isascii() else source, pos,
                               len(source) if endpos is None else endpos)
        texts.append("")  # the end of the input
        starts = list(accumulate(map(len, texts), initial=pos))
        known = _KINDS.get
        kinds = [k if (k := known(t)) is not None else _kind(t) for t in texts]
        if _SHEET.search(source, pos, len(source) if endpos is None else endpos):
            texts, starts, kinds = sheet_tokens(texts, starts, kinds)
        n_tokens = len(texts)

        def ahead(i: int) -> int:
            """The index of the next token after i that is not a blank or a comment."""
            i += 1
            while kinds[i] == -1:
                i += 1
            return i

        def end_of_step(i: int) -> bool:
            """Whether token i is followed only by blanks until the end of its step."""
            j = ahead(i)
            return kinds[j] == EOF or texts[j] in _SEP

        i = -1
        while i + 1 < n_tokens:
            i += 1
            kind = kinds[i]
            if kind == -1:
                continue
            text, start = texts[i], starts[i]
            end = start + len(text)
            if kind == COMMAND:
                word = text[1:]
                if word == "frac":
                    raise self.error("\\frac takes its numerator and denominator in braces, \\frac{a}{b}; or "
                                     "write a/b", start, end)
                if word not in LATEX:
                    raise self.error(f"unknown command '{text}': gradcli reads \\sigma, \\exp, \\cdot and Greek "
                                     "letters; write other functions by name, e.g. sqrt(x)", start, end)
                text = LATEX[word]
                kind = PUNCT if text == "*" else NAME
            tok = _new(_Tok, (kind, text, start, end))

            if pending is not None:
                name, pending = pending, None
                if text in _CLOSER:
                    if name.text not in FUNCTION_NAMES and text == "(" and last is None and not single \
                            and target is None:
                        found = self.parameters(i, texts, kinds, starts, ahead)
                        if found is not None:  # f(x1, x2) = …: the output step, naming its inputs
                            params, i = found  # (or s(γ) = …, a function's definition, when a step calls s)
                            target, target_start = name.text, name.start
                            defining = name.text in self.defined
                            last = tok
                            continue
                    if text == "[" and name.text not in FUNCTION_NAMES:
                        # v[k], W[i, j]: an entry of an array (the builder says when the name is not one)
                        out.append(_new(Item, ("name", name.text, 0, name.start, name.end)))
                        spans.append((name.start, name.end))
                        push([_CALL, "index", name.start, 2, "["], end)
                        depth += 1
                        last = tok
                        continue
                    self.check_function(name, text)
                    push([_CALL, name.text, name.start, 1, text], end)
                    depth += 1
                    last = tok
                    continue
                if text == "=" and last is None and not single and target is None:
                    if name.text in self.defined:
                        raise self.error(f"'{name.text}' is a function this program defines; give this step "
                                         "another name", name.start, name.end)
                    if name.text in FUNCTION_NAMES and name.text not in PLAIN_TOO:
                        raise self.error(f"'{name.text}' is a function; give this step another name",
                                         name.start, name.end)
                    target, target_start = name.text, name.start
                    last = tok
                    continue
                if (name.text in FUNCTION_NAMES and name.text not in CONSTANTS and name.text not in PLAIN_TOO) \
                        or name.text in self.defined:
                    raise self.error(f"'{name.text}' is a function; write {name.text}(...) to call it",
                                     name.start, name.end)
                out.append(_new(Item, ("name", name.text, 0, name.start, name.end)))
                spans.append((name.start, name.end))
                expect_operand = False
                last = name

            if kind == BAD:
                if text in (".", ",") and not expect_operand and end_of_step(i):
                    continue  # a step ended as a sentence ends: "f1 = exp[x]," or "y = f4 + f5."
                hint = _HINTS.get(text[0], "")
                raise self.error(f"unexpected character '{visible(text[0])}'" + (f": {hint}" if hint else ""), start)
            if text == "\n" and depth > 0:
                continue
            if stmt_start < 0 and kind != EOF and text not in _SEP:
                stmt_start = start

            if expect_operand:
                if kind == NUM:
                    value = float(text)
                    if value == _INF:
                        raise self.error(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large "
                                         "for a float (largest is about 1.8e308)", start, end)
                    out.append(_new(Item, ("num", value, 0, start, end)))
                    spans.append((start, end))
                    expect_operand = False
                elif kind == NAME:
                    tok = self.check_name(tok)
                    pending = tok
                    continue  # the next token says whether it is a call
                elif text in _CLOSER:
                    stack.append([_GROUP, None, start, 0, text])
                    depth += 1
                elif text == "-":
                    push([_NEG, "neg", start, 0, ""], end)
                elif text == "+":
                    pass  # unary plus changes nothing
                elif (kind == EOF or text in _SEP) and last is None and target is None:
                    # an empty statement: a blank line, ";;", the end after a separator
                    if kind == EOF:
                        break
                    continue
                else:
                    raise self.missing_operand(tok, last, stack)
            else:
                op = BINARY.get(text)
                if text == "[":  # softmax(o)[3], (W @ x)[1]: an entry of what comes before
                    push([_CALL, "index", spans[-1][0], 2, "["], end)
                    depth += 1
                    expect_operand = True
                elif text in TRANSPOSE:  # xᵀ, x.T: binds to the operand before it, tighter than any operator
                    emit("transpose", 1, spans[-1][0], end)
                elif op is not None:
                    reduce(_PREC[op], op == "pow")
                    push([_BIN, op, start, 0, ""], end)
                    expect_operand = True
                elif kind == SUPER:  # x² is x**2
                    reduce(_PREC["pow"], True)
                    push([_BIN, "pow", start, 0, ""], end)
                    power = float(text.replace("⁻", "-").replace("⁺", "").translate(str.maketrans(_SUPER_VALUE)))
                    out.append(_new(Item, ("num", power, 0, start, end)))
                    spans.append((start, end))
                elif text == ")" or text == "]":
                    self.close(stack, spans, emit, reduce, tok)
                    depth -= 1
                elif text == ",":
                    reduce(0, False)
                    if stack and stack[-1][0] == _CALL:
                        stack[-1][3] += 1
                        expect_operand = True
                    elif stack and stack[-1][4] == "[":  # [a, b, c]: brackets with commas are an array
                        stack[-1][0:4] = [_CALL, "array", stack[-1][2], 2]
                        expect_operand = True
                    elif stack:
                        raise self.error("',' inside brackets that are not a function call's", start)
                    elif end_of_step(i):
                        continue  # a trailing comma after a step
                    elif not single and not parts and self.step_follows(i, texts, kinds, ahead):
                        # "f1 = exp(x), f2 = f1**2": a comma between steps
                        take(Statement(target, target_start, out, stmt_start, start, params, (), defining))
                        made += 1
                        out, spans = [], []
                        expect_operand, target, target_start, stmt_start, last = True, None, -1, -1, None
                        params, defining = (), False
                        continue
                    elif not single and target is None:
                        # "s1, s2, s3": a step that lists several outputs
                        first = parts[-1][2] + 1 if parts else stmt_start
                        parts.append((out, first, start))
                        out, spans = [], []
                        expect_operand = True
                        last = tok
                        continue
                    elif target is not None:
                        raise self.error("a step names one value; list several outputs in a last step of their own: "
                                         "s1, s2, s3", start)
                    else:
                        raise self.error("',' outside a function call's parentheses", start)
                elif kind == EOF or text in _SEP:
                    reduce(0, False)
                    if stack:
                        top = stack[-1]
                        raise self.error(f"'{top[4] or '('}' is never closed; add '{_CLOSER.get(top[4], ')')}' "
                                         f"before {_describe(tok)}", top[2])
                    if single and kind != EOF:
                        raise self.error(f"unexpected {_describe(tok)} in a value", start)
                    listed = ()
                    if parts:
                        listed = (*parts, (out, parts[-1][2] + 1, start))
                    take(Statement(target, target_start, out, stmt_start, start, params, listed, defining))
                    made += 1
                    if kind == EOF:
                        break
                    out, spans = [], []
                    expect_operand, target, target_start, stmt_start, last = True, None, -1, -1, None
                    params, parts, defining = (), [], False
                    continue
                elif text == "=":
                    raise self.error("'=' can only follow a step's name at the start of a step (name = expr)",
                                     start)
                else:
                    raise self.missing_operator(tok, last)
            last = tok
        if not made:
            if single:
                raise self.error("a value is empty", 0)
            raise self.error("the input is empty; write an expression such as exp(x1)*x2", 0)
        return statements

    def parameters(self, i: int, texts: list[str], kinds: list[int], starts: list[int], ahead):
        """``(x1, x2) =`` after a name at the start of a step: the names and the index of the '=', or None."""
        names: list[tuple[str, int]] = []
        j = ahead(i)
        while True:
            if kinds[j] != NAME:
                return None
            names.append((texts[j], starts[j]))
            j = ahead(j)
            if texts[j] == ")":
                break
            if texts[j] != ",":
                return None
            j = ahead(j)
        j = ahead(j)
        if texts[j] != "=":
            return None
        seen: set[str] = set()
        checked = []
        for text, start in names:
            tok = self.check_name(_Tok(NAME, text, start, start + len(text)))
            if tok.text in FUNCTION_NAMES and tok.text not in PLAIN_TOO:
                raise self.error(f"'{tok.text}' is a function, not an input's name", start, start + len(text))
            if tok.text in seen:
                raise self.error(f"'{tok.text}' is listed twice", start, start + len(text))
            seen.add(tok.text)
            checked.append((tok.text, start))
        return tuple(checked), j

    @staticmethod
    def step_follows(i: int, texts: list[str], kinds: list[int], ahead) -> bool:
        """Whether a new step ``name = …`` or ``f(x, y) = …`` begins after token i."""
        j = ahead(i)
        if kinds[j] != NAME:
            return False
        j = ahead(j)
        if texts[j] == "(":  # f(x, y) = …: names and commas, then ")" and "="
            j = ahead(j)
            while kinds[j] == NAME or texts[j] == ",":
                j = ahead(j)
            if texts[j] != ")":
                return False
            j = ahead(j)
        return texts[j] == "="

    def check_name(self, tok: _Tok) -> _Tok:
        """The name, normalised (x₁ is x1); a caret at a character no name can hold."""
        if tok.text.isascii() and tok.text.isidentifier() and (len(tok.text) not in (3, 8) or self.lenient
                                                               or tok.text.lower() not in NOT_NUMBERS):
            return tok  # nearly always: an ASCII name, and not inf, nan or infinity
        name = normal_name(tok.text)
        if name.lower() in NOT_NUMBERS and not self.lenient:
            raise self.error(f"'{tok.text}' is not a name, and gradcli takes finite numbers only (the largest is "
                             "about 1.8e308)", tok.start, tok.end)
        if name.isidentifier():
            return tok if name == tok.text else _Tok(tok.kind, name, tok.start, tok.end)
        i = next(i for i in range(1, len(tok.text) + 1) if not normal_name(tok.text[:i]).isidentifier())
        c = tok.text[i - 1]
        hint = _HINTS.get(c, "names are letters, digits and _")
        raise self.error(f"unexpected character '{visible(c)}' in a name: {hint}", tok.start + i - 1)

    def check_function(self, tok: _Tok, bracket: str = "(") -> None:
        name = tok.text
        if name in FUNCTION_NAMES or name in self.defined:
            return
        if skeleton(name) in FUNCTION_NAMES:
            raise self.error(f"'{name}' is not '{skeleton(name)}': it is typed with letters of another alphabet, "
                             f"{lookalike_letters(name)}; type it in Latin letters", tok.start, tok.end)
        if name.lower() in NOT_FUNCTIONS:
            raise self.error(NOT_FUNCTIONS[name.lower()], tok.start, tok.end)
        import difflib  # only on the error path

        close = difflib.get_close_matches(name.lower(), sorted(FUNCTION_NAMES), n=6, cutoff=0.6)
        # the fewest edits, then the longest common start, then the commoner function (the op table's order):
        # exq is exp (not eq), sinn is sin (not sinh)
        order = {n: i for i, n in enumerate(n for op in OPS.values() for n in op.names)}
        close.sort(key=lambda c: (_edits(name.lower(), c), -_common_start(name.lower(), c), order.get(c, 99)))
        if close:
            hint = f"did you mean '{close[0]}'?"
        else:
            known = ", ".join(sorted({op.names[0] for op in OPS.values() if op.names and op.names[0] in FUNCTION_NAMES}))
            hint = f"for a product write {name}*{bracket}...{_CLOSER[bracket]}; the functions are {known}"
        raise self.error(f"unknown function '{name}'; {hint}", tok.start, tok.end)

    def close(self, stack: list[list], spans: list[tuple[int, int]], emit, reduce, tok: _Tok) -> None:
        reduce(0, False)
        if not stack:
            raise self.error(f"'{tok.text}' has no matching '{'(' if tok.text == ')' else '['}'", tok.start)
        kind, name, start, argc, bracket = stack.pop()
        if _CLOSER[bracket] != tok.text:
            raise self.error(f"'{tok.text}' closes the '{bracket}' at column {start + 1}; write "
                             f"'{_CLOSER[bracket]}'", tok.start)
        if kind == _GROUP:
            # a group's span takes in its brackets, so a constant's label reads "(1+2)"
            spans[-1] = (start, tok.end)
            return
        if name in self.defined:  # a function the program defines: the builder knows its op
            if argc != self.defined[name]:
                n = self.defined[name]
                raise self.error(f"{name} takes {n} argument{'s' if n != 1 else ''}, as its definition says, not "
                                 f"{argc}", start, tok.end)
            emit(name, argc, start, tok.end)
            return
        op = name if name in ("array", "index") else op_for_call(name, argc)
        if op is None:
            if name in VARIADIC:
                n = arities(name)[0]
                raise self.error(f"{name} takes {n} or more arguments, not {argc}", start, tok.end)
            ns = " or ".join(str(n) for n in arities(name))
            raise self.error(f"{name} takes {ns} argument{'s' if ns != '1' else ''}, not {argc}", start, tok.end)
        emit(op, argc, start, tok.end)

    def missing_operand(self, tok: _Tok, last: _Tok | None, stack: list[list]) -> GradcliSyntaxError:
        after = f" after '{last.text}'" if last is not None and last.text not in _SEP else ""
        if tok.text in (")", "]") and last is not None and last.text in _CLOSER:
            if stack and stack[-1][0] == _CALL and stack[-1][1] == "index":
                return self.error("empty brackets: an entry's index is a whole number from 1, as in v[1] or "
                                  "W[1, 2]", last.start, tok.end)
            if stack and stack[-1][0] == _CALL:
                n = arities(stack[-1][1])[0]
                return self.error(f"{stack[-1][1]}() needs {n} argument{'s' if n > 1 else ''}", tok.start)
            if last.text == "[":
                return self.error("empty brackets; an array needs entries, as in [1, 2]", last.start, tok.end)
            return self.error("empty parentheses; put an expression inside", last.start, tok.end)
        if tok.kind == EOF or tok.text in _SEP:
            return self.error(f"the expression is incomplete{after}: expected a number, a name or '('", tok.start)
        if tok.text == "=":
            return self.error("a step needs a name before '=' (name = expr)", tok.start)
        return self.error(f"expected a number, a name or '('{after}, not '{tok.text}'", tok.start, tok.end)

    def missing_operator(self, tok: _Tok, last: _Tok | None) -> GradcliSyntaxError:
        prev = last.text if last is not None else ""
        if last is not None and last.kind == NUM and tok.kind == NAME and last.end == tok.start:
            if tok.text[0] in "eE" and (len(tok.text) == 1 or not tok.text[1:].isdigit()):
                return self.error(f"'{prev}{tok.text}' is not a number: an exponent needs digits, as in {prev}e-3; "
                                  f"for a product write {prev}*{tok.text}", last.start, tok.end)
            return self.error(f"missing operator: write {prev}*{tok.text} for a product", last.start, tok.end)
        if prev == "ᵀ":  # wᵀx, as a sheet writes it: the matrix product
            m = re.search(r"([^\W\d]\w*|\))\s*$", self.source[:last.start])
            left = ("(…)" if m and m.group(1) == ")" else m.group(1) if m else "") + "ᵀ"
            return self.error(f"missing operator between '{left}' and '{tok.text}'; for the matrix product write "
                              f"{left} @ {tok.text}", tok.start, tok.end)
        also = f" ({prev} @ {tok.text} if they are arrays)" if tok.kind == NAME and last is not None \
            and last.kind == NAME else ""
        return self.error(f"missing operator between '{prev}' and '{tok.text}'; for a product write "
                          f"{prev}*{tok.text}{also}", tok.start, tok.end)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, for ranking suggestions (short words only)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _common_start(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def parse(source: str) -> Program:
    """Parse a program (``name = expr`` steps) or a single expression."""
    return Program(source, _Parser(source).run(single=False))


def parse_expression(source: str, prefix: str = "", lenient: bool = False,
                     functions: dict[str, int] | None = None) -> list[Item]:
    """Parse one expression with no steps; ``prefix`` is shown before the source in errors. ``lenient``
    reads inf and nan as names (for formulas gradcli wrote, not for user text). ``functions`` are the ones a
    program defines (name -> number of parameters), which the expression may call (a claim about it)."""
    return _Parser(source, prefix, lenient, functions).run(single=True)[0].items
