"""LaTeX that always compiles and never loses rows: numbers, prose, page breaks, names and every op."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import op_case, run, run_json
from gradcli.core.graph import graph_of
from gradcli.core.ops import OPS, Op, fmt
from gradcli.core.point import bind
from gradcli.render import document
from gradcli.render.document import Code, Gap, Grid, Line, Steps
from gradcli.render.latex import LatexStyle, LatexWriter, _tree, escape, on_paper, tex_name
from gradcli.engine.trace import run_forward, run_graph, run_reverse
from texcheck import compile_fragments, plain, shipped_pages

# lines never break and words are never hyphenated: what is read back is each line whole
WIDE = "\\setlength{\\textwidth}{15000pt}\\hyphenpenalty=10000 \\exhyphenpenalty=10000\n"

LOGISTIC = "-(y*log(sigmoid(w1*x1 + w2*x2)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2)))"
LOGISTIC_AT = "w1=0.5,w2=-0.25,x1=1,x2=2,y=1"


def latex(*args: str) -> str:
    result = run(*args, "--format", "latex")
    assert result.exit_code == 0, result.output
    return result.stdout


# --- negative numbers --------------------------------------------------------------------------------

_NEGATIVE = re.compile(r"-10\^\{-?[0-9]+\}|-(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?: \\times 10\^\{-?[0-9]+\})?|-\\infty")


def numbers_cells(fragment: str) -> list[str]:
    """The 'with the numbers' cell of every row of every align* (rows are lhs &= rule && = numbers && = value)."""
    cells = []
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", fragment, re.S):
        for line in block.split("\\\\\n"):
            parts = line.split("&&")
            if len(parts) == 3:
                cells.append(parts[1].strip().removeprefix("=").strip())
            elif "\\\\*\n" in line:  # a wide table, a part a line: rule, numbers, value (a long one continued)
                stacked: list[str] = []
                for piece in line.split(" \\\\*\n"):
                    head, _, body = piece.partition("&")
                    if body.startswith("= "):
                        stacked.append(body[2:])
                    elif body.startswith("\\qquad {}") and stacked:
                        stacked[-1] += " " + body.removeprefix("\\qquad {}")
                if len(stacked) >= 3:
                    cells.append(stacked[-2].replace("\\bigl(", "\\left(").replace("\\bigr)", "\\right)"))
    return cells


def bare_negatives(cell: str) -> tuple[int, list[str]]:
    """How many negative numbers a cell holds, and the minus signs that stand bare where a term or a factor
    is: right after + or - or a product's dot, or a negative number beside a dot or under an exponent.
    A negative number is fine in parentheses, or alone at the start of the cell, of a fraction's part or
    of an exponent, and followed by nothing or + or -."""
    seen, bad = 0, []
    for i in (i for i, c in enumerate(cell) if c == "-"):
        before = cell[:i].rstrip()
        operator = re.search(r"\\[A-Za-z]+$", before) and not before.endswith("\\infty")  # \cdot, \times
        if before and (before[-1].isalnum() or before[-1] in ")}]") and not operator:
            continue  # a binary minus: 1 - 2
        m = _NEGATIVE.match(cell, i)
        seen += m is not None
        end = m.end() if m else i + 1
        after = cell[end:].lstrip()
        shown = f"{before[-20:]}[{cell[i:end]}]{after[:20]}"
        if before.endswith(("+", "-", "\\cdot", "\\times")):
            bad.append(shown)  # 0.5 + -0.5, 2 \cdot -1, 3 + -\left(...\right)
        elif m:
            wrapped = before.endswith("\\left(") and after.startswith("\\right)")
            alone = before == "" or before.endswith("{")
            ends = after == "" or after.startswith(("}", "+", "- "))
            if not (wrapped or (alone and ends)):
                bad.append(shown)
    return seen, bad


NEGATIVE_CASES = [
    ("reverse", LOGISTIC, LOGISTIC_AT),
    ("forward", LOGISTIC, LOGISTIC_AT),
    ("reverse", "x*-2", "3"),
    ("forward", "x*-2", "-3"),
    ("reverse", "-3*x + 1e-20*y", "-1,-2"),
    ("forward", "-3*x + 1e-20*y", "-1,-2"),
    ("reverse", "(-2)**x + x**-3 - -x + x*1e-300*1e-300", "-2"),
    ("forward", "y - 2*x + x*y**2 - exp(-y)", "-0.5,-1e-7"),
]


@pytest.mark.parametrize("command,expr,at", NEGATIVE_CASES)
def test_negative_numbers_are_parenthesised_as_terms_factors_and_bases(command: str, expr: str, at: str) -> None:
    cells = numbers_cells(latex(command, expr, "--at", at, "--max-rows", "0"))
    assert cells
    seen, bad = 0, []
    for cell in cells:
        n, b = bare_negatives(cell)
        seen, bad = seen + n, bad + b
    assert seen > 0  # the case does put negative numbers in the numbers column
    assert not bad, bad


def test_the_check_finds_bare_negatives() -> None:
    assert bare_negatives(r"0.5 + -0.5")[1] == ["0.5 +[-0.5]"]
    assert bare_negatives(r"3 + -\left(2 \times 10^{-20}\right)")[1]
    assert bare_negatives(r"-0.25 \cdot 2")[1]
    assert bare_negatives(r"-2^{2}")[1]
    assert bare_negatives(r"1 - -3 \times 10^{-20}")[1]
    assert bare_negatives(r"1 \cdot -10^{-5}")[1]
    assert bare_negatives(r"0.5 + \left(-0.5\right) - 2 \cdot \left(-1\right)") == (2, [])
    assert bare_negatives(r"-1 + \frac{-1}{2} \cdot 10^{-5}") == (3, [])


# --- prose prints as typed ---------------------------------------------------------------------------

# what OT1 fonts get wrong when these are typed as they are: ligatures, ¡ ¿ for < >, curly quotes, accents
TRICKY = [
    "--dot", "(--max-rows 0 shows all)", "x > 0", "x < 0", ">=", "<=", "a|b", "log(0)", "sqrt'(0) = inf",
    "c1's", "``quoted''", "!`", "?`", "a---b", "~ ^ _ \\ { } $ & % #", '"x"', "`x`", "x**-1 -- --x",
    "dot -Tsvg > graph.svg", "1 × 18 = 18", "∂c3/∂c1 · ∇f … ±", "a–b—c", "‘single’ “double”",
]
PROSE = st.text(alphabet=st.sampled_from([chr(c) for c in range(32, 127)] + list("×·∂∇…±–—‘’“”")), min_size=1)


def typeset_prose(texts: list[str], where) -> list[str]:
    """Each text escaped, set in a box of its own after a small rule, and read back from the compiled pages."""
    fragments = [(f"prose {n}", rf"\noindent\vrule width 1pt height 1pt\hbox{{{escape(t)}}}")
                 for n, t in enumerate(texts)]
    compiled = compile_fragments(fragments, where, body_start="\\pagestyle{empty}\n", trace=True)
    assert compiled.ok, compiled.report()
    return "".join(shipped_pages(compiled.log)).split("\x1e")[1:]


def test_tricky_prose_prints_as_typed(tmp_path) -> None:
    got = typeset_prose(TRICKY, tmp_path)
    assert [plain(g) for g in got] == [plain(t) for t in TRICKY]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PROSE, min_size=1, max_size=30))
def test_any_ascii_prose_prints_as_typed(tmp_path_factory, texts: list[str]) -> None:
    texts = [t for t in texts if t.strip()]
    got = typeset_prose(texts, tmp_path_factory.mktemp("prose"))
    assert [plain(g) for g in got] == [plain(t) for t in texts]


def test_code_that_does_not_parse_prints_as_typed(tmp_path) -> None:
    """A step shown as typed (cut off, or not in the language) is typewriter text with the same characters."""
    writer = LatexWriter()
    texts = [t for t in TRICKY if _tree(t) is None] + ["sin(" * 80 + "x…", "y = exp(x1)*(x1**2 + …"]
    assert len(texts) > 10
    fragments = [(f"code {n}", rf"\noindent\vrule width 1pt height 1pt\hbox{{{writer.code(Code(t, steps=True))}}}")
                 for n, t in enumerate(texts)]
    compiled = compile_fragments(fragments, tmp_path, body_start="\\pagestyle{empty}\n", trace=True)
    assert compiled.ok, compiled.report()
    got = "".join(shipped_pages(compiled.log)).split("\x1e")[1:]
    assert [plain(g) for g in got] == [plain(t) for t in texts]


def prose_parts(blocks) -> list[str]:
    """The prose of a document: each line, title, grid cell and note, without its formulas."""
    writer = LatexWriter()
    pieces: list = []
    for block in blocks:
        if isinstance(block, Steps):
            pieces += list(block.title)
            for row in block.rows:
                if isinstance(row, Gap):
                    pieces.append(f"… {row.count} rows left out (--max-rows 0 shows all)")
                elif row.note:
                    pieces.append(f"({row.note})")
        elif isinstance(block, Grid):
            pieces += [p for h in block.headers for p in h]
            pieces += [p for row in block.rows if not isinstance(row, Gap) for c in row for p in c]
        elif isinstance(block, Line):
            text = list(block.text)
            for k, p in enumerate(text):  # "f = " before the expression is typeset with it, in math
                if isinstance(p, str) and k + 1 < len(text) and isinstance(text[k + 1], Code) and text[k + 1].expr \
                        and re.fullmatch(r"\w+ = ", p):
                    text[k] = ""
            pieces += text
    del writer
    # a page leaves out the command line's options and hints: "(--symbolic)", "add --dot and pipe to"
    # and an apostrophe is a quote, input’s, not a typewriter's straight one
    return [re.sub(r"(?<=[A-Za-z])'(?=[A-Za-z])", "’", on_paper(p)) for p in pieces
            if isinstance(p, str) and plain(on_paper(p))]


def trace_of(command: str, expr: str, at: str, **options):
    graph = graph_of(expr)
    point = bind(at, graph.names)
    if command == "forward":
        return run_forward(graph, point, None, bind(options["direction"], graph.names) if "direction" in options
                           else None)
    if command == "reverse":
        return run_reverse(graph, point)
    return run_graph(graph, point, True)


DOCUMENTS = [
    ("graph", "log(x) + sqrt(x) + abs(x)", "0", ["--max-rows", "4"]),
    ("reverse", LOGISTIC, LOGISTIC_AT, ["--cost"]),
    ("forward", "sin(sin(sin(sin(x))))", "1", ["--max-rows", "2", "--cost"]),
    ("forward", "exp(x1)*(x1**2+x2**2)**3", "0,2", ["--direction", "1,-1", "--cost"]),
    ("reverse", "relu(x)*x**0.5 + sqrt(x)", "0", []),
    ("reverse", "loss_1 = (w*x - y)**2; loss = loss_1/2", "1,2,3", []),
]


@pytest.mark.parametrize("command,expr,at,options", DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_every_piece_of_prose_in_a_write_up_prints_as_typed(tmp_path, command, expr, at, options) -> None:
    result = run(command, expr, "--at", at, "--format", "latex", *options)
    assert result.exit_code == 0, result.output
    named = dict(zip(options[::2], options[1::2]))
    trace = trace_of(command, expr, at, **{k.lstrip("-"): v for k, v in named.items() if k == "--direction"})
    max_rows = int(named.get("--max-rows", 200))
    blocks = getattr(document, command)(trace, max_rows, **({"cost": True} if "--cost" in options else {}))
    compiled = compile_fragments([(command, result.stdout)], tmp_path, preamble=WIDE, trace=True)
    assert compiled.ok, compiled.report()
    text = plain(" ".join(shipped_pages(compiled.log)))
    parts = prose_parts(blocks)
    assert parts
    # and the warnings, quoted from the user's expression, as the JSON output words them
    warnings = run_json(command, expr, "--at", at)["warnings"]
    missing = [p for p in parts + warnings if plain(p) not in text]
    assert not missing, (missing, text[:3000])


def test_every_symbol_prose_may_hold_compiles_without_t1_or_ts1(tmp_path) -> None:
    """Each non-ASCII character the prose table knows, and code points for those it does not."""
    from gradcli.render.latex import _TEXT

    texts = ["".join(c for c in _TEXT if not c.isascii()), "变量 א ☃ \ue000\ue001 \x07"]
    compiled = compile_fragments([(f"symbols {n}", escape(t)) for n, t in enumerate(texts)], tmp_path, trace=True)
    assert compiled.ok, compiled.report()
    assert "U+53D8 U+91CF" in escape(texts[1]) and "U+E000" in escape(texts[1])


def test_a_broken_fragment_fails_and_is_named(tmp_path) -> None:
    compiled = compile_fragments([("fine", "x"), ("broken", r"\frac{1}"), ("after", "y")], tmp_path)
    assert not compiled.ok and compiled.failed_in == "broken"


def test_a_glyph_from_a_font_without_type1_outlines_fails(tmp_path) -> None:
    # TS1 (and T1) exist in texlive-latex-base only as METAFONT sources: a bitmap font is not made behind our back
    compiled = compile_fragments([("ts1", r"{\fontencoding{TS1}\selectfont \char36}")], tmp_path)
    assert not compiled.ok


# --- long tables break across pages -------------------------------------------------------------------

def chain(depth: int) -> str:
    return "sin(" * depth + "x" + ")" * depth


@pytest.mark.parametrize("command,rows", [("forward", 150), ("reverse", 150), ("graph", 150), ("reverse", 450),
                                          ("graph", 450)])
def test_a_long_table_continues_on_the_next_pages_and_loses_no_row(tmp_path, command: str, rows: int) -> None:
    """150 rows fill several pages; 450 are set as pieces of PIECE rows, which must join up."""
    expr = chain(rows - 1)
    compiled = compile_fragments([(command, latex(command, expr, "--at", "1", "--max-rows", "0"))], tmp_path,
                                 trace=True)
    assert compiled.ok, compiled.report()
    assert "Overfull \\vbox" not in compiled.log  # nothing pushed past the bottom of a page
    assert not re.search(r"Overfull \\hbox .* in paragraph", compiled.log)  # the long source line breaks too
    assert compiled.pages > 3
    pages = [plain(p) for p in shipped_pages(compiled.log)]
    trace = run_json(command, expr, "--at", "1")
    values = [fmt(n["value"]) for n in trace["nodes"]]
    assert len(values) == rows
    text = " ".join(pages)
    assert all(v in text for v in values)
    # the last row of the last table is on the last page, not cut off at the bottom of an earlier one
    last = {"forward": fmt(trace["tangents"]["x"][trace["output"]]) if command == "forward" else None,
            "reverse": fmt(trace["adjoints"]["c1"]) if command == "reverse" else None,
            "graph": values[-1]}[command]
    assert last in pages[-1]


@pytest.mark.slow
def test_a_table_of_ten_thousand_rows_compiles(tmp_path) -> None:
    """Beyond TeX's main memory as one alignment: set in pieces, it compiles (in about 20 s)."""
    compiled = compile_fragments([("reverse", latex("reverse", chain(9999), "--at", "1", "--max-rows", "0"))],
                                 tmp_path)
    assert compiled.ok, compiled.report()
    assert "Overfull \\vbox" not in compiled.log and compiled.pages > 400


# --- every name the language accepts typesets ----------------------------------------------------------

# one or more of each kind: Greek capitals with no command of their own, omicron, the symbol variants,
# tonos and dialytika, Latin accents (math accents and OT1 text accents), OT1's own letters, Hebrew,
# CJK, letterlike symbols, polytonic Greek, Cyrillic, Arabic, Devanagari (spacing marks), Hangul,
# titlecase digraphs, letter numbers, non-ASCII digits, underscores, digits inside, a long name
NAMES = ["Α", "ο", "Ω", "ϑ", "ϕ", "ϖ", "ϱ", "ϵ", "ς", "ά", "ΐ", "é", "ñ", "ç", "ő", "ş", "ā", "ř", "ł", "ß", "æ",
         "ø", "ı", "א", "ב", "变量", "ℓ", "ℏ", "℘", "℮", "ᾧ", "ж", "س", "कि", "한", "ǅ", "ⅻ", "x٣", "µ", "ϰ",
         "x_1_2", "_x", "__", "_", "a1b", "x_", "Δx", "θ_12", "café", "naïve1", "w" * 300, "ab" * 40 + "7"]
# names the parser takes apart (a combining mark is not a word character): still given to the notation
MARKED = ["e\u0301", "x\u0301", "x\u0308\u0301", "\u03b1\u0342", "q\u0327", "x\u20d7"]

_SCRIPTS = [(0x30, 0x7A), (0xC0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x45F), (0x5D0, 0x5EA),
            (0x620, 0x64A), (0x660, 0x669), (0x905, 0x94D), (0x1F00, 0x1FFC), (0x2070, 0x209C), (0x2100, 0x214F),
            (0x2160, 0x2188), (0x4E00, 0x4E20), (0xAC00, 0xAC10), (0xFF10, 0xFF3A)]
ALPHABET = [chr(c) for a, b in _SCRIPTS for c in range(a, b + 1) if unicodedata.category(chr(c)) != "Cn"]
IDENTIFIERS = st.text(alphabet=st.sampled_from(ALPHABET), min_size=1, max_size=8).filter(str.isidentifier)


def name_fragments(names: list[str]) -> list[tuple[str, str]]:
    """For each name: the reverse write-up of name*x (or, where the parser refuses the name, the ids it
    gives with --prefix), and the name, its tangent and adjoint, in math and in prose."""
    style = LatexStyle()
    out = []
    for n, name in enumerate(names):
        label = f"name {n} {ascii(name)[:40]}"
        result = run("reverse", f"{name}*x", "--at", "1,2", "--format", "latex")
        if result.exit_code != 0:  # a function name, a constant, x itself, or not a word to the parser
            assert result.exit_code == 2, result.output
            result = run("reverse", "sin(x)*x", "--prefix", name, "--at", "1", "--format", "latex")
        if result.exit_code == 0:
            out.append((label + " reverse", result.stdout))
        else:
            assert result.exit_code == 2, result.output
        out.append((label, f"${tex_name(name)}$, ${style.mark('bar', name)} + {style.mark('dot', name + '_3')}$, "
                            f"{escape(name)}"))
    return out


def test_every_kind_of_name_typesets(tmp_path) -> None:
    fragments = name_fragments(NAMES + MARKED)
    assert sum("reverse" in label for label, _ in fragments) >= len(NAMES) - 4
    compiled = compile_fragments(fragments, tmp_path)
    assert compiled.ok, compiled.report()


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(IDENTIFIERS, min_size=1, max_size=25, unique=True))
def test_any_identifier_typesets(tmp_path_factory, names: list[str]) -> None:
    compiled = compile_fragments(name_fragments(names), tmp_path_factory.mktemp("names"))
    assert compiled.ok, compiled.report()


@pytest.mark.parametrize("name,expected", [
    ("Α", r"\mathrm{A}"), ("ο", "o"), ("ϑ", r"\vartheta"), ("ϕ", r"\varphi"), ("φ", r"\phi"), ("ά", r"\acute{\alpha}"),
    ("é", r"\acute{e}"), ("í", r"\acute{\imath}"), ("ñ1", r"\tilde{n}_{1}"), ("א", r"\aleph"), ("ℓ", r"\ell"),
    ("ç", r"\text{\c{c}}"), ("变量", r"\mathrm{\mathtt{U{+}53D8\,U{+}91CF}}"), ("x_1_2", r"\mathrm{x\_1\_2}"),
    ("a1b", r"\mathrm{a1b}"), ("θ_12", r"\theta_{12}"), ("Δx", r"\mathrm{\Delta x}"), ("varphi2", r"\varphi_{2}"),
])
def test_name_forms(name: str, expected: str) -> None:
    assert tex_name(name) == expected


def test_adjoints_and_tangents_of_long_names_span_the_name() -> None:
    style = LatexStyle()

    def bar(n: str) -> str:
        return style.mark("bar", n)

    def dot(n: str) -> str:
        return style.mark("dot", n)

    assert (bar("c3"), dot("c3")) == (r"\bar{c}_{3}", r"\dot{c}_{3}")
    assert (bar("loss"), dot("loss")) == (r"\overline{\mathrm{loss}}", r"\overset{\cdot}{\mathrm{loss}}")
    assert bar("θ0") == r"\bar{\theta}_{0}" and bar("h_12") == r"\bar{h}_{12}"


# --- every op of the op table, in every command ------------------------------------------------------

def op_fragments(ops: list[Op]) -> list[tuple[str, str]]:
    fragments = []
    for op in ops:
        expr, at = op_case(op)
        for command in ("forward", "reverse", "graph"):
            fragments.append((f"{op.name} {command}", latex(command, expr, "--at", at)))
    return fragments


def test_every_op_in_every_command_compiles(tmp_path) -> None:
    table = [op for op in OPS.values() if not op.defined]  # the op table's own, not a program's functions
    fragments = op_fragments(table)
    assert len(fragments) == 3 * len(table)
    for op in table:  # each op's own node is in its write-up (copy is a named step, w = v)
        text = "".join(f for label, f in fragments if label.startswith(op.name + " "))
        assert f"& {op.name}" in text or f"&{op.name}" in text, op.name
    compiled = compile_fragments(fragments, tmp_path)
    assert compiled.ok, compiled.report()


@pytest.mark.parametrize("tex", [r"\sin\left({0}", r"\mathrm{{sin}}_{{{0}", r"\sin\right)"])
def test_a_malformed_tex_entry_fails_the_op_table_test(monkeypatch, tmp_path, tex: str) -> None:
    monkeypatch.setitem(OPS, "sin", OPS["sin"]._replace(tex=tex))
    compiled = compile_fragments(op_fragments([OPS["sin"]]), tmp_path)
    assert not compiled.ok and compiled.failed_in.startswith("sin")
