"""gradcli descend: gradient descent step by step, with momentum and weight decay, over data or not."""

from __future__ import annotations

import json
import math

import pytest

from conftest import ROOT, close, run, run_json

EXAMPLE = str(ROOT / "examples" / "logistic20.csv")
LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"

# Matt Mazur, "A Step by Step Backpropagation Example" (2015): a 2-2-2 sigmoid network, squared error, one step of
# gradient descent with learning rate 0.5; the biases are not updated.
MAZUR = """
h1 = sigmoid(w1*i1 + w2*i2 + b1)
h2 = sigmoid(w3*i1 + w4*i2 + b1)
o1 = sigmoid(w5*h1 + w6*h2 + b2)
o2 = sigmoid(w7*h1 + w8*h2 + b2)
E = 0.5*(t1 - o1)**2 + 0.5*(t2 - o2)**2
"""
MAZUR_START = "w1=0.15,w2=0.20,w3=0.25,w4=0.30,w5=0.40,w6=0.45,w7=0.50,w8=0.55"
MAZUR_LET = "i1=0.05,i2=0.10,b1=0.35,b2=0.60,t1=0.01,t2=0.99"
# the published weights after the step, to the digits printed there
MAZUR_AFTER = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
               "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}


def test_one_step_of_a_published_backpropagation_example() -> None:
    doc = run_json("descend", MAZUR, "--at", MAZUR_START, "--let", MAZUR_LET, "--lr", "0.5", "--steps", "1")
    first, after = doc["rows"]
    assert round(first["loss"], 9) == 0.298371109  # E_total before the step, as published
    assert round(first["gradient"]["w5"], 9) == 0.082167041  # ∂E/∂w5, as published
    assert round(first["gradient"]["w1"], 9) == 0.000438568  # ∂E/∂w1, as published
    for w, published in MAZUR_AFTER.items():
        digits = len(repr(published).split(".")[1])
        assert round(after["params"][w], digits) == published, w
        assert after["params"][w] == first["params"][w] + first["update"][w]  # each row adds up as printed
    assert after["update"] is None and doc["stopped"] == "steps"
    assert round(after["loss"], 9) < 0.298371109  # the step lowered the error


def test_steps_are_reproducible_to_the_last_digit() -> None:
    args = ("descend", LOGISTIC, "--at", "0.1,0.2,0.3", "--data", EXAMPLE, "--lr", "0.5", "--steps", "25",
            "--momentum", "0.9", "--format", "json")
    a, b = run(*args), run(*args)
    assert a.exit_code == 0 and a.stdout == b.stdout


def least_squares_descent(rows, p0: float, p1: float, lr: float, steps: int) -> list[tuple[float, float]]:
    """The iterates by hand, from the closed-form gradient 2·Σ r and 2·Σ r·x."""
    out = [(p0, p1)]
    for _ in range(steps):
        r = [p0 + p1 * x - y for x, y in rows]
        g0, g1 = 2 * math.fsum(r), 2 * math.fsum(e * x for e, (x, _) in zip(r, rows))
        p0, p1 = p0 - lr * g0, p1 - lr * g1
        out.append((p0, p1))
    return out


def test_least_squares_descent_follows_the_closed_form_gradient(tmp_path) -> None:
    rows = [(1.0, 2.0), (2.0, 3.0), (3.0, 5.0)]
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in rows))
    doc = run_json("descend", "(p0 + p1*x - y)**2", "--at", "0,1", "--data", str(path), "--lr", "0.02",
                   "--steps", "30")
    expected = least_squares_descent(rows, 0.0, 1.0, 0.02, 30)
    for row, (p0, p1) in zip(doc["rows"], expected):
        assert close(row["params"]["p0"], p0, 1e-12) and close(row["params"]["p1"], p1, 1e-12)
    assert doc["rows"][-1]["loss"] < doc["rows"][0]["loss"]


@pytest.mark.parametrize("data", [False, True])
def test_weight_decay_takes_the_steps_of_an_l2_penalty(data: bool) -> None:
    """φ ← (1 − λ)φ − α∇L is gradient descent on L + λ/(2α)·Σφ² (GEN-AI problem 3)."""
    lr, decay = 0.3, 0.05
    coefficient = decay / (2 * lr)
    if data:
        base, at, more = LOGISTIC, "0.1,0.2,0.3", ("--data", EXAMPLE, "--reduce", "mean")
        penalty = f"{coefficient!r}*(b**2 + w1**2 + w2**2)"  # in every sample: the mean of a constant is itself
    else:
        base, at, more = "(u - 1)**2 + 3*(v + 2)**2 + u*v", "1.5,-0.5", ()
        penalty = f"{coefficient!r}*(u**2 + v**2)"
    decayed = run_json("descend", base, "--at", at, *more, "--lr", str(lr), "--steps", "20",
                       "--weight-decay", str(decay))
    l2 = run_json("descend", f"{base} + {penalty}", "--at", at, *more, "--lr", str(lr), "--steps", "20")
    assert len(decayed["rows"]) == len(l2["rows"]) == 21
    for a, b in zip(decayed["rows"], l2["rows"]):
        for n in a["params"]:
            assert close(a["params"][n], b["params"][n], 1e-12, 1e-14), (a["t"], n)


def test_momentum_is_the_weighted_sum_of_past_gradients() -> None:
    """mₜ = βmₜ₋₁ + (1−β)gₜ from m = 0 is (1−β)·Σₖ βᵗ⁻ᵏ gₖ (CS 316), and each update is −α·mₜ."""
    beta, lr = 0.8, 0.05
    doc = run_json("descend", LOGISTIC, "--at", "0.1,0.2,0.3", "--data", EXAMPLE, "--lr", str(lr), "--steps", "12",
                   "--momentum", str(beta))
    rows = doc["rows"][:-1]
    for t, row in enumerate(rows):
        for n in row["gradient"]:
            weighted = (1 - beta) * math.fsum(beta ** (t - k) * rows[k]["gradient"][n] for k in range(t + 1))
            assert close(row["momentum"][n], weighted, 1e-12, 1e-15), (t, n)
            assert row["update"][n] == -lr * row["momentum"][n]
    assert "momentum" not in doc["rows"][-1] or doc["rows"][-1]["momentum"] is None


def test_descent_over_data_is_descent_on_the_typed_out_sum(tmp_path) -> None:
    rows = [(0.5, -1.0, 0.0), (1.5, 0.25, 1.0), (-0.75, 2.0, 1.0)]
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,y\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    over = run_json("descend", LOGISTIC, "--at", "0.1,0.2,0.3", "--data", str(path), "--lr", "0.5", "--steps", "5")
    typed = " + ".join(LOGISTIC.replace("x1", f"({a})").replace("x2", f"({b})").replace("y", f"({c})")
                       for a, b, c in rows)
    alone = run_json("descend", typed, "--at", "0.1,0.2,0.3", "--lr", "0.5", "--steps", "5")
    for a, b in zip(over["rows"], alone["rows"]):
        assert close(a["loss"], b["loss"], 1e-13)
        assert all(close(a["params"][n], b["params"][n], 1e-13) for n in a["params"])


def test_until_grad_stops_early() -> None:
    doc = run_json("descend", "x**2", "--at", "1", "--lr", "0.25", "--steps", "1000", "--until-grad", "1e-8")
    assert doc["stopped"] == "gradient"
    last, before = doc["rows"][-1], doc["rows"][-2]
    assert abs(last["gradient"]["x"]) <= 1e-8 < abs(before["gradient"]["x"])
    assert doc["final"]["gradient_norm"] == abs(last["gradient"]["x"]) and len(doc["rows"]) < 40
    out = run("descend", "x**2", "--at", "1", "--lr", "0.25", "--steps", "1000", "--until-grad", "1e-8").output
    assert "(--until-grad)" in out


def test_a_step_too_long_is_told_and_a_divergence_stops() -> None:
    out = run("descend", "x**2", "--at", "1", "--lr", "1.5", "--steps", "3").output
    assert "warning: the loss rose at step 1 (from 1 to 4)" in out
    doc = run_json("descend", "x**2", "--at", "1", "--lr", "1.5", "--steps", "3")
    assert any(w.startswith("the loss rose at step 1") for w in doc["warnings"])
    doc = run_json("descend", "exp(x**2)", "--at", "1", "--lr", "10", "--steps", "50")
    assert doc["stopped"] == "diverged" and len(doc["rows"]) < 51


def test_the_table_reads_like_the_sheet() -> None:
    out = run("descend", "(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--lr", "0.1", "--steps", "3",
              width=100).output
    assert "φ ← φ − α·∇f(φ); α = 0.1" in out
    assert "held constant (no derivatives): x = 2, y = 3" in out
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("t "))
    assert head.split() == ["t", "w", "f", "∂f/∂w", "Δw"]
    assert next(line for line in lines if line.startswith("0 ")).split() == ["0", "0", "9", "-12", "1.2000000000000002"]
    assert "After 3 steps: w = 1.488" in out
    mom = run("descend", "(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--momentum", "0.9",
              "--weight-decay", "0.01").output
    assert "m ← β·m + (1 − β)·∇f(φ), starting from m = 0; β = 0.9" in mom
    assert "φ ← (1 − λ)·φ − α·m; α = 0.1, λ = 0.01" in mom and "not the same as a penalty in the loss" in mom
    decay = run("descend", "(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--weight-decay", "0.01").output
    assert "φ ← (1 − λ)·φ − α·∇f(φ); α = 0.1, λ = 0.01" in decay and "0.05·Σφ²" in decay
    ascii_ = run("descend", "(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--momentum", "0.9", "--ascii").output
    assert ascii_.isascii() and "phi <- phi - alpha*m" in ascii_


def test_a_wide_table_folds_each_step_into_lines_one_table_not_panels() -> None:
    out = run("descend", LOGISTIC, "--at", "0.1,0.2,0.3", "--data", EXAMPLE, "--momentum", "0.5", width=80).output
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    rules = [n for n, line in enumerate(lines) if line and set(line) == {"─"}]
    assert len(rules) == 1  # one table: one header, not a panel per group of columns
    heads = [w for line in lines[rules[0] - 5:rules[0]] for w in line.split()]
    assert heads == ["t", "b", "w1", "w2", "L", "∂L/∂b", "∂L/∂w1", "∂L/∂w2", "m_b", "m_w1", "m_w2",
                     "Δb", "Δw1", "Δw2"]  # every column, folded: parameters and loss, gradient, momentum, update
    steps = [line.split()[0] for line in lines[rules[0] + 1:] if line[:1].isdigit()]
    assert steps == [str(t) for t in range(11)]  # each step once, leading its lines
    doc = run_json("descend", LOGISTIC, "--at", "0.1,0.2,0.3", "--data", EXAMPLE, "--momentum", "0.5")
    first = [line.split() for line in lines[rules[0] + 1:rules[0] + 6]]
    assert [float(x) for x in first[0][1:]] == list(doc["rows"][0]["params"].values())
    assert float(first[1][0]) == doc["rows"][0]["loss"]
    assert [float(x) for x in first[2]] == list(doc["rows"][0]["gradient"].values())


@pytest.mark.parametrize("args,message", [
    (("--lr", "0"), "--lr"), (("--lr", "-1"), "--lr"), (("--lr", "nan"), "--lr"),
    (("--momentum", "1"), "--momentum"), (("--weight-decay", "1"), "--weight-decay"),
    (("--steps", "-1"), "--steps"), (("--until-grad", "0"), "--until-grad"), (("--row", "2"), "--row"),
])
def test_settings_out_of_range_are_one_line_errors(args, message: str) -> None:
    result = run("descend", "x**2", "--at", "1", *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_wrt_picks_the_parameters() -> None:
    doc = run_json("descend", "(w*x - y)**2", "--at", "w=0,x=2,y=3", "--wrt", "w", "--steps", "2")
    assert doc["inputs"] == ["w"] and set(doc["rows"][0]["params"]) == {"w"}
    assert doc["data"] == {"x": 2.0, "y": 3.0}


def test_zero_steps_is_the_start_alone() -> None:
    doc = run_json("descend", "x**2 + y**2", "--at", "1,2", "--steps", "0")
    assert len(doc["rows"]) == 1 and doc["rows"][0]["update"] is None and doc["final"]["loss"] == 5.0


def test_several_outputs_need_one_loss() -> None:
    result = run("descend", "a = x**2; b = x**3; a, b", "--at", "1")
    assert result.exit_code == 2 and "--output" in result.output


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_write_ups(fmt: str) -> None:
    out = run("descend", "(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--momentum", "0.9", "--steps", "2",
              "--format", fmt).output
    assert ("Δ" in out or r"\Delta" in out) and "After 2 steps" in out


def test_latex_of_descend_compiles(tmp_path) -> None:
    from texcheck import compile_fragments

    fragments = [(label, run("descend", *args, "--format", "latex").stdout) for label, args in (
        ("plain", ["(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--steps", "3"]),
        ("momentum", [LOGISTIC, "--at", "0.1,0.2,0.3", "--data", EXAMPLE, "--momentum", "0.9", "--weight-decay",
                      "0.01", "--steps", "4", "--reduce", "mean"]))]
    compiled = compile_fragments(fragments, tmp_path)
    assert compiled.ok, compiled.report()


def test_json_shape() -> None:
    doc = run_json("descend", "(w*x - y)**2", "--at", "0", "--let", "x=2,y=3", "--momentum", "0.5", "--steps", "2")
    assert {"command", "source", "inputs", "point", "data", "lr", "momentum", "weight_decay", "steps", "until_grad",
            "rows", "stopped", "final", "warnings"} <= set(doc)
    assert doc["rows"][0] == {"t": 0, "params": {"w": 0.0}, "loss": 9.0, "gradient": {"w": -12.0},
                              "momentum": {"w": -6.0}, "update": {"w": 0.6000000000000001}}
    json.dumps(doc)


def test_batch_one_is_sgd_sample_by_sample_in_order() -> None:
    """--batch 1 takes the sheet's SGD step w ← w + η·x·(y − h(x)) on each sample in turn."""
    from gradcli.engine.data import read_table

    table = read_table((ROOT / "examples" / "logistic20.csv").read_text(), "t")
    lr, steps = 0.3, 45  # more steps than samples: from the first again after the last
    doc = run_json("descend", LOGISTIC, "--at", "b=0,w1=0,w2=0", "--data", EXAMPLE, "--batch", "1", "--lr", str(lr),
                   "--steps", str(steps))
    b = w1 = w2 = 0.0
    for t, row in enumerate(doc["rows"]):
        x1, x2, y = table.rows[t % 20]
        assert row["samples"] == [t % 20 + 1]
        assert close(row["params"]["w1"], w1, 1e-12, 1e-15) and close(row["params"]["b"], b, 1e-12, 1e-15)
        h = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))
        b, w1, w2 = b + lr * (y - h), w1 + lr * x1 * (y - h), w2 + lr * x2 * (y - h)
    out = run("descend", LOGISTIC, "--at", "0,0,0", "--data", EXAMPLE, "--batch", "3", "--steps", "8").output
    assert "19, 20, 1" in out and "7–9" in out and "loss rose" not in out


def test_a_batch_of_every_sample_is_the_full_gradient() -> None:
    full = run_json("descend", LOGISTIC, "--at", "0,0,0", "--data", EXAMPLE, "--steps", "3")
    batched = run_json("descend", LOGISTIC, "--at", "0,0,0", "--data", EXAMPLE, "--steps", "3", "--batch", "20")
    assert [r["params"] for r in full["rows"]] == [r["params"] for r in batched["rows"]]


def test_batch_needs_data_and_at_most_every_sample() -> None:
    assert "--data" in run("descend", "x**2", "--at", "1", "--batch", "1").output
    result = run("descend", LOGISTIC, "--at", "0,0,0", "--data", EXAMPLE, "--batch", "21")
    assert result.exit_code == 2 and "from 1 to the number of samples, 20" in result.output


def test_review_findings_stay_fixed(tmp_path) -> None:
    # a finite gradient has a finite length, however large
    doc = run_json("descend", "x**2", "--at", "1", "--lr", "1e200", "--steps", "1")
    assert doc["rows"][0]["gradient"]["x"] == 2.0 and math.isfinite(doc["final"]["gradient_norm"])
    # a step into where the loss is undefined keeps the rows before it
    doc = run_json("descend", "log(x)", "--at", "0.5", "--lr", "1")
    assert doc["stopped"] == "undefined" and len(doc["rows"]) == 1 and "step 1: c2 = log(c1)" in doc["warnings"][0]
    # nan settings are refused
    for option in ("--momentum", "--weight-decay", "--until-grad"):
        result = run("descend", "x**2", "--at", "1", option, "nan")
        assert result.exit_code == 2 and option in result.output
