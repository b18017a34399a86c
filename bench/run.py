"""gradcli's benchmarks: start-up, 10^3..10^5-node programs, and what users would use instead.

    python bench/run.py            # all of it; writes BENCHMARKS.md
    python bench/run.py --quick    # fewer repeats, sizes up to 10^4

Every ratio is measured side by side in the same run. Times are medians of several runs.
PyTorch is used where it is installed; sympy always (it is a dependency).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from programs import POINT, program  # noqa: E402

from gradcli.core.graph import graph_of, paused_gc  # noqa: E402
from gradcli.engine.tape import Tape  # noqa: E402
from gradcli.engine.trace import evaluate, forward, forward_many, reverse, run_reverse  # noqa: E402

SEED = "exp(x1)*(x1**2+x2**2)**3"
SEED_GRADIENT = "[exp(x1)*(x1**2 + x2**2)**3 + 6*x1*exp(x1)*(x1**2 + x2**2)**2, 6*x2*exp(x1)*(x1**2 + x2**2)**2]"
SYMPY_LIMIT = 60.0  # seconds: larger programs are not tried with sympy


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# --- start-up -------------------------------------------------------------------------------------

def installed() -> tuple[list[str], dict]:
    """How to run gradcli as a user does: the installed console script, byte-compiled by pip; else the
    repository's sources (which Python recompiles on every run when PYTHONDONTWRITEBYTECODE is set)."""
    script = Path(sys.executable).with_name("gradcli")
    if script.exists():
        return [str(script)], dict(os.environ)
    return [sys.executable, "-m", "gradcli"], {**os.environ, "PYTHONPATH": str(ROOT)}


def startup(repeats: int) -> list[str]:
    py = sys.executable
    gradcli, env = installed()
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import click, rich.console, rich.table'": [py, "-c", "import click, rich.console, rich.table"],
        "gradcli reverse SEED --at 0,2": gradcli + ["reverse", SEED, "--at", "0,2"],
        "gradcli reverse SEED --at 0,2 --format json": gradcli + ["reverse", SEED, "--at", "0,2", "--format", "json"],
        "gradcli forward SEED --at 0,2": gradcli + ["forward", SEED, "--at", "0,2"],
        "gradcli graph SEED --dot": gradcli + ["graph", SEED, "--dot"],
        # the paths that import sympy
        "gradcli reverse SEED --at 0,2 --symbolic": gradcli + ["reverse", SEED, "--at", "0,2", "--symbolic"],
        "gradcli reverse SEED --at 0,2 --exact": gradcli + ["reverse", SEED, "--at", "0,2", "--exact"],
        "gradcli check SEED --claim GRADIENT": gradcli + ["check", SEED, "--claim", SEED_GRADIENT],
        # second order
        "gradcli hessian SEED --at 0,2": gradcli + ["hessian", SEED, "--at", "0,2"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(repeats):  # interleaved, so the machine's mood is shared by all
        for name, cmd in commands.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    bare, imports = med["python -c pass"], med["python -c 'import click, rich.console, rich.table'"]
    rows = ["| command | ms | ÷ python -c pass | ÷ click+rich import |", "| --- | ---: | ---: | ---: |"]
    rows += [f"| `{k}` | {v * 1000:.1f} | {v / bare:.2f} | {v / imports:.2f} |" for k, v in med.items()]
    return rows


# --- big programs ---------------------------------------------------------------------------------

def in_process(n: int, repeats: int) -> dict:
    src = program(n)
    r: dict = {"n": n}
    r["build"] = median_time(lambda: graph_of(src), repeats)  # parse and build are one pass
    g = graph_of(src)
    r["op_nodes"] = g.op_count
    with paused_gc():
        ev = evaluate(g, POINT)
        r["evaluate"] = median_time(lambda: evaluate(g, POINT), repeats)
        r["reverse"] = median_time(lambda: reverse(g, ev, []), repeats)
        seed = tuple(1.0 if k == 0 else 0.0 for k in range(len(g.names)))
        r["forward1"] = median_time(lambda: forward(g, ev, seed, "x0", []), repeats)
        seeds = [tuple(1.0 if k == j else 0.0 for k in range(len(g.names))) for j in range(len(g.names))]
        r["forward10"] = median_time(lambda: forward_many(g, ev, seeds, list(g.names), []), repeats)
        tape = Tape(g)
        r["tape"] = median_time(lambda: tape.gradient(POINT), repeats)
        r["tape_ok"] = all(abs(a - b) <= 1e-9 * max(1.0, abs(b))
                           for a, b in zip(tape.gradient(POINT), [reverse(g, ev, [])[i] for i in g.inputs]))
    r["memory"], r["peak"] = memory_per_node(src)
    r["whole_json"], r["torch_whole"] = whole_process_json(src, g, repeats)
    r["torch"] = torch_time(g, repeats)
    return r


def memory_per_node(src: str) -> tuple[float, int]:
    """Peak bytes allocated by parse + build + reverse mode above what was there before: per operation node,
    and in all."""
    gc.collect()
    tracemalloc.start()
    g = graph_of(src)
    t = run_reverse(g, POINT)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = g.op_count
    del g, t
    return peak / n, peak


def whole_process_json(src: str, graph, repeats: int) -> tuple[float, float | None]:
    """Whole-process `gradcli reverse -f FILE --format json`, and PyTorch's whole process on the same graph
    (bench/torch_program.py: import torch, read the graph, build it, backward()), run in turn: medians."""
    path = HERE / ".program.txt"
    path.write_text(src)
    spec = HERE / ".program.json"
    spec.write_text(json.dumps({"point": [POINT[n] for n in graph.names], "output": graph.output,
                                "nodes": [[n.op, [a if type(a) is int else [a.value] for a in n.args]]
                                          for n in graph.nodes]}))
    at = ",".join(f"{k}={v}" for k, v in POINT.items() if k in graph.names)  # it need not use every input
    gradcli, env = installed()
    cmd = gradcli + ["reverse", "-f", str(path), "--at", at, "--format", "json"]
    torch_cmd = [sys.executable, str(HERE / "torch_program.py"), str(spec)]
    try:
        import torch  # noqa: F401
    except ImportError:
        torch_cmd = None
    ours, theirs = [], []
    try:
        for _ in range(max(3, repeats // 2)):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
            ours.append(time.perf_counter() - t)
            if torch_cmd is not None:
                t = time.perf_counter()
                subprocess.run(torch_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                theirs.append(time.perf_counter() - t)
    finally:
        path.unlink()
        spec.unlink()
    return statistics.median(ours), statistics.median(theirs) if theirs else None


def every_command(n: int) -> list[str]:
    """Each command and format a user may run on the n-step program, whole process, one run each: a table of
    10^5 rows is clipped, but every node is still computed, named and (for DOT) drawn."""
    src = program(n)
    path = HERE / ".program.txt"
    path.write_text(src)
    g = graph_of(src)
    at = ",".join(f"{k}={v}" for k, v in POINT.items() if k in g.names)
    gradcli, env = installed()
    rows = ["| command | seconds |", "| --- | ---: |"]
    try:
        for args in (["reverse"], ["reverse", "--format", "json"], ["reverse", "--format", "markdown"],
                     ["reverse", "--format", "latex"], ["forward", "--wrt", g.names[0]],
                     ["forward", "--format", "json"], ["graph", "--dot"], ["hessian", "--wrt", g.names[0]]):
            t = time.perf_counter()
            subprocess.run(gradcli + [args[0], "-f", str(path), "--at", at, *args[1:]], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env, check=True)
            rows.append(f"| `gradcli {' '.join(args)}` | {time.perf_counter() - t:.2f} |")
    finally:
        path.unlink()
    return rows


def torch_time(graph, repeats: int) -> float | None:
    """PyTorch eager: the same program on 0-d float64 tensors, built and backward(), in process."""
    try:
        import torch
    except ImportError:
        return None
    sys.path.insert(0, str(ROOT / "tests"))
    from torch_ops import TORCH  # the op table in PyTorch, kept beside the tests that check it

    def run() -> None:
        leaves = {n: torch.tensor(POINT[n], dtype=torch.float64, requires_grad=True) for n in graph.names}
        vals: list = [None] * len(graph.nodes)
        for i, n in zip(graph.inputs, graph.names):
            vals[i] = leaves[n]
        for i, node in enumerate(graph.nodes):
            if node.op != "input":
                vals[i] = TORCH[node.op](*(vals[a] if type(a) is int else torch.tensor(a.value, dtype=torch.float64)
                                          for a in node.args))
        vals[graph.output].backward()

    return median_time(run, max(1, repeats // 2))


def sympy_time(n: int) -> float | str | None:
    """sympy: the program as one expression, diff in each input, evaluated at the point.

    None past the time limit; the error's text if sympy fails."""
    import sympy as sp

    from gradcli.exact.exact import expression as sympy_of

    g = graph_of(program(n))
    t = time.perf_counter()
    try:
        f, syms = sympy_of(g)
        subs = {syms[k]: sp.Float(POINT[k], 30) for k in g.names}
        for name in g.names:
            sp.diff(f, syms[name]).evalf(20, subs=subs)
            if time.perf_counter() - t > SYMPY_LIMIT:
                return None
    except (Exception, RecursionError) as e:  # noqa: BLE001  sympy's own failure is a result here
        return f"sympy failed after {time.perf_counter() - t:.1f} s: {type(e).__name__}"
    return time.perf_counter() - t


LOGISTIC = "-(y*log(sigmoid(w1*x1+w2*x2+b)) + (1-y)*log(1-sigmoid(w1*x1+w2*x2+b)))"


def logistic_csv(n: int) -> str:
    import random

    rng = random.Random(n)
    lines = ["x1,x2,y"]
    for k in range(n):
        y = k % 2
        lines.append(f"{rng.gauss(2 * y - 1, 1):.3f},{rng.gauss(2 * y - 1, 1):.3f},{y}")
    return "\n".join(lines) + "\n"


def data_rows(repeats: int) -> list[str]:
    """--data against the same loss typed out as one sum (what a student types without it), and against start-up."""
    import tempfile

    py = sys.executable
    gradcli, env = installed()
    rows = ["| samples | `reverse --data` (table) | `reverse --data --format json` | "
            "`descend --data --reduce mean`, 10 steps | the sum typed out, `reverse --format json` | "
            "typed out ÷ --data | `python -c pass` |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1_000, 10_000):
            csv = Path(tmp) / f"d{n}.csv"
            csv.write_text(logistic_csv(n))
            data = [str(csv)]
            typed = " + ".join(LOGISTIC.replace("x1", f"({x1})").replace("x2", f"({x2})").replace("y", f"({y})")
                               for x1, x2, y in (line.split(",") for line in csv.read_text().split()[1:]))
            source = Path(tmp) / f"typed{n}.txt"
            source.write_text(typed)
            at = ["--at", "b=0.1,w1=0.2,w2=0.3"]
            commands = {
                "table": gradcli + ["reverse", LOGISTIC, *at, "--data", *data],
                "json": gradcli + ["reverse", LOGISTIC, *at, "--data", *data, "--format", "json"],
                "descend": gradcli + ["descend", LOGISTIC, *at, "--data", *data, "--reduce", "mean", "--steps", "10"],
                "typed": gradcli + ["reverse", "-f", str(source), *at, "--format", "json"],
                "pass": [py, "-c", "pass"],
            }
            times: dict[str, list[float]] = {k: [] for k in commands}
            for _ in range(max(3, repeats // 2)):
                for name, cmd in commands.items():
                    t = time.perf_counter()
                    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
                    times[name].append(time.perf_counter() - t)
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append(f"| {n:,} | {med['table']:.3f} | {med['json']:.3f} | {med['descend']:.3f} | "
                        f"{med['typed']:.3f} | {med['typed'] / med['json']:.1f} | {med['pass']:.3f} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, sizes up to 10^4")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]

    out = io.StringIO()

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.write(line + "\n")

    say("# Benchmarks")
    say()
    say(f"Written by `python bench/run.py` on {time.strftime('%Y-%m-%d')}: {platform.machine()}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}.")
    say()
    say("## Start-up (whole process, median of interleaved runs)")
    say()
    for row in startup(repeats * 3):
        say(row)
    say()
    say("## Generated programs over 10 inputs (in process, seconds, median)")
    say()
    say("| op nodes | parse + build (one pass) | evaluate | reverse | reverse ÷ evaluate | forward, 1 input | "
        "forward, 10 inputs in one sweep | ÷ evaluate | evaluate + reverse | plain tape | ÷ tape | "
        "peak bytes per node | PyTorch eager, in process |")
    say("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    results = []
    for n in sizes:
        r = in_process(n, repeats)
        results.append(r)
        er = r["evaluate"] + r["reverse"]
        torch = f"{r['torch']:.3f}" if r["torch"] is not None else "not installed"
        say(f"| {r['op_nodes']:,} | {r['build']:.3f} | {r['evaluate']:.3f} | {r['reverse']:.3f} "
            f"| {r['reverse'] / r['evaluate']:.2f} | {r['forward1']:.3f} | {r['forward10']:.3f} "
            f"| {r['forward10'] / r['evaluate']:.2f} | {er:.3f} | {r['tape']:.3f} | {er / r['tape']:.2f} "
            f"| {r['memory']:.0f} | {torch} |")
        assert r["tape_ok"], "the plain tape and gradcli disagree"
    say()
    say("Whole process, seconds (median of runs in turn): `gradcli reverse -f FILE --format json` against "
        "PyTorch eager from `python bench/torch_program.py` (import torch, read the graph, build it on 0-d "
        "float64 tensors, backward()), what checking the gradient with PyTorch costs.")
    say()
    say("| op nodes | gradcli, `reverse --format json` | PyTorch eager, whole process | gradcli ÷ PyTorch |")
    say("| ---: | ---: | ---: | ---: |")
    for r in results:
        tw, ours = r["torch_whole"], r["whole_json"]
        theirs, ratio = (f"{tw:.3f}", f"{ours / tw:.2f}") if tw else ("not installed", "")
        say(f"| {r['op_nodes']:,} | {ours:.3f} | {theirs} | {ratio} |")
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        say()
        say(f"Growth from {a['op_nodes']:,} to {b['op_nodes']:,} nodes (10×): parse + build "
            f"{b['build'] / a['build']:.1f}×, evaluate + reverse "
            f"{(b['evaluate'] + b['reverse']) / (a['evaluate'] + a['reverse']):.1f}×, whole process "
            f"{b['whole_json'] / a['whole_json']:.1f}×, peak memory {b['peak'] / a['peak']:.1f}×.")
    say()
    say(f"Every command on the {results[-1]['op_nodes']:,}-node program (whole process, one run each):")
    say()
    for row in every_command(sizes[-1]):
        say(row)
    say()
    say(f"## The same kind of programs through sympy (build + diff in each input + evaluate; stopped past "
        f"{SYMPY_LIMIT:.0f} s)")
    say()
    say("| op nodes | sympy, s | gradcli, parse to gradient, s | gradcli faster by |")
    say("| ---: | ---: | ---: | ---: |")
    for n in [10, 30, 100, 300, 1_000, 10_000, 100_000]:
        src = program(n)

        def ours_once(src: str = src) -> None:
            g = graph_of(src)
            run_reverse(g, {k: POINT[k] for k in g.names})

        ours = median_time(ours_once, repeats)
        s = sympy_time(n)
        if isinstance(s, str):
            say(f"| {n:,} | {s} | {ours:.4f} | |")
            break
        if s is None:
            say(f"| {n:,} | > {SYMPY_LIMIT:.0f} | {ours:.4f} | > {SYMPY_LIMIT / ours:,.0f}× |")
            break
        say(f"| {n:,} | {s:.3f} | {ours:.4f} | {s / ours:,.0f}× |")
    say()
    say("## Second order in process (seconds, median): the Hessian by forward over reverse")
    say()
    say("| program | op nodes | inputs | hessian (one reverse sweep, then a forward and a second sweep per input) "
        "| ÷ evaluate + reverse |")
    say("| --- | ---: | ---: | ---: | ---: |")
    from gradcli.engine.second import run_hessian

    for label, src in (("the seed example", SEED), ("generated, 1,000 steps", program(1_000))):
        g = graph_of(src)
        point = {k: POINT[k] for k in g.names} if label != "the seed example" else {"x1": 0.0, "x2": 2.0}
        h = median_time(lambda g=g, point=point: run_hessian(g, point), repeats)
        first = median_time(lambda g=g, point=point: run_reverse(g, point), repeats)
        say(f"| {label} | {g.op_count:,} | {len(g.names)} | {h:.4f} | {h / first:.1f} |")
    say()
    say("## A loss over a data file (whole process, seconds, median): the logistic loss of 3 parameters")
    say()
    for row in data_rows(repeats):
        say(row)
    text = out.getvalue()
    path = ROOT / "BENCHMARKS.md"
    old = path.read_text() if path.exists() else ""
    # the sections written by hand or by bench/adversarial.py stay as they are
    kept = re.search(r"\n## (Where the targets stand|1 MB inputs).*", old, re.S)
    path.write_text(text.rstrip() + "\n" + (kept.group(0) if kept else ""))


if __name__ == "__main__":
    main()
