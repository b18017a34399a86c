"""The API in Jupyter: a notebook run by a real kernel (this Python, this checkout) displays a result as the
command line's Markdown, LaTeX and terminal table, a graph as the SVG picture Graphviz draws (gradcli's own
where Graphviz is not installed), and a syntax error with its caret. Skipped where nbclient is not installed, unless GRADCLI_REQUIRE_NOTEBOOK is set (then
it fails); `pip install '.[test]'` installs nbclient, nbformat and ipykernel."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import gradcli
from conftest import ROOT, _dot, run

if os.environ.get("GRADCLI_REQUIRE_NOTEBOOK"):
    import nbclient
    import nbformat
else:
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed; pip install '.[test]' installs "
                                                      "it (GRADCLI_REQUIRE_NOTEBOOK=1 fails instead)")
    import nbformat  # nbclient's own dependency

SEED = "exp(x1)*(x1**2+x2**2)**3"
BROKEN = "exp(x1)*(x1**2+x2**2)**"
_SVG = "{http://www.w3.org/2000/svg}"

CELLS = [
    "import os, sys\nimport gradcli\nprint(sys.executable)\nprint(gradcli.__file__)",
    f'gradcli.reverse("{SEED}", at="0,2")',
    f'gradcli.graph("{SEED}", at="0,2")',
    f'gradcli.reverse("{BROKEN}", at="0,2")',
]


def _kernel_spec(home: Path) -> None:
    """A "python3" kernel that runs this very Python with this checkout first on its path, where JUPYTER_PATH
    finds it before any other."""
    spec = home / "kernels" / "python3"
    spec.mkdir(parents=True)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (gradcli tests)",
        "language": "python",
        "env": {"PYTHONPATH": path},
    }))


@pytest.fixture(scope="module")
def cells(tmp_path_factory) -> list[dict]:
    """The notebook's cells after a kernel ran them, each with its outputs."""
    if importlib.util.find_spec("ipykernel") is None:
        pytest.fail("nbclient is installed but ipykernel is not: pip install '.[test]' installs both")
    tmp = tmp_path_factory.mktemp("notebook")
    _kernel_spec(tmp / "jupyter")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.cells[-1].metadata["tags"] = ["raises-exception"]  # the only cell allowed to fail
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
        mp.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
        mp.setenv("IPYTHONDIR", str(tmp / "ipython"))  # no profile or startup file of the user's
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp)}})
        client.execute()
    return nb.cells


def _result(cell) -> dict:
    """The data of the one value a cell displayed."""
    shown = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    assert len(shown) == 1, cell.outputs
    return shown[0].data


def test_the_kernel_is_this_python_with_this_checkout(cells) -> None:
    out = "".join(o.text for o in cells[0].outputs if o.output_type == "stream" and o.name == "stdout")
    executable, module = out.splitlines()
    assert os.path.samefile(executable, sys.executable)
    assert Path(module).resolve() == (ROOT / "gradcli" / "__init__.py").resolve()


def test_a_result_displays_as_the_command_lines_markdown(cells) -> None:
    data = _result(cells[1])
    markdown = run("reverse", SEED, "--at", "0,2", "--format", "markdown").stdout
    rows = [line for line in markdown.splitlines() if line.startswith("| `c̄1` ") or line.startswith("**`∇f")]
    assert len(rows) == 2 and rows[0].endswith("| `64` |") and "[64, 192]" in rows[1]
    for row in rows:
        assert row in data["text/markdown"].splitlines()
    assert data["text/markdown"] == markdown


def test_a_result_displays_as_the_command_lines_latex(cells) -> None:
    latex = _result(cells[1])["text/latex"]
    assert "\\begin{align*}" in latex
    assert latex == run("reverse", SEED, "--at", "0,2", "--format", "latex").stdout


def test_a_results_plain_text_is_the_terminal_table(cells) -> None:
    plain = _result(cells[1])["text/plain"]
    table = run("reverse", SEED, "--at", "0,2", "--width", "80").stdout
    assert "c̄1 = c̄3·c3 + c̄4·2·c1 = 64·1 + 48·2·0 = 64" in table
    assert plain == table
    assert "<gradcli" not in plain  # the tables, not the repr


def test_a_graph_displays_as_a_picture(cells) -> None:
    data = _result(cells[2])
    svg = ET.fromstring(data["image/svg+xml"])
    assert svg.tag == f"{_SVG}svg"
    labels = [t.text for t in svg.iter(f"{_SVG}text")]
    assert any(t and "c8" in t for t in labels) and any(t and "adjoint 64" in t for t in labels), labels
    assert data["text/plain"] == run("graph", SEED, "--at", "0,2", "--width", "80").stdout
    if _dot() is None:  # no Graphviz here (CI installs it and sets GRADCLI_REQUIRE_DOT): gradcli's own drawing
        assert data["image/svg+xml"] == run("graph", SEED, "--at", "0,2", "--format", "svg").stdout
        nodes = [g for g in svg.iter(f"{_SVG}g") if g.get("class") == "node"]
        assert [g.get("id") for g in nodes] == [f"node-{i}" for i in range(8)]


def test_a_graph_picture_is_not_hidden_behind_markdown(cells) -> None:
    data = _result(cells[2])
    assert "image/svg+xml" in data
    assert "text/markdown" not in data and "text/latex" not in data


def test_a_syntax_error_shows_its_caret(cells) -> None:
    errors = [o for o in cells[3].outputs if o.output_type == "error"]
    assert len(errors) == 1, cells[3].outputs
    error = errors[0]
    assert error.ename == "GradcliSyntaxError"
    with pytest.raises(gradcli.GradcliSyntaxError) as caught:
        gradcli.reverse(BROKEN, at="0,2")
    assert error.evalue == str(caught.value)
    stderr = run("reverse", BROKEN, "--at", "0,2").stderr
    line, caret = stderr.splitlines()[:2]
    assert error.evalue.splitlines()[1:] == [line, caret] and caret.strip() == "^"
    assert any("GradcliSyntaxError" in frame for frame in error.traceback)
