"""The command line, driven in-process: whole tables at a fixed width, JSON, errors and exit codes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from conftest import ROOT, clean_env, lines, run, run_json

SEED = "exp(x1)*(x1**2+x2**2)**3"

REVERSE_SEED = """\
f = exp(x1)*(x1**2+x2**2)**3
graph: 2 inputs (c1 = x1, c2 = x2), 6 operation nodes, output f = c8
at x1 = 0, x2 = 2

Evaluation trace: the values, in one forward sweep
c1 = x1               = 0
c2 = x2               = 2
c3 = exp(c1) = exp(0) = 1
c4 = c1**2   = 0**2   = 0
c5 = c2**2   = 2**2   = 4
c6 = c4 + c5 = 0 + 4  = 4
c7 = c6**3   = 4**3   = 64
c8 = c3·c7   = 1·64   = 64

Reverse mode: adjoints c̄i = ∂f/∂ci, from the output c8 back to the inputs
c̄8   (seed)                          = 1
c̄7 = c̄8·c3           = 1·1           = 1
c̄6 = c̄7·3·c6**2      = 1·3·4**2      = 48
c̄5 = c̄6                              = 48
c̄4 = c̄6                              = 48
c̄3 = c̄8·c7           = 1·64          = 64
c̄2 = c̄5·2·c2         = 48·2·2        = 192
c̄1 = c̄3·c3 + c̄4·2·c1 = 64·1 + 48·2·0 = 64

∇f(0, 2) = [64, 192]   (∂f/∂x1 = 64, ∂f/∂x2 = 192)
Cost: 1 forward sweep (values) + 1 reverse sweep give all 2 partial derivatives,
  whatever the number of inputs. A node used by k nodes sums k terms, one per
  edge."""

FORWARD_SEED_SWEEPS = """\
Forward mode, sweep 1 of 2: tangents ċi = ∂ci/∂x1
ċ1   (seed)                     = 1
ċ2   (seed)                     = 0
ċ3 = c3·ċ1         = 1·1        = 1
ċ4 = 2·c1·ċ1       = 2·0·1      = 0
ċ5 = 2·c2·ċ2       = 2·2·0      = 0
ċ6 = ċ4 + ċ5       = 0 + 0      = 0
ċ7 = 3·c6**2·ċ6    = 3·4**2·0   = 0
ċ8 = c7·ċ3 + c3·ċ7 = 64·1 + 1·0 = 64

Forward mode, sweep 2 of 2: tangents ċi = ∂ci/∂x2
ċ1   (seed)                       = 0
ċ2   (seed)                       = 1
ċ3 = c3·ċ1         = 1·0          = 0
ċ4 = 2·c1·ċ1       = 2·0·0        = 0
ċ5 = 2·c2·ċ2       = 2·2·1        = 4
ċ6 = ċ4 + ċ5       = 0 + 4        = 4
ċ7 = 3·c6**2·ċ6    = 3·4**2·4     = 192
ċ8 = c7·ċ3 + c3·ċ7 = 64·0 + 1·192 = 192

∇f(0, 2) = [64, 192]   (∂f/∂x1 = 64, ∂f/∂x2 = 192)
Cost: 2 forward sweeps, one per input asked for: each seeds one input's tangent
  with 1 and gives one partial derivative, so the whole gradient of 2 inputs
  takes 2 sweeps; reverse mode needs one."""


def test_reverse_table_of_the_seed_example() -> None:
    result = run("reverse", SEED, "--at", "0,2")
    assert result.exit_code == 0
    assert lines(result.output) == REVERSE_SEED


def test_forward_tables_of_the_seed_example() -> None:
    result = run("forward", SEED, "--at", "0,2")
    assert result.exit_code == 0
    assert lines(result.output).endswith(FORWARD_SEED_SWEEPS)
    assert "Evaluation trace" in result.output


def test_readme_shows_the_reverse_table_as_it_really_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    assert REVERSE_SEED in readme


def test_ascii_notation() -> None:
    out = run("reverse", SEED, "--at", "0,2", "--ascii").output
    assert "c1_bar = c3_bar*c3 + c4_bar*2*c1 = 64*1 + 48*2*0 = 64" in out
    assert "grad f(0, 2) = [64, 192]" in out
    assert all(ord(c) < 128 for c in out)


TEXTBOOK = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"


def test_program_tables_use_the_users_names() -> None:
    out = run("reverse", TEXTBOOK, "--at", "0", "--width", "200").output
    flat = [" ".join(line.split()) for line in out.splitlines()]
    assert "f̄3 = f̄4·f4 + f̄5·cos(f3) = 1·7.38905609893065 + 1·cos(2) = 6.972909262383508" in flat
    assert "ȳ (seed) = 1" in flat


def test_a_named_output_is_written_by_its_name() -> None:
    out = lines(run("reverse", TEXTBOOK, "--at", "0").output)
    assert "graph: 1 input (x), 6 operation nodes, output y" in out
    assert "Reverse mode: adjoints c̄i = ∂y/∂ci, from the output y back to the inputs" in out
    assert "∂y/∂x = 20.918727787150523" in out and "∂f/" not in out
    two = lines(run("reverse", "h = x*w; loss = h**2", "--at", "1,2").output)
    assert "∇loss(1, 2) = [8, 4]   (∂loss/∂w = 8, ∂loss/∂x = 4)" in two
    # a bare expression, or a program whose last step has no name, is f
    assert "∂f/∂x = 2" in lines(run("reverse", "h = x*x; h + 1", "--at", "1").output)
    assert "output f = c8" in lines(run("reverse", SEED, "--at", "0,2").output)


def test_rows_too_long_for_the_terminal_are_laid_out_as_a_worked_solution() -> None:
    out = run("reverse", TEXTBOOK, "--at", "0", "--width", "60").output
    assert lines(out).count("\n") and "f̄3 = f̄4·f4 + f̄5·cos(f3)\n   = 1·7.38905609893065 + " \
        "1·cos(2)\n   = 6.972909262383508\n" in out
    # rows that fit stay aligned in columns: the = before each one-line row's value is in the same column
    table = out.split("Reverse mode")[1].split("\n\n")[0].splitlines()[1:]
    one_line = [line for line in table if not line.startswith(" ") and not line.startswith(("f̄3", "f̄1"))]
    import unicodedata

    def cells(text: str) -> int:
        return sum(1 for c in text if not unicodedata.combining(c))

    assert len(one_line) == 5 and len({cells(line.rsplit("=", 1)[0]) for line in one_line}) == 1


def test_adjoints_and_tangents_of_long_names_mark_their_first_letter() -> None:
    out = lines(run("reverse", "phi1 = x*w; loss = phi1**2", "--at", "1,2").output)
    assert "l̄oss   (seed)" in out and "p̄hi1 = l̄oss·2·phi1" in out
    out = lines(run("forward", "phi1 = x*w; loss = phi1**2", "--at", "1,2", "--wrt", "w").output)
    assert "ṗhi1 = w·ẋ + x·ẇ" in out and "l̇oss = 2·phi1·ṗhi1" in out


def test_wrt_and_direction() -> None:
    out = run_json("forward", SEED, "--at", "0,2", "--wrt", "x2")
    assert out["gradient"] == {"x2": 192.0} and list(out["tangents"]) == ["x2"]
    out = run_json("forward", SEED, "--at", "0,2", "--direction", "1,1")
    assert out["directional_derivative"] == 256.0 and out["gradient"] is None
    assert list(out["tangents"]) == ["direction"]
    assert run("forward", SEED, "--at", "0,2", "--wrt", "x1", "--direction", "1,0").exit_code == 2


def test_json_contract() -> None:
    out = run_json("reverse", SEED, "--at", "0,2")
    for key in ("command", "source", "inputs", "point", "nodes", "output", "value", "gradient", "adjoints",
                "warnings"):
        assert key in out
    assert out["command"] == "reverse" and out["source"] == SEED
    assert out["inputs"] == ["x1", "x2"] and out["point"] == {"x1": 0.0, "x2": 2.0}
    assert out["nodes"][0] == {"id": "c1", "op": "input", "args": [], "expr": "x1", "value": 0.0}
    assert out["nodes"][2] == {"id": "c3", "op": "exp", "args": ["c1"], "expr": "exp(c1)", "value": 1.0}
    assert out["output"] == "c8" and out["value"] == 64.0
    assert out["gradient"] == {"x1": 64.0, "x2": 192.0}
    assert list(out["adjoints"])[:2] == ["c8", "c7"] and out["adjoints"]["c1"] == 64.0
    assert "tangents" not in out
    fwd = run_json("forward", SEED, "--at", "0,2")
    assert fwd["tangents"]["x1"]["c1"] == 1.0 and fwd["tangents"]["x1"]["c2"] == 0.0
    assert "adjoints" not in fwd
    g = run_json("graph", SEED, "--at", "0,2")
    assert "adjoints" not in g and "tangents" not in g and g["nodes"][7]["value"] == 64.0
    assert run_json("graph", SEED, "--at", "0,2", "--adjoints")["adjoints"]["c1"] == 64.0
    assert "value" not in run_json("graph", SEED)["nodes"][0]


def test_json_non_finite_numbers_are_strings() -> None:
    result = run("reverse", "exp(x)", "--at", "1000", "--format", "json")
    out = json.loads(result.stdout)
    assert out["value"] == "inf" and out["gradient"] == {"x": "inf"}
    assert out["warnings"] and "c2" in out["warnings"][0]


def _negative_zeros(x) -> list:
    """Every float in a JSON document that is -0.0, found without recursion."""
    found, stack = [], [x]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, float) and x == 0 and math.copysign(1.0, x) < 0:
            found.append(x)
    return found


@pytest.mark.parametrize("args", [
    ["forward", "-(x*y)", "--at", "1,0"],
    ["reverse", "-(x*y)", "--at", "1,0"],
    ["graph", "-(x*y)", "--at", "1,0"],
    ["hessian", "-(x*y)", "--at", "1,0"],
    ["jacobian", "-(x*y)", "--at", "1,0"],
    ["gradcheck", "-(x*y)", "--at", "1,0"],
    ["descend", "-(x*y)", "--at", "1,0", "--steps", "1"],
    ["check", "-(x*y)", "--claim", "[-y, -x]", "--at", "1,0"],
    ["reverse", "-(w.T @ x)", "--shape", "w=2,x=2", "--at", "w=[1,1],x=[0,0]"],
    ["reverse", "-(x*y)", "--at", "1,0", "--symbolic"],
])
def test_json_has_no_negative_zero(args: list[str]) -> None:
    """-0.0 is a float's sign bit, not an answer: the JSON says 0, as a hand solution does (the tables already do)."""
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    text = result.stdout
    assert "-0.0" not in text.replace("e-0", "e-"), text
    assert _negative_zeros(json.loads(text)) == []


@pytest.mark.parametrize("args", [
    ["reverse", "-x**2", "--at", "1"],
    ["reverse", "--at", "1", "-x**2"],
    ["reverse", "-x**2", "--at=1"],
    ["forward", "-x**2", "--at", "1"],
])
def test_leading_minus_expression(args: list[str]) -> None:
    out = run_json(*args)
    assert out["gradient"] == {"x": -2.0} and out["value"] == -1.0


def test_negative_point() -> None:
    assert run_json("reverse", "x**2", "--at", "-1")["gradient"] == {"x": -2.0}
    assert run_json("reverse", "x*y", "--at", "-1,-2")["gradient"] == {"x": -2.0, "y": -1.0}
    assert run_json("reverse", "x*y", "--at", "y=-2,x=pi/4")["point"]["x"] == pytest.approx(0.7853981633974483)


def test_program_from_a_file_and_from_stdin(tmp_path) -> None:
    prog = tmp_path / "net.txt"
    prog.write_text("# a two-step program\nh = tanh(w*x)\nloss = (h - 1)**2\n")
    a = run_json("reverse", "-f", str(prog), "--at", "w=0.5,x=2")
    b = run("reverse", "-", "--at", "w=0.5,x=2", "--format", "json", input=prog.read_text())
    assert a["gradient"] == json.loads(b.stdout)["gradient"]
    assert a["nodes"][-1]["id"] == "loss"


@pytest.mark.parametrize("args,says", [
    (["reverse", "exq(x)", "--at", "1"], "did you mean 'exp'"),
    (["reverse", "2x", "--at", "1"], "write 2*x"),
    (["reverse", "x*y", "--at", "1"], "the inputs are x, y"),
    (["reverse", "x*y", "--at", "x=1,z=2"], "'z' is not an input"),
    (["reverse", "x*y", "--at", "x=1"], "no value for y"),
    (["reverse", "x*y", "--at", "1,2,3"], "3 values for 2 inputs"),
    (["reverse", "x*y", "--at", "1,q"], "must be a number"),
    (["reverse", "x*y", "--at", "x=1,"], "a value is missing"),
    (["reverse", "x*y", "--at", "1,,2"], "a value is missing"),
    (["reverse", "x*y", "--at", "x=1,y=2,x=3"], "given twice"),
    (["reverse", "x*y", "--at", "x=1,2"], "give every value a name"),
    (["reverse", "x", "--at", "log(-1)"], "undefined"),
    (["forward", "x*y", "--at", "1,2", "--direction", "1"], "only 1 value for 2 inputs"),
    (["reverse", "x*y"], "--at needs a value for each input"),
    (["reverse", "x", "--at", "1", "--prefix", "9"], "prefix"),
    (["forward", "x*y", "--at", "1,2", "--wrt", "z"], "'z' is not an input"),
    (["graph", "x*y", "--at", "1,2", "--wrt", "x,z"], "'z' is not an input"),
    (["reverse", "--at", "1"], "give an expression"),
    (["reverse", "x", "--at", "1", "--format", "xml"], "xml"),
])
def test_usage_and_syntax_errors_exit_2_without_a_traceback(args: list[str], says: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output


def test_syntax_error_shows_the_input_and_a_caret() -> None:
    result = run("reverse", "exp(x1)*(x1**2+x2**2)**", "--at", "0,2")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == ["  exp(x1)*(x1**2+x2**2)**", "                         ^"]


@pytest.mark.parametrize("expr,at,says", [
    ("log(x)", "-1", "c2 = log(c1) is undefined at c1 = -1"),
    ("1/(x-1)", "1", "c3 = 1/c2 is undefined at c2 = 0: division by zero"),
    ("sqrt(x - 8)", "4", "c2 = sqrt(c1) is undefined at c1 = -4"),
])
def test_math_errors_exit_1_naming_the_node(expr: str, at: str, says: str) -> None:
    result = run("reverse", expr, "--at", at)
    assert result.exit_code == 1
    assert says.replace("c2 = sqrt(c1) is undefined at c1", "c3 = sqrt(c2) is undefined at c2") in result.stderr \
        or says in result.stderr


def test_kink_warning_follows_the_result_and_exit_is_0() -> None:
    result = run("reverse", "abs(x)", "--at", "0")
    assert result.exit_code == 0
    out = lines(result.output)
    assert out.index("∂f/∂x = 0") < out.index("warning: c2 = abs(c1) at c1 = 0: abs'(0) = 0 was used")


def test_long_tables_are_clipped_with_a_note() -> None:
    expr = "+".join(f"sin({i}*x)" for i in range(1, 200))
    out = run("reverse", expr, "--at", "1", "--max-rows", "20").output
    assert "rows left out (--max-rows 0 shows all)" in out
    assert out.count("\n") < 120
    full = run("reverse", expr, "--at", "1", "--max-rows", "0").output
    assert "left out" not in full and full.count("\n") > 700


def test_graph_view_and_dot() -> None:
    out = run("graph", SEED).output
    assert "c8" in out and "mul (output)" in out
    dot = run("graph", SEED, "--at", "0,2", "--dot").output
    assert dot.startswith("digraph gradcli {") and '"c1" -> "c3" [label="∂c3/∂c1 = c3 = 1"];' in dot
    assert "adjoint 64" in dot and "value 64" in dot


def test_graph_tangents_in_json_have_the_shape_of_forwards() -> None:
    for args in (["--wrt", "x1"], ["--wrt", "x2,x1"], ["--tangents"]):
        g = run_json("graph", SEED, "--at", "0,2", *args)
        fwd = run_json("forward", SEED, "--at", "0,2", *(args if args[0] == "--wrt" else []))
        assert g["tangents"] == fwd["tangents"] and g["gradient"] == fwd["gradient"]
        assert list(g["tangents"]) == (["x1", "x2"] if args != ["--wrt", "x1"] else ["x1"])
        assert all(list(t) == [n["id"] for n in g["nodes"]] for t in g["tangents"].values())
        assert "adjoints" not in g
    both = run_json("graph", SEED, "--at", "0,2", "--wrt", "x2", "--adjoints")
    rev = run_json("reverse", SEED, "--at", "0,2")
    assert both["adjoints"] == rev["adjoints"] and both["gradient"] == rev["gradient"]
    assert list(both["tangents"]) == ["x2"]


def _markdown_grid(out: str) -> tuple[list[str], dict[str, list[str]]]:
    """The header and the rows (by node id) of the node table in Markdown output, code spans removed."""
    rows = [[c.replace("`", "").strip() for c in line.strip("|").split("|")] for line in out.splitlines()
            if line.startswith("| ")]
    return rows[0], {r[0]: r for r in rows[1:]}


def test_graph_table_has_a_tangent_column_per_seeded_input() -> None:
    g = run_json("graph", SEED, "--at", "0,2", "--tangents", "--adjoints")
    header, rows = _markdown_grid(run("graph", SEED, "--at", "0,2", "--tangents", "--format", "markdown").output)
    assert header[5:] == ["value", "tangent ∂/∂x1", "tangent ∂/∂x2", "adjoint"]
    for node in g["nodes"]:
        row = rows[node["id"]]
        assert [float(x) for x in row[5:]] == [node["value"], g["tangents"]["x1"][node["id"]],
                                              g["tangents"]["x2"][node["id"]], g["adjoints"][node["id"]]]
    header, _ = _markdown_grid(run("graph", SEED, "--at", "0,2", "--format", "markdown").output)
    assert not any(h.startswith("tangent") for h in header)
    table = run("graph", SEED, "--at", "0,2", "--wrt", "x2", "--width", "200").output
    assert "tangent ∂/∂x2" in table and "∂/∂x1" not in table
    assert "tangent d/dx2" in run("graph", SEED, "--at", "0,2", "--wrt", "x2", "--width", "200", "--ascii").output


@pytest.mark.parametrize("option", [["--wrt", "x1"], ["--tangents"]])
def test_graph_tangents_need_a_point(option: list[str]) -> None:
    result = run("graph", SEED, *option)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {option[0]} needs a point to take tangents at: "
                                                  "add --at, e.g. --at 0,2"]
    assert result.stdout == ""


def test_version() -> None:
    from gradcli import __version__

    assert run("--version").output.strip().endswith(__version__)


def test_python_dash_m_and_piped_output_has_no_colour() -> None:
    env = clean_env()
    proc = subprocess.run([sys.executable, "-m", "gradcli", "reverse", SEED, "--at", "0,2"], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0
    assert "\x1b[" not in proc.stdout
    assert "c̄1 = c̄3·c3 + c̄4·2·c1 = 64·1 + 48·2·0 = 64" in proc.stdout


def test_importing_the_cli_does_not_import_sympy_or_rich() -> None:
    code = "import sys, gradcli.cli; print(sorted(m for m in ('sympy', 'rich') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    assert proc.stdout.strip() == "[]", proc.stderr


def test_the_common_path_does_not_import_sympy_or_numpy(tmp_path) -> None:
    small = tmp_path / "d.csv"
    small.write_text("x,y\n1,2\n3,4\n")
    code = ("import sys, gradcli.cli; from gradcli.cli import cli; "
            "from click.testing import CliRunner; "
            f"CliRunner().invoke(cli, ['reverse', {SEED!r}, '--at', '0,2']); "
            f"CliRunner().invoke(cli, ['forward', {SEED!r}, '--at', '0,2', '--format', 'json']); "
            f"CliRunner().invoke(cli, ['graph', {SEED!r}, '--dot']); "
            f"CliRunner().invoke(cli, ['reverse', '(w*x - y)**2', '--at', 'w=2', '--data', {str(small)!r}]); "
            "print([m for m in ('sympy', 'numpy') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    assert proc.stdout.strip() == "[]", proc.stderr


def test_json_output_does_not_import_rich_tables() -> None:
    code = ("import sys; from gradcli.cli import cli; from click.testing import CliRunner; "
            f"CliRunner().invoke(cli, ['reverse', {SEED!r}, '--at', '0,2', '--format', 'json']); "
            "print('rich.table' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    assert proc.stdout.strip() == "False", proc.stderr


def _imported(*args: str, **env: str) -> set[str]:
    """The modules ``python -m gradcli ARGS`` imports, its standard output a pipe (python -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gradcli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=clean_env(**env))
    assert proc.returncode == 0, proc.stderr
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("command", ["forward", "reverse"])
def test_a_table_sent_to_a_pipe_does_not_import_rich(command) -> None:
    assert not {m for m in _imported(command, SEED, "--at", "0,2") if m.split(".")[0] == "rich"}
    # FORCE_COLOR makes the pipe a terminal for rich, which then writes the table in colour
    assert "rich.console" in _imported(command, SEED, "--at", "0,2", FORCE_COLOR="1")


def test_deep_expression_through_the_cli(tmp_path) -> None:
    depth = 100_000
    src = tmp_path / "deep.txt"
    src.write_text("sin(" * depth + "x" + ")" * depth)
    out = run_json("reverse", "-f", str(src), "--at", "1")
    assert out["op_nodes"] == depth and len(out["nodes"]) == depth + 1
    fwd = run("forward", "-f", str(src), "--at", "1")
    assert fwd.exit_code == 0 and "rows left out" in fwd.output
    # d/dx of sin iterated n times is the product of the cosines along the chain
    import math
    v, d = 1.0, 1.0
    for _ in range(depth):
        d *= math.cos(v)
        v = math.sin(v)
    assert math.isclose(out["gradient"]["x"], d, rel_tol=1e-9)
    assert math.isclose(out["value"], v, rel_tol=1e-12)


def test_deep_parentheses_and_unary_minus_through_the_cli() -> None:
    depth = 100_000
    out = run_json("reverse", "(" * depth + "x" + ")" * depth + "*" + "-" * 1001 + "x", "--at", "3")
    assert out["gradient"] == {"x": -6.0}


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hacked')", "x" * 10_000 + "(", "1" * 10_000 + "x", "1e999*x",
    "\x00", "((((((", ")))", "x**", "é(x)", "x = ; y", "λ x: x",
])
def test_hostile_input_is_a_clean_exit_2(text: str) -> None:
    result = run("reverse", text, "--at", "1")
    assert result.exit_code == 2, result.output
    assert "^" in result.stderr and "error:" in result.stderr and "Traceback" not in result.output


def test_a_terminal_without_utf8_gets_ascii_and_no_traceback() -> None:
    env = clean_env(PYTHONIOENCODING="ascii")
    for args in (["forward", "sqrt(x1) + θ", "--at", "0,1"], ["reverse", "3 × x", "--at", "1"]):
        proc = subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, encoding="utf-8", errors="replace")
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 2)
    proc = subprocess.run([sys.executable, "-m", "gradcli", "reverse", SEED, "--at", "0,2"], capture_output=True,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.isascii()
    assert b"c1_bar = c3_bar*c3 + c4_bar*2*c1 = 64*1 + 48*2*0 = 64" in proc.stdout


def test_cost_counts_sweeps_and_products() -> None:
    edges = sum(len(n["args"]) for n in run_json("graph", SEED)["nodes"])
    assert edges == 8
    assert run_json("reverse", SEED, "--at", "0,2")["cost"] == {"sweeps": 1, "products": 8, "edges": 8}
    assert run_json("forward", SEED, "--at", "0,2")["cost"] == {"sweeps": 2, "products": 16, "edges": 8}
    assert run_json("forward", SEED, "--at", "0,2", "--wrt", "x2")["cost"]["products"] == 8
    out = lines(run("forward", SEED, "--at", "0,2", "--cost", "--width", "200").output)
    assert "Cost (--cost): 2 forward sweeps × 8 edges = 16 products of a local partial and a tangent" in out
    assert "reverse mode needs one sweep per output: 1 × 8 = 8" in out
    out = lines(run("reverse", SEED, "--at", "0,2", "--cost", "--width", "200").output)
    assert "Cost (--cost): 1 reverse sweep × 8 edges = 8 products of an adjoint and a local partial" in out
    assert "--cost" not in run("reverse", SEED, "--at", "0,2").output


def test_missing_and_unreadable_files_are_clean_errors(tmp_path) -> None:
    result = run("reverse", "-f", str(tmp_path / "nope.txt"), "--at", "1")
    assert result.exit_code == 2 and "does not exist" in result.output
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("y = x\xff + 1".encode("latin-1"))
    result = run("reverse", "-f", str(bad), "--at", "1")
    assert result.exit_code == 2 and "unexpected character '\ufffd'" in result.stderr and "^" in result.stderr
    result = run("reverse", "-", "--at", "1", input="x**2\n")
    assert result.exit_code == 0
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffy = x**2".encode("utf-8"))
    assert run_json("reverse", "-f", str(bom), "--at", "3")["gradient"] == {"x": 6.0}


def test_forward_mode_refuses_more_work_than_it_bounds_and_says_what_would_do() -> None:
    n = 2_000
    expr = " + ".join(f"x{k}" for k in range(n))
    at = ",".join("1" for _ in range(n))
    result = run("forward", expr, "--at", at)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "gradcli reverse" in result.stderr and "--wrt" in result.stderr and len(result.stderr.splitlines()) == 1
    # the same sum with a few inputs picked, or along one direction, is well within the bound
    assert run_json("forward", expr, "--at", at, "--wrt", "x5,x7")["gradient"] == {"x5": 1.0, "x7": 1.0}
    assert run_json("forward", expr, "--at", at, "--direction", at)["directional_derivative"] == n


def test_ten_thousand_inputs_obey_max_rows_in_the_header_and_the_gradient() -> None:
    n = 10_000
    expr = " + ".join(f"x{k}*x{k}" for k in range(n))
    at = ",".join("0.5" for _ in range(n))
    out = run("reverse", expr, "--at", at, "--max-rows", "6").output
    header, gradient = out.split("\n")[1], out.split("∇f")[1]
    assert "… 9994 more" in out and header.count("= x") <= 6
    assert gradient.count("∂f/∂x") == 6 and "∂f/∂x9999 = 1" in gradient and "∂f/∂x5000" not in gradient
    assert len(out) < 10_000
    # JSON is always complete
    assert len(run_json("reverse", expr, "--at", at)["gradient"]) == n


def test_forward_with_many_sweeps_shows_the_first_and_last_and_says_how_many_were_left_out() -> None:
    expr = " + ".join(f"sin(x{k})" for k in range(30))
    out = run("forward", expr, "--at", ",".join("0" for _ in range(30)), "--max-rows", "4", "--width", "200").output
    assert out.count("Forward mode, sweep") == 4 and "… 26 sweeps left out" in out
    assert "sweep 30 of 30: tangents ċi = ∂ci/∂x29   (seed ċ30 = 1, the other inputs' tangents 0)" in out


@pytest.mark.parametrize("value", ["1e308*10", "exp(1000)", "1e309", "-1e308*2", "inf", "nan"])
def test_a_point_must_be_finite(value: str) -> None:
    result = run("reverse", "x**2", "--at", value)
    assert result.exit_code == 2 and "^" in result.stderr and "Traceback" not in result.output


def test_non_finite_constants_warn_at_the_command_line() -> None:
    for expr in ("x + 1e308*10", "x + exp(1000)", "x + 0*exp(1000)"):
        out = run_json("reverse", expr, "--at", "1")
        assert any("the constant" in w for w in out["warnings"]), (expr, out["warnings"])


def test_guide_shows_the_60_column_layout_as_it_really_prints() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text()
    excerpt = guide.split("At 60 columns the logistic loss's reverse table reads:\n\n```\n")[1].split("```")[0]
    out = run("reverse", "-(y*log(sigmoid(w1*x1 + w2*x2)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2)))", "--at",
              "w1=0.5,w2=-0.25,x1=1,x2=2,y=1", "--width", "60").output
    assert excerpt in out


def test_graph_json_lists_every_edge_with_its_rule_and_value() -> None:
    doc = run_json("graph", "x*y + sin(x)", "--at", "1,2")
    assert doc["edges"] == [
        {"from": "c1", "to": "c3", "rule": "c2", "value": 2.0},
        {"from": "c2", "to": "c3", "rule": "c1", "value": 1.0},
        {"from": "c1", "to": "c4", "rule": "cos(c1)", "value": math.cos(1.0)},
        {"from": "c3", "to": "c5", "rule": "1", "value": 1.0},
        {"from": "c4", "to": "c5", "rule": "1", "value": 1.0},
    ]
    assert [e["value"] for e in run_json("graph", "x*y")["edges"]] == [None, None]


def test_one_vocabulary_point_and_warnings_in_every_command() -> None:
    for args in (["forward", "x*y", "--at", "1,2"], ["reverse", "x*y", "--at", "1,2"],
                 ["graph", "x*y", "--at", "1,2"], ["hessian", "x*y", "--at", "1,2"],
                 ["jacobian", "x*y", "--at", "1,2"], ["gradcheck", "x*y", "--at", "1,2"],
                 ["descend", "x*y", "--at", "1,2", "--steps", "1"],
                 ["check", "x*y", "--claim", "[y, x]", "--at", "1,2"]):
        doc = run_json(*args)
        assert doc["point"] == {"x": 1.0, "y": 2.0}, args
        assert doc["warnings"] == [], args
    assert run_json("check", "x*y", "--claim", "[y, x]")["point"] is None


def _children(pid: int) -> list[str]:
    """The processes ``pid`` has started (Linux's /proc; none read elsewhere)."""
    import glob

    out: list[str] = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as f:
                out += f.read().split()
        except OSError:
            pass
    return out


def test_ctrl_c_exits_130_with_one_line_and_no_traceback() -> None:
    """An interrupted check is not a refuted claim (exit 1): it exits 130, as a shell reports SIGINT."""
    import signal
    import time

    # a claim sympy never finishes (2**2**2**2**2**2**2 is 2 to a power of 19,729 digits), with no time limit:
    # the run is surely still at it when Ctrl-C comes, on every version of sympy, and the work (in a worker,
    # limit or not) cannot hold Ctrl-C back
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", "check", "x", "--claim", "2**2**2**2**2**2**2",
                             "--time-limit", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(), cwd=ROOT)
    waited = time.monotonic()
    while time.monotonic() - waited < 30 and not _children(proc.pid):  # sympy's work has begun in its worker
        time.sleep(0.1)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip() == "interrupted" and "Traceback" not in err
