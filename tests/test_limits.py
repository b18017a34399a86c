"""Every bound of gradcli/limits.py holds: past it the input is refused with exit 2 and one line naming the bound,
and input within it is read. The bounds are lowered here (they are read at each use), so the tests are quick; a
few run the real command on endless streams (/dev/zero, yes) in a subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

import gradcli
from gradcli import limits
from gradcli.errors import GradcliError
from gradcli.exact.symbolic import to_sympy
from conftest import ROOT, clean_env, run


def refused(result, limit: str) -> str:
    """The one line of a refusal by the bound ``limit``: exit 2, no traceback."""
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "Traceback" not in result.output and len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and err.endswith(f"(limit {limit})"), err
    return err


def cli(*args: str, input: bytes | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradcli", *args], input=input, capture_output=True, cwd=ROOT,
                          env=clean_env(), timeout=timeout)


def fed(feeder: list[str], *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """gradcli run on the endless standard output of ``feeder``, which is stopped however gradcli ends."""
    feed = subprocess.Popen(feeder, stdout=subprocess.PIPE)
    try:
        return subprocess.run([sys.executable, "-m", "gradcli", *args], stdin=feed.stdout, capture_output=True,
                              cwd=ROOT, env=clean_env(), timeout=timeout)
    finally:
        feed.kill()
        feed.wait()


def one_line(proc: subprocess.CompletedProcess, says: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and says in err, err
    assert "Traceback" not in err


# --- every bound is in limits.py and documented ---------------------------------------------------------------

NAMES = ["source_bytes", "line_bytes", "data_bytes", "data_rows", "data_columns", "option_chars", "operations",
         "steps", "sympy_nodes", "sympy_depth", "grid_points"]


def test_every_bound_is_named_and_documented() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    man = (ROOT / "man" / "gradcli.1").read_text(encoding="utf-8")
    found = [n.lower() for n in vars(limits) if n.isupper() and not n.startswith("_") and n not in ("MIB", "CHUNK", "GROUP")]
    assert sorted(found) == sorted(NAMES)
    for name in NAMES:
        assert f"`{name}`" in guide, name
        assert name.replace("_", "\\(ul") in man or name in man, name
        assert isinstance(limits.value(name), int) and limits.value(name) > 0


# --- the source --------------------------------------------------------------------------------------------------


def test_a_source_file_past_the_limit_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "SOURCE_BYTES", 1000)
    src = tmp_path / "big.txt"
    src.write_text("x\n" + "# comment\n" * 99)  # 992 bytes: within
    assert run("forward", "-f", str(src), "--at", "1").exit_code == 0
    src.write_text("x\n" + "# comment\n" * 101)
    err = refused(run("forward", "-f", str(src), "--at", "1"), "source_bytes")
    assert "larger than the limit of 1,000 bytes" in err and str(src) in err


def test_a_source_on_standard_input_past_the_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(limits, "SOURCE_BYTES", 100)
    assert run("reverse", "-", "--at", "1", input="x*" * 40 + "x").exit_code == 0
    refused(run("reverse", "-", "--at", "1", input="x*" * 60 + "x"), "source_bytes")
    refused(run("reverse", "-f", "-", "--at", "1", input="x*" * 60 + "x"), "source_bytes")


def test_a_source_string_past_the_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(limits, "SOURCE_BYTES", 100)
    assert gradcli.reverse("x*" * 40 + "x", at=1).value == 1
    with pytest.raises(GradcliError, match=r"\(limit source_bytes\)"):
        gradcli.reverse("x*" * 60 + "x", at=1)
    refused(run("reverse", "x*" * 60 + "x", "--at", "1"), "source_bytes")


def test_a_long_line_is_refused_where_the_rest_is_within(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "LINE_BYTES", 200)
    monkeypatch.setattr(limits, "CHUNK", 64)  # the line spans several chunks
    src = tmp_path / "p.txt"
    src.write_text("a = x\n" + "b = " + "a + " * 40 + "1\ny = b\n")  # a line of 165 bytes
    assert run("forward", "-f", str(src), "--at", "1").exit_code == 0
    src.write_text("a = x\n" + "b = " + "a + " * 60 + "1\ny = b\n")  # 245
    err = refused(run("forward", "-f", str(src), "--at", "1"), "line_bytes")
    assert "line longer than the limit of 200 bytes" in err
    with pytest.raises(GradcliError, match=r"\(limit line_bytes\)"):
        gradcli.forward("a = x\nb = " + "a + " * 60 + "1", at=1)


def test_the_line_limit_counts_across_chunks() -> None:
    """A line split over many chunks is counted whole, and lines of exactly the limit are within it."""
    old = limits.LINE_BYTES, limits.CHUNK
    try:
        limits.LINE_BYTES, limits.CHUNK = 10, 3
        assert limits.read(io.BytesIO(b"0123456789\n" * 5), "t", "source_bytes") == b"0123456789\n" * 5
        with pytest.raises(GradcliError, match="line longer"):
            limits.read(io.BytesIO(b"ab\n0123456789X\ncd"), "t", "source_bytes")
        with pytest.raises(GradcliError, match="line longer"):
            limits.read(io.BytesIO(b"0123456789X"), "t", "source_bytes")  # the last line, without a newline
    finally:
        limits.LINE_BYTES, limits.CHUNK = old


def test_dev_zero_as_a_source_is_refused_at_once() -> None:
    proc = cli("forward", "-f", "/dev/zero", "--at", "1", timeout=20)
    one_line(proc, "-f /dev/zero is not text: it holds a NUL byte")


def test_an_endless_line_on_standard_input_stops_at_the_line_limit() -> None:
    """No NUL byte and no newline: the stream is read only as far as the line limit (1 MiB), then refused."""
    proc = fed(["sh", "-c", "tr '\\0' x < /dev/zero"], "forward", "-f", "-", "--at", "1")
    one_line(proc, "has a line longer than the limit of 1 MiB (limit line_bytes)")


def test_an_endless_program_on_standard_input_stops_at_the_source_limit() -> None:
    proc = fed(["yes", "x+"], "reverse", "-", "--at", "1")
    one_line(proc, "larger than the limit of 16 MiB on a source (limit source_bytes)")


def test_a_nul_byte_in_a_source_file_is_refused_naming_its_line(tmp_path) -> None:
    src = tmp_path / "p.txt"
    src.write_bytes(b"a = x\nb = a\x00\n")
    result = run("forward", "-f", str(src), "--at", "1")
    assert result.exit_code == 2 and result.stderr.strip().endswith("holds a NUL byte, on line 2")


def test_invalid_utf8_in_a_source_gets_a_caret(tmp_path) -> None:
    src = tmp_path / "p.txt"
    src.write_bytes(b"x*\xff")
    result = run("forward", "-f", str(src), "--at", "1")
    assert result.exit_code == 2 and "^" in result.stderr and "not valid UTF-8" in result.stderr


# --- data files ----------------------------------------------------------------------------------------------------


def test_a_data_file_past_the_limit_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "DATA_BYTES", 100)
    data = tmp_path / "d.csv"
    data.write_text("x,y\n" + "1,2\n" * 20)  # 84 bytes
    assert run("reverse", "w*x*y", "--at", "1", "--data", str(data)).exit_code == 0
    data.write_text("x,y\n" + "1,2\n" * 30)
    err = refused(run("reverse", "w*x*y", "--at", "1", "--data", str(data)), "data_bytes")
    assert "larger than the limit of 100 bytes on a data file" in err
    err = refused(run("reverse", "w*x*y", "--at", "1", "--data", "-", input="x,y\n" + "1,2\n" * 30), "data_bytes")
    assert "standard input" in err
    with pytest.raises(GradcliError, match=r"\(limit data_bytes\)"):
        gradcli.read_data("given", "x,y\n" + "1,2\n" * 30)


def test_dev_zero_and_dev_urandom_as_data_are_refused_at_once() -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        proc = cli("reverse", "w*x", "--at", "1", "--data", device, timeout=20)
        one_line(proc, f"--data {device} is not text")


def test_an_endless_data_stream_stops_at_the_data_limit() -> None:
    proc = fed(["yes", "1,2"], "reverse", "w*x*y", "--at", "1", "--data", "-", timeout=60)
    one_line(proc, "larger than the limit of 64 MiB on a data file (limit data_bytes)")


def test_data_that_is_not_utf8_is_one_line(tmp_path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(b"x,y\n1,2\n3,\xff\n")
    result = run("reverse", "w*x*y", "--at", "1", "--data", str(data))
    assert result.exit_code == 2 and result.stderr.strip() == \
        f"error: {data} is not UTF-8 text: byte 0xff on line 3 is not a character"


@pytest.mark.parametrize("fast", [False, True])
def test_data_rows_past_the_limit_are_refused(tmp_path, monkeypatch, fast: bool) -> None:
    monkeypatch.setattr(limits, "DATA_ROWS", 2500)
    data = tmp_path / "d.csv"
    filler = "1.25,2.5" if fast else "1/4,2"  # plain numbers take numpy's reader
    data.write_text("x,y\n" + f"{filler}\n" * 2500)
    assert run("reverse", "w*x*y", "--at", "1", "--data", str(data)).exit_code == 0
    data.write_text("x,y\n" + f"{filler}\n" * 2501)
    err = refused(run("reverse", "w*x*y", "--at", "1", "--data", str(data)), "data_rows")
    assert "2,501 rows, more than the limit of 2,500 rows" in err


def test_data_columns_past_the_limit_are_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "DATA_COLUMNS", 3)
    data = tmp_path / "d.csv"
    data.write_text("x,y,z\n1,2,3\n")
    assert run("reverse", "w*x*y*z", "--at", "1", "--data", str(data)).exit_code == 0
    data.write_text("x,y,z,t\n1,2,3,4\n")
    err = refused(run("reverse", "w*x*y*z", "--at", "1", "--data", str(data)), "data_columns")
    assert "names 4 columns, more than the limit of 3 columns" in err


# --- CSV as Python's csv module reads it ---------------------------------------------------------------------------


def test_a_quoted_field_with_a_comma_is_one_field(tmp_path) -> None:
    data = tmp_path / "d.csv"
    data.write_text('x,y\n"3,4",2\n')
    result = run("reverse", "w*x*y", "--at", "1", "--data", str(data))
    assert result.exit_code == 2
    # one field, '3,4', which is not a number: not three values under two columns
    assert "line 2, column 1 (x) is '3,4', not a number" in result.stderr and "3 values" not in result.stderr


def test_quoted_fields_and_names_are_read_as_csv(tmp_path) -> None:
    data = tmp_path / "d.csv"
    data.write_text('"x", "y"\n"3", 2\n 1 ,"2.5"\n')
    r = gradcli.reverse("w*x*y", at=1, data=str(data))
    assert r.value == 3 * 2 + 1 * 2.5 and r.gradient == {"w": 8.5}
    tabbed = tmp_path / "t.tsv"
    tabbed.write_text('x\t"y"\n"1"\t2\n')
    assert gradcli.reverse("w*x*y", at=1, data=str(tabbed)).value == 2


def test_an_unclosed_quote_is_told_with_a_caret(tmp_path) -> None:
    data = tmp_path / "d.csv"
    data.write_text('x,y\n"3,2\n')
    result = run("reverse", "w*x*y", "--at", "1", "--data", str(data))
    assert result.exit_code == 2 and "line 2: a quote is not closed" in result.stderr and "^" in result.stderr


# --- options --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--at", "--let", "--wrt", "--output", "--shape"])
def test_an_option_past_the_limit_is_refused(monkeypatch, option: str) -> None:
    monkeypatch.setattr(limits, "OPTION_CHARS", 50)
    value = "x=" + "1" * 60
    args = ["graph", "x*y", option, value] + (["--at", "1,2"] if option != "--at" else [])
    err = refused(run(*args), "option_chars")
    assert f"{option} is longer than the limit of 50 characters" in err


def test_a_claim_past_the_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(limits, "OPTION_CHARS", 50)
    assert run("check", "x**2", "--claim", "2*x").exit_code == 0
    err = refused(run("check", "x**2", "--claim", "2*x" + " " * 60), "option_chars")
    assert "--claim is longer" in err
    with pytest.raises(GradcliError, match=r"--direction is longer.*\(limit option_chars\)"):
        gradcli.forward("x*y", at="1,2", direction="1," + "0" * 60)


def test_the_operation_limit_is_named(monkeypatch) -> None:
    from gradcli.core import graph, parse

    monkeypatch.setattr(parse, "MAX_OPERATIONS", 10)
    monkeypatch.setattr(graph, "MAX_OPERATIONS", 10)
    assert run("reverse", "+".join(["x"] * 11), "--at", "1").exit_code == 0
    result = run("reverse", "+".join(["x"] * 12), "--at", "1")
    assert result.exit_code == 2 and "more than 10 operations" in result.stderr
    assert "(limit operations)" in result.stderr


def test_the_step_limit_is_named(monkeypatch) -> None:
    monkeypatch.setattr(limits, "STEPS", 5)
    assert run("descend", "x**2", "--at", "1", "--steps", "5").exit_code == 0
    err = refused(run("descend", "x**2", "--at", "1", "--steps", "6"), "steps")
    assert "--steps 6 is more than the limit of 5 steps" in err
    assert limits.STEPS == 5 and refused(run("descend", "x**2", "--at", "1", "--steps", "1000001"), "steps")


# --- what sympy is given --------------------------------------------------------------------------------------------


def deep(n: int, inner: str = "x") -> str:
    return "sin(" * n + inner + ")" * n


def test_a_claim_nested_1000_deep_is_refused_not_a_recursion_error() -> None:
    for n in (1_000, 100_000):
        err = refused(run("check", "sin(x)", "--claim", deep(n)), "sympy_depth")
        assert f"a --claim nested {n:,} deep is deeper than the limit of 100" in err


def test_a_claim_at_the_depth_limit_is_checked(monkeypatch) -> None:
    """Within the bound the claim reaches sympy and gets its verdict: sin(cos(x)) under five exp(log(…)),
    which sympy undoes at once (sin nested as deep takes it a minute to simplify), is not cos(x)."""
    monkeypatch.setattr(limits, "SYMPY_DEPTH", 12)

    def wrapped(k: int) -> str:
        return "exp(log(" * k + "sin(cos(x))" + "))" * k

    checked = gradcli.check("sin(x)", wrapped(5))  # 12 calls: at the limit
    assert checked.verdicts[0].status == "different"
    with pytest.raises(GradcliError, match=r"nested 14 deep.*\(limit sympy_depth\)"):
        gradcli.check("sin(x)", wrapped(6))


def test_a_long_sum_in_a_claim_counts_as_one_level() -> None:
    """sympy holds x + x + … + x flat: 500 terms are far within the depth limit, and proved."""
    checked = gradcli.check("x**2", "+".join(["x"] * 2) + "+0*(" + "+".join(["x"] * 500) + ")")
    assert checked.verdicts[0].status == "proved"
    assert limits.depth(__import__("gradcli.core.expr", fromlist=["x"]).name("x")) == 0


def test_the_depth_bound_is_below_where_sympy_overflows() -> None:
    """The reason for the bound: sympy differentiates sin nested SYMPY_DEPTH deep, and overflows at 300."""
    import sympy as sp

    from gradcli.core.expr import call, name

    def tower(n: int):
        e = name("x")
        for _ in range(n):
            e = call("sin", e)
        return to_sympy(e)

    x = sp.Symbol("x", real=True)
    assert tower(limits.SYMPY_DEPTH).diff(x).xreplace({x: 0}) == 1  # the chain rule at 0: a product of cos(0)
    with pytest.raises(RecursionError):
        tower(300).diff(x)


def test_a_deep_source_for_sympy_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(limits, "SYMPY_DEPTH", 5)
    assert run("check", deep(3), "--claim", "cos(sin(sin(x)))*cos(sin(x))*cos(x)").exit_code == 0
    for args in (["check", deep(6), "--claim", "1"], ["reverse", deep(6), "--at", "1", "--symbolic"],
                 ["reverse", deep(6), "--at", "1", "--exact"], ["hessian", deep(6), "--at", "1", "--symbolic"]):
        err = refused(run(*args), "sympy_depth")
        assert "nests 6 deep, deeper than the limit of 5" in err, args


def test_a_graph_too_large_for_sympy_names_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(limits, "SYMPY_NODES", 4)
    assert run("check", "x*y", "--claim", "y, x").exit_code == 0
    err = refused(run("check", "x*y*z", "--claim", "y*z, x*z, x*y"), "sympy_nodes")
    assert "graphs of up to 4 nodes" in err
    refused(run("reverse", "x*y*z", "--at", "1,2,3", "--exact"), "sympy_nodes")


def test_a_recursion_error_in_sympy_is_told_as_the_depth_limit(monkeypatch) -> None:
    """Should sympy recurse too deep within the bound, the command still ends with one line, exit 2."""
    import gradcli.exact.check as check

    def overflow(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(check, "check_pieces", overflow)  # the work api.check hands the worker
    refused(run("check", "x**2", "--claim", "2*x"), "sympy_depth")


def test_the_limits_module_is_light() -> None:
    """Reading the bounds imports nothing heavy: the common path stays free of sympy and numpy."""
    code = "import gradcli.limits, sys; print(sorted(m for m in ('sympy', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    assert out.stdout.strip() == "[]", out.stderr
    assert os.path.exists(ROOT / "gradcli" / "limits.py")
