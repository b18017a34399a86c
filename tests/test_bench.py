"""The benchmark's generated programs build, evaluate and agree with the plain tape (gradcli/engine/tape.py)."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from programs import POINT, program  # noqa: E402

from gradcli.core.graph import graph_of  # noqa: E402
from gradcli.engine.tape import Tape  # noqa: E402
from gradcli.engine.trace import run_reverse  # noqa: E402


def test_generated_programs_are_the_same_each_time_and_agree_with_the_tape() -> None:
    src = program(300)
    assert src == program(300) and len(src.splitlines()) == 300
    graph = graph_of(src)
    point = {n: POINT[n] for n in graph.names}
    gradient = run_reverse(graph, point).gradient
    tape = Tape(graph).gradient(point)
    assert all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(tape, gradient.values()))


def test_the_pytorch_program_of_the_benchmark_computes_the_same_gradient(tmp_path) -> None:
    """bench/torch_program.py, PyTorch's whole process in the benchmark, differentiates the graph it is given."""
    import json
    import subprocess

    pytest.importorskip("torch")
    graph = graph_of(program(200, 4))
    point = {n: POINT[n] for n in graph.names}
    spec = tmp_path / "graph.json"
    spec.write_text(json.dumps({"point": [point[n] for n in graph.names], "output": graph.output,
                                "nodes": [[n.op, [a if type(a) is int else [a.value] for a in n.args]]
                                          for n in graph.nodes]}))
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "torch_program.py"), str(spec)], capture_output=True,
                          text=True, check=True)
    theirs = json.loads(proc.stdout)
    ours = run_reverse(graph, point).gradient
    assert len(theirs) == len(ours)
    assert all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(theirs, ours.values()))


def test_the_mlp_benchmark_computes_the_same_loss_in_gradcli_and_pytorch(monkeypatch, capsys) -> None:
    """bench/mlp.py, at a small size: both sides build the same network from the same weights."""
    import mlp

    pytest.importorskip("torch")
    monkeypatch.setattr(mlp, "N", 5)
    monkeypatch.setattr(mlp, "H", 4)
    mlp.with_gradcli("json")
    mlp.with_torch()
    ours, theirs = (float(line.split(";")[0].split("=")[1]) for line in capsys.readouterr().out.splitlines())
    assert ours == pytest.approx(theirs, rel=1e-13)


def test_the_hessian_benchmark_gives_the_eigenvalues_pytorch_gives(monkeypatch, capsys) -> None:
    """bench/hessian200.py, at 12 inputs: gradcli's eigenvalues are PyTorch's."""
    import hessian200

    pytest.importorskip("torch")
    monkeypatch.setattr(hessian200, "N", 12)
    hessian200.with_gradcli()
    hessian200.with_torch()
    ours, theirs = ([float(w) for w in line.split()[2::2]] for line in capsys.readouterr().out.splitlines())
    assert ours == pytest.approx(theirs, rel=1e-13)
