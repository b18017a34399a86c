"""descend's optimizers as UDL chapter 6 writes them (momentum 6.11, Nesterov 6.12, Adam 6.15–6.17), checked
against recurrences written out here with the gradient from its own formula, and Adam against PyTorch's."""

from __future__ import annotations

import math
import os

import pytest

import gradcli
from conftest import ROOT, close, run, run_json

UDL = "1 - exp(-2*phi1**2)*exp(-(phi0-0.7)**2/8)"  # UDL notebook 6.5's function
UDL_START = "phi0=-0.7,phi1=-0.9"
EXAMPLE = str(ROOT / "examples" / "logistic20.csv")
LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"


def udl_gradient(p0: float, p1: float) -> tuple[float, float]:
    """∇ of 1 − exp(−2φ1²)·exp(−(φ0 − 0.7)²/8), by hand."""
    e = math.exp(-2 * p1 ** 2) * math.exp(-(p0 - 0.7) ** 2 / 8)
    return e * (p0 - 0.7) / 4, e * 4 * p1


def params(row) -> tuple[float, float]:
    return row["params"]["phi0"], row["params"]["phi1"]


def test_adams_first_step_moves_by_alpha_against_the_sign_of_the_gradient() -> None:
    doc = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "adam", "--lr", "0.05", "--steps", "1")
    assert doc["optimizer"] == "adam" and doc["gamma"] == 0.999 and doc["epsilon"] == 1e-8
    first, after = doc["rows"]
    g = udl_gradient(-0.7, -0.9)
    assert all(x < 0 for x in g)
    # UDL 6.5: (−0.7, −0.9) → (−0.65, −0.85); exactly −α·g/(|g| + ε) per entry
    for (n, gi), start in zip(zip(("phi0", "phi1"), g), (-0.7, -0.9)):
        assert close(first["update"][n], -0.05 * gi / (abs(gi) + 1e-8), 1e-14, 0)
        assert abs(after["params"][n] - (start + 0.05)) < 1e-6
    assert first["momentum"]["phi0"] == pytest.approx(0.1 * g[0], rel=1e-14)
    assert first["second_moment"]["phi1"] == pytest.approx(0.001 * g[1] ** 2, rel=1e-14)


@pytest.mark.parametrize("beta,gamma,eps", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3), (0.0, 0.0, 1e-8)])
def test_adam_follows_its_recurrence_with_bias_correction(beta: float, gamma: float, eps: float) -> None:
    lr, steps = 0.08, 25
    doc = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "adam", "--lr", str(lr), "--steps", str(steps),
                   "--momentum", str(beta), "--gamma", str(gamma), "--epsilon", str(eps))
    p = [-0.7, -0.9]
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    for t, row in enumerate(doc["rows"]):
        assert close(params(row)[0], p[0], 1e-10, 1e-12) and close(params(row)[1], p[1], 1e-10, 1e-12), t
        if t == steps:
            break
        g = udl_gradient(*p)
        m = [beta * a + (1 - beta) * b for a, b in zip(m, g)]
        v = [gamma * a + (1 - gamma) * b * b for a, b in zip(v, g)]
        p = [x - lr * (a / (1 - beta ** (t + 1))) / (math.sqrt(b / (1 - gamma ** (t + 1))) + eps)
             for x, a, b in zip(p, m, v)]


def test_adam_agrees_with_pytorch() -> None:
    if os.environ.get("GRADCLI_REQUIRE_TORCH"):
        import torch
    else:
        torch = pytest.importorskip("torch", reason="PyTorch is not installed; it is only a test reference")
    lr, steps = 0.05, 40
    doc = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "adam", "--lr", str(lr), "--steps", str(steps))
    phi = torch.tensor([-0.7, -0.9], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([phi], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    for row in doc["rows"]:
        assert params(row) == pytest.approx(tuple(phi.detach().tolist()), rel=1e-12, abs=1e-14)
        opt.zero_grad()
        loss = 1 - torch.exp(-2 * phi[1] ** 2) * torch.exp(-(phi[0] - 0.7) ** 2 / 8)
        assert row["loss"] == pytest.approx(loss.item(), rel=1e-13)
        loss.backward()
        opt.step()


def test_nesterov_takes_its_gradient_at_the_look_ahead_point() -> None:
    lr, beta, steps = 0.08, 0.9, 30
    doc = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "nesterov", "--lr", str(lr),
                   "--momentum", str(beta), "--steps", str(steps))
    assert doc["optimizer"] == "nesterov" and doc["momentum"] == beta
    p = [-0.7, -0.9]
    m = [0.0, 0.0]
    for t, row in enumerate(doc["rows"]):
        ahead = [x - lr * beta * a for x, a in zip(p, m)]  # UDL 6.12
        assert close(params(row)[0], p[0], 1e-10, 1e-12) and close(params(row)[1], p[1], 1e-10, 1e-12), t
        assert row["lookahead"]["phi0"] == pytest.approx(ahead[0], rel=1e-10)
        g = udl_gradient(*ahead)
        assert row["gradient"]["phi1"] == pytest.approx(g[1], rel=1e-10)
        assert row["loss"] == pytest.approx(1 - math.exp(-2 * p[1] ** 2) * math.exp(-(p[0] - 0.7) ** 2 / 8),
                                            rel=1e-12)
        if t == steps:
            break
        m = [beta * a + (1 - beta) * b for a, b in zip(m, g)]
        p = [x - lr * a for x, a in zip(p, m)]
    # with no momentum yet, the first look-ahead is the start itself; after it, Nesterov differs from momentum
    assert doc["rows"][0]["lookahead"] == doc["rows"][0]["params"]
    plain = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "momentum", "--lr", str(lr),
                     "--momentum", str(beta), "--steps", str(steps))
    assert plain["rows"][1]["params"] == doc["rows"][1]["params"]
    assert plain["rows"][5]["params"] != doc["rows"][5]["params"]
    assert "lookahead" not in plain["rows"][1]


def test_momentum_alone_still_means_the_momentum_optimizer() -> None:
    alone = run_json("descend", UDL, "--at", UDL_START, "--momentum", "0.5", "--steps", "3")
    named = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "momentum", "--momentum", "0.5", "--steps",
                     "3")
    assert alone["optimizer"] == "momentum" and alone["rows"] == named["rows"]
    default = run_json("descend", UDL, "--at", UDL_START, "--optimizer", "momentum", "--steps", "1")
    assert default["momentum"] == 0.9  # the optimizers' β, unless given
    assert run_json("descend", UDL, "--at", UDL_START)["optimizer"] == "sgd"


@pytest.mark.parametrize("optimizer,rule", [
    ("sgd", "φ ← φ − α·∇f(φ)"), ("momentum", "m ← β·m + (1 − β)·∇f(φ)"),
    ("nesterov", "m ← β·m + (1 − β)·∇f(φ − α·β·m)"), ("adam", "m̂ = m/(1 − β^(t+1)),  v̂ = v/(1 − γ^(t+1))")])
def test_the_tables_state_each_optimizers_rule_and_show_its_moments(optimizer: str, rule: str) -> None:
    out = run("descend", UDL, "--at", UDL_START, "--optimizer", optimizer, "--steps", "2", width=200).output
    assert rule in out
    assert ("m_phi0" in out) == (optimizer != "sgd")
    assert ("v_phi0" in out) == (optimizer == "adam")


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_adam_in_the_write_up_formats(fmt: str) -> None:
    out = run("descend", UDL, "--at", UDL_START, "--optimizer", "adam", "--steps", "2", "--format", fmt).output
    assert "v" in out and "0.999" in out


def shuffled(seed: str, batch: str = "3", steps: str = "13") -> list[list[int]]:
    doc = run_json("descend", LOGISTIC, "--at", "0,0,0", "--data", EXAMPLE, "--batch", batch, "--shuffle", seed,
                   "--steps", steps)
    return [row["samples"] for row in doc["rows"]]


def test_shuffle_takes_every_sample_once_a_pass_in_a_seeded_order() -> None:
    one = shuffled("7", batch="4", steps="14")  # 15 batches of 4 = 3 passes over 20 samples
    flat = [s for b in one for s in b]
    passes = [flat[k:k + 20] for k in range(0, 60, 20)]
    for p in passes:
        assert sorted(p) == list(range(1, 21))
    assert passes[0] != list(range(1, 21)) and passes[0] != passes[1]  # shuffled, and afresh each pass
    assert shuffled("7", batch="4", steps="14") == one  # the same on every run
    assert shuffled("8", batch="4", steps="14") != one
    ordered = run_json("descend", LOGISTIC, "--at", "0,0,0", "--data", EXAMPLE, "--batch", "4", "--steps", "5")
    assert [r["samples"] for r in ordered["rows"]][:5] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12],
                                                            [13, 14, 15, 16], [17, 18, 19, 20]]


def test_a_shuffled_batch_is_the_loss_over_those_samples() -> None:
    doc = run_json("descend", LOGISTIC, "--at", "w1=0.1,w2=0.2,b=0.3", "--data", EXAMPLE, "--batch", "2", "--shuffle", "1",
                   "--steps", "1")
    assert doc["dataset"]["shuffle"] == 1
    row = doc["rows"][0]
    import csv

    with open(EXAMPLE, newline="") as f:
        samples = list(csv.DictReader(f))
    want = 0.0
    for k in row["samples"]:
        s = {n: float(v) for n, v in samples[k - 1].items()}
        z = 0.1 * s["x1"] + 0.2 * s["x2"] + 0.3
        p = 1 / (1 + math.exp(-z))
        want += -(s["y"] * math.log(p) + (1 - s["y"]) * math.log(1 - p))
    assert row["loss"] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("args,named", [
    (("--shuffle", "3"), "--shuffle"),
    (("--optimizer", "sgd", "--momentum", "0.5"), "--momentum"),
    (("--optimizer", "rmsprop"), "--optimizer"),
    (("--optimizer", "adam", "--gamma", "1"), "--gamma"),
    (("--optimizer", "adam", "--epsilon", "0"), "--epsilon"),
])
def test_settings_that_do_not_go_together_are_usage_errors(args, named: str) -> None:
    r = run("descend", UDL, "--at", UDL_START, *args)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert named in r.output


def test_a_long_descent_reports_progress_and_then_clears_it(monkeypatch) -> None:
    from gradcli.engine import descend as engine

    clock = iter(range(0, 10 ** 6, 1))  # a second passes at every look at the clock
    monkeypatch.setattr(engine.time, "monotonic", lambda: float(next(clock)))
    seen = []
    d = gradcli.descend("x**2", "1", lr=0.01, steps=300, progress=lambda t, n: seen.append((t, n)))
    assert seen[0] == (0, 300) and seen[-1] == (None, 300)
    assert [t for t, _ in seen[:-1]] == sorted(t for t, _ in seen[:-1]) and len(seen) >= 3
    assert len(d.steps) == 301


def test_progress_is_not_written_where_stderr_is_not_a_terminal() -> None:
    r = run("descend", "x**2", "--at", "1", "--steps", "2000", "--format", "json")
    assert r.exit_code == 0 and "step 0 of" not in r.output
