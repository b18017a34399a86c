"""gradcli plot: the grid's values against independent references (the formula in Python's math, gradcli's own
row-by-row sweeps over a data file), gaps where the function is undefined, the terminal picture in characters
and in colour at the terminal's width, usage errors, descend --plot, and the picture files read back.

The file tests need matplotlib (the `plot` extra, in the `test` extra too); they are skipped without it unless
GRADCLI_REQUIRE_PLOT is set (CI sets it), then they fail."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import gradcli
from conftest import ROOT, clean_env, run

UDL = "1 - exp(-2*phi1**2)*exp(-(phi0-0.7)**2/8)"
LOGISTIC = "-(y*log(sigmoid(w1*x1 + w2*x2 + b)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2 + b)))"
DATA = str(ROOT / "examples" / "logistic20.csv")


def udl(p0: float, p1: float) -> float:
    return 1 - math.exp(-2 * p1 ** 2) * math.exp(-(p0 - 0.7) ** 2 / 8)


def matplotlib_or_skip():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if os.environ.get("GRADCLI_REQUIRE_PLOT"):
            pytest.fail("matplotlib is required here (GRADCLI_REQUIRE_PLOT is set) but is not installed")
        pytest.skip("matplotlib is not installed (CI installs the test extra and sets GRADCLI_REQUIRE_PLOT)")


# --- the values ----------------------------------------------------------------------------------------------


def test_the_grid_holds_the_functions_values_at_its_points() -> None:
    doc = run_json("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-2:1", "--grid", "7x5")
    xs, ys = doc["x"]["values"], doc["y"]["values"]
    assert len(xs) == 7 and len(ys) == 5 and xs[0] == -3 and xs[-1] == 3 and ys[0] == -2 and ys[-1] == 1
    for k, y in enumerate(ys):
        for j, x in enumerate(xs):
            assert math.isclose(doc["z"][k][j], udl(x, y), rel_tol=1e-12, abs_tol=1e-15)
    least = min((v, k, j) for k, row in enumerate(doc["z"]) for j, v in enumerate(row))
    assert doc["minimum"] == {"value": least[0], "at": {"phi0": xs[least[2]], "phi1": ys[least[1]]},
                              "row": least[1], "column": least[2]}


def test_over_data_each_point_is_the_mean_loss_the_row_sweeps_give() -> None:
    doc = run_json("plot", LOGISTIC, "--x", "w1=-3:3", "--y", "w2=-2:2", "--let", "b=0.5", "--data", DATA,
                   "--reduce", "mean", "--grid", "5x4")
    assert doc["dataset"] == {"source": DATA, "samples": 20, "reduce": "mean"}
    for k, w2 in enumerate(doc["y"]["values"]):
        for j, w1 in enumerate(doc["x"]["values"]):
            ref = gradcli.reverse(LOGISTIC, at={"w1": w1, "w2": w2, "b": 0.5}, data=DATA, reduce="mean").total
            assert math.isclose(doc["z"][k][j], ref["value"], rel_tol=1e-12), (w1, w2)


def test_a_curve_family_holds_each_curves_values() -> None:
    doc = run_json("plot", "a*x**2 + b", "--x", "x=-1:1", "--vary", "a=1,2,-1", "--let", "b=3", "--grid", "5")
    assert doc["vary"] == {"name": "a", "values": [1, 2, -1]} and "y" not in doc
    for row, a in zip(doc["z"], (1, 2, -1)):
        assert row == pytest.approx([a * x * x + 3 for x in doc["x"]["values"]], rel=1e-15)
    assert doc["minimum"]["at"] == {"x": -1.0, "a": -1} and doc["minimum"]["value"] == 2


def test_undefined_points_are_gaps_not_errors() -> None:
    doc = run_json("plot", "log(x)*y", "--x", "x=-1:1", "--y", "y=1:2", "--grid", "5x2")
    assert doc["z"][0][:3] == [None, None, None]  # log of a negative number, and log(0)
    assert doc["z"][0][3] == pytest.approx(math.log(0.5))
    result = run("plot", "log(x)*y", "--x", "x=-1:1", "--y", "y=1:2", width=60)
    assert result.exit_code == 0 and "blank: undefined or not finite" in result.output


def test_the_grid_sweeps_once_and_imports_no_sympy() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gradcli", "plot", LOGISTIC, "--x", "w1=-3:3",
                           "--y", "w2=-3:3", "--let", "b=0", "--data", DATA], capture_output=True, text=True,
                          cwd=ROOT, env=clean_env(COLUMNS="80"))
    assert proc.returncode == 0, proc.stderr
    assert "sympy" not in proc.stderr


# --- the terminal picture ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 60])
def test_the_character_picture_fits_the_width_with_axes_scale_and_minimum(width: int) -> None:
    result = run("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3", width=width)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= width
    body = [line.split("│", 1)[1] for line in lines if "│" in line]
    assert len(body) >= 8 and set("".join(body)) <= set(" .:-=+*#%@X")
    assert "".join(body).count("X") == 1
    assert lines[1].strip().startswith("3 │") and any(line.strip().startswith("-3 │") for line in lines)
    assert "[ .:-=+*#%@]" in result.output and "X: the grid's minimum" in result.output
    # the minimum of this function is at (0.7, 0): the X sits in the middle rows, right of the middle
    row = next(k for k, line in enumerate(body) if "X" in line)
    assert abs(row - (len(body) - 1) / 2) <= 1 and body[row].index("X") > len(body[row]) / 2
    # the ramp reads low to high: the X at the lowest band, the corners at the highest
    assert body[0][0] == "@" and body[row][body[row].index("X") - 1] in " ."


def test_colour_draws_half_blocks_and_no_color_the_ramp() -> None:
    args = [sys.executable, "-m", "gradcli", "plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3"]
    coloured = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                              env=clean_env(FORCE_COLOR="1", COLUMNS="80", TERM="xterm-256color"))
    assert coloured.returncode == 0 and "▀" in coloured.stdout and "\x1b[" in coloured.stdout
    plain = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                           env=clean_env(FORCE_COLOR="1", NO_COLOR="1", COLUMNS="80"))
    assert plain.returncode == 0 and "▀" not in plain.stdout and "\x1b[" not in plain.stdout and "@" in plain.stdout


# --- usage errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,says", [
    (["--x", "phi0=3:-3", "--y", "phi1=-3:3"], "LO < HI"),
    (["--x", "phi9=-3:3", "--y", "phi1=-3:3"], "'phi9' is not an input"),
    (["--x", "phi0=-3:3", "--y", "phi1=-3:3", "--grid", "2000"], "(limit grid_points)"),
    (["--x", "phi0=-3:3"], "phi1 needs a value"),
    (["--x", "phi0=-3:3", "--y", "phi0=-1:1"], "on two axes"),
    (["--x", "phi0=-3:3", "--y", "phi1=-3:3", "--grid", "many"], "--grid takes N or NxM"),
    (["--x", "phi0=-3:3", "--y", "phi1=-3:3", "--vary", "phi1=1,2"], "leave out --y"),
    (["--y", "phi1=-3:3"], "--x NAME=LO:HI is required"),
])
def test_bad_options_are_usage_errors(args: list[str], says: str) -> None:
    result = run("plot", UDL, *args)
    assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


# --- a descent over the surface ----------------------------------------------------------------------------


def test_descend_plot_draws_the_udl_path_a_drop_in_phi1_then_a_crawl_along_phi0() -> None:
    args = ("descend", UDL, "--at", "phi0=-0.7,phi1=-0.9", "--lr", "0.08", "--steps", "200")
    rows = run_json(*args)["rows"]
    p = [(r["params"]["phi0"], r["params"]["phi1"]) for r in rows]
    fast = next(t for t, (_, p1) in enumerate(p) if abs(p1) < 0.05)
    assert fast < 40 and abs(p[fast][0] - p[0][0]) < 0.6  # phi1 falls to 0 while phi0 has barely moved
    assert p[-1][0] > 0.6 and abs(p[-1][1]) < 1e-6  # then the crawl along phi0 toward 0.7
    result = run(*args, "--plot", "--max-rows", "4")
    assert result.exit_code == 0, result.output
    picture = result.output.split("After 200 steps")[1]
    body = [line.split("│", 1)[1] for line in picture.split("Loss per step")[0].splitlines() if "│" in line]
    start = next((k, line.index("S")) for k, line in enumerate(body) if "S" in line)
    top = min(k for k, line in enumerate(body) if "o" in line)
    assert start[0] > top + 5  # the path climbs many rows from S (the drop in phi1) ...
    across = body[top]
    assert across.count("o") > 20 and across.index("o") < len(across) / 3  # ... then runs across (phi0)
    assert "Loss per step" in result.output and "S → E: the descent's 200 steps" in result.output


def test_plot_path_reads_a_descents_json(tmp_path) -> None:
    d = tmp_path / "d.json"
    d.write_text(run("descend", "x**2 + 3*y**2", "--at", "2,1", "--steps", "5", "--format", "json").stdout)
    doc = run_json("plot", "x**2 + 3*y**2", "--x", "x", "--y", "y", "--path", str(d), "--grid", "4")
    assert doc["path"][0] == [2, 1] and len(doc["path"]) == 6 and doc["losses"][0] == 7
    xs = [q[0] for q in doc["path"]]
    assert doc["x"]["lo"] < min(xs) < 2 < doc["x"]["hi"]  # the range is the path's with a margin
    bad = tmp_path / "bad.json"
    bad.write_text('{"command": "reverse"}')
    result = run("plot", "x**2 + 3*y**2", "--x", "x", "--y", "y", "--path", str(bad))
    assert result.exit_code == 2 and "not the JSON of gradcli descend" in result.stderr


# --- files ---------------------------------------------------------------------------------------------------


def test_png_svg_and_pdf_files_read_back(tmp_path) -> None:
    matplotlib_or_skip()
    png, svg, pdf = tmp_path / "a.png", tmp_path / "a.svg", tmp_path / "a.pdf"
    assert run("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3", "--save", str(png)).exit_code == 0
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    assert (w, h) == (768, 576)  # 6.4×4.8 inches at 120 dpi
    assert run("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3", "--output", str(svg)).exit_code == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and any(e.tag.endswith("image") for e in root.iter())  # the heatmap
    assert svg.stat().st_size < 1_000_000
    assert run("plot", "x**2*a", "--x", "x=-2:2", "--vary", "a=1,2", "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_a_file_without_matplotlib_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    result = run("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3", "--save", str(tmp_path / "a.png"))
    assert result.exit_code == 1 and "pip install 'gradcli[plot]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert run("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3").exit_code == 0  # the terminal needs none


def test_a_file_of_another_kind_is_refused(tmp_path) -> None:
    result = run("plot", UDL, "--x", "phi0=-3:3", "--y", "phi1=-3:3", "--save", str(tmp_path / "a.jpg"))
    assert result.exit_code == 2 and ".png, .svg or .pdf" in result.stderr


def run_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
