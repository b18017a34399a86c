"""The JSON Schemas of gradcli/schemas: every command's --format json, under every family of options, is valid
against its command's schema; the schemas are valid draft 2020-12 schemas whose references all resolve; they
can fail (a key dropped, an unknown key, a wrong type); and a command with JSON output has one.

jsonschema is a test dependency only (the `test` extra): gradcli ships the schemas as data and never imports it.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import click
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import ROOT, clean_env, run
from gradcli import schemas
from gradcli.cli import cli

SEED = "exp(x1)*(x1**2+x2**2)**3"
LOGISTIC = "-(y*log(sigmoid(w1*x1 + w2*x2 + b)) + (1-y)*log(1 - sigmoid(w1*x1 + w2*x2 + b)))"
DATA = str(ROOT / "examples" / "logistic20.csv")
MLP = "h = relu(W1 @ x + b1); L = sum(h*h)"
MLP_AT = "W1=[[1,2],[3,-4]],x=[1,-1],b1=[0.5,0.5]"
CS231N = "h = relu(W1ᵀ @ x + b1); s = W2ᵀ @ h + b2; L = -log(softmax(s)[3])"
CS231N_AT = ("x=[16,-6],W1=[[0.18,0.04],[0.1,0.22]],W2=[[0.19,-0.1,0.1],[-0.02,-0.01,0.04]],b1=[0,0],"
             "b2=[0,0,0]")
CHECK_MLP = "h = relu(W1ᵀ @ x); o = W2ᵀ @ h; L = -log(softmax(o)[3])"
CHECK_MLP_AT = "W1=[[1,2],[3,4]],x=[1,1],W2=[[1,0,2],[0,1,1]]"
SIG = "s(g) = 1/(1 + exp(-g)); y = s(x)*s(2*x)"
STEPS = "c1 = x1**2; c2 = x2**2; c3 = c1 + c2; f = exp(x1)*c3**3"
TWO = "s1 = x*y; s2 = sin(x) + y**2; s1, s2"
ROSEN = "(1 - x)**2 + 100*(y - x**2)**2"
NAMED = "a = 2; t = [0, 0, 1]; y = a*x + sum(t)"
GRADE = ROOT / "examples" / "grade"
NET = "z1 = x*w1; a1 = sigmoid(z1); z2 = a1*w2; a2 = sigmoid(z2); loss = 0.5*(a2 - ystar)**2"
NET_AT = "x=1.5,w1=0.8,w2=-1.2,ystar=1"
LAYER, LAYER_SHAPE = "z = W @ x + b; h = relu(z); L = sum(v * h)", "W=2x2,x=2,b=2,v=2"
LAYER_AT = "W=[[1,2],[3,4]],x=[1,0.5],b=[0,-1],v=[1,-2]"


class Case(NamedTuple):
    label: str
    command: str
    args: list[str]
    exit: int = 0
    input: str | None = None  # standard input


# {prog}, {big}: files the fixture `files` writes (a program; a data file of 2,000 rows, swept as columns)
GENAI_PROGRAM = "f1 = exp(x); f2 = f1**2; f3 = f1 + f2; f4 = exp(f3); f5 = sin(f3); y = f4 + f5"

DEEP = "sin(" * 60 + "x" + ")" * 60  # --symbolic on it takes sympy well over a second
CASES = [
    Case("plain", "forward", [SEED, "--at", "0,2"]),
    Case("wrt", "forward", [SEED, "--at", "0,2", "--wrt", "x2"]),
    Case("direction", "forward", [SEED, "--at", "0,2", "--direction", "1,1"]),
    Case("cost", "forward", [SEED, "--at", "0,2", "--cost"]),
    Case("exact", "forward", [SEED, "--at", "0,2", "--exact"]),
    Case("symbolic", "forward", [SEED, "--at", "0,2", "--symbolic"]),
    Case("symbolic-no-point", "forward", [SEED, "--symbolic"]),
    Case("direction-exact-symbolic", "forward", [SEED, "--at", "0,2", "--direction", "1,0", "--exact", "--symbolic"]),
    Case("let", "forward", ["x*y + a", "--at", "1,2", "--let", "a=3"]),
    Case("data", "forward", [LOGISTIC, "--at", "0,0,0", "--data", DATA]),
    Case("data-mean-row", "forward", [LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean", "--row", "3"]),
    Case("data-stdin", "forward", [LOGISTIC, "--at", "0,0,0", "--data", "-"], input="x1,x2,y\n1,2,0\n-1,0.5,1\n"),
    Case("arrays", "forward", [MLP, "--at", MLP_AT]),
    Case("arrays-scalar", "forward", [MLP, "--at", MLP_AT, "--scalar"]),
    Case("arrays-wrt", "forward", [MLP, "--at", MLP_AT, "--wrt", "x"]),
    Case("arrays-direction", "forward", [MLP, "--at", MLP_AT, "--direction", ",".join(["1"] * 8)]),
    Case("arrays-let", "forward", [MLP, "--at", "x=[1,-1],b1=[0.5,0.5]", "--let", "W1=[[1,2],[3,-4]]"]),
    Case("defined-function", "forward", [SIG, "--at", "0.5"]),
    Case("as-written", "forward", [STEPS, "--at", "0,2", "--as-written"]),
    Case("output", "forward", [TWO, "--at", "1,2", "--output", "s2"]),
    Case("overflow", "forward", ["exp(x)", "--at", "1000"]),
    Case("prefix-no-share-kink", "forward", ["relu(x)*y + relu(x)", "--at", "0,2", "--prefix", "v", "--no-share"]),
    Case("display-options", "forward", [SEED, "--at", "0,2", "--width", "30", "--ascii", "--max-rows", "1",
                                        "--digits", "3"]),
    Case("plain", "reverse", [SEED, "--at", "0,2"]),
    Case("cost", "reverse", [SEED, "--at", "0,2", "--cost"]),
    Case("exact", "reverse", [SEED, "--at", "0,2", "--exact"]),
    Case("symbolic", "reverse", [SEED, "--at", "0,2", "--symbolic"]),
    Case("symbolic-no-point", "reverse", ["h = w*x; f = sin(h) + h", "--symbolic", "--wrt", "w"]),
    Case("wrt", "reverse", [SEED, "--at", "0,2", "--wrt", "x1"]),
    Case("let-exact-symbolic", "reverse", ["x*y + a", "--at", "1,2", "--let", "a=3", "--exact", "--symbolic"]),
    Case("data", "reverse", [LOGISTIC, "--at", "0,0,0", "--data", DATA]),
    Case("data-mean-row-wrt", "reverse", [LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean", "--row", "2",
                                          "--wrt", "w1,w2"]),
    Case("data-columns", "reverse", ["(p0 + p1*x - y)**2", "--at", "0.5,1", "--data", "{big}"]),
    Case("file", "reverse", ["-f", "{prog}", "--at", "w=0.5,x=2"]),
    Case("stdin", "reverse", ["-", "--at", "3"], input="y = x**2 # a comment\n"),
    Case("arrays", "reverse", [MLP, "--at", MLP_AT]),
    Case("arrays-scalar", "reverse", [MLP, "--at", MLP_AT, "--scalar"]),
    Case("arrays-cs231n", "reverse", [CS231N, "--at", CS231N_AT]),
    Case("arrays-cross-entropy", "reverse", ["L = -sum(onehot(3, 4) * log(softmax(o)))", "--at", "o=[0.3,-1.2,2.0,0.5]"]),
    Case("arrays-view", "reverse", ["t = Wᵀ; L = sum(t @ x)", "--at", "W=[[1,2],[3,4],[5,6]],x=[1,1,1]"]),
    Case("arrays-let", "reverse", [MLP, "--at", "x=[1,-1],b1=[0.5,0.5]", "--let", "W1=[[1,2],[3,-4]]"]),
    Case("arrays-exact", "reverse", ["sum(W @ x)", "--at", "W=[[1,2],[3,4]],x=[1,1]", "--exact"]),
    Case("named-constants", "reverse", [NAMED, "--at", "3"]),
    Case("defined-function", "reverse", [SIG, "--at", "0.5"]),
    Case("as-written", "reverse", [STEPS, "--at", "0,2", "--as-written"]),
    Case("output", "reverse", [TWO, "--at", "1,2", "--output", "s1"]),
    Case("overflow", "reverse", ["exp(x) + 0*log(y)", "--at", "1000,1"]),
    Case("kinks", "reverse", ["relu(x) + abs(y) + x**y", "--at", "0,0"]),
    Case("plain", "graph", [SEED]),
    Case("at", "graph", [SEED, "--at", "0,2"]),
    Case("adjoints", "graph", [SEED, "--at", "0,2", "--adjoints"]),
    Case("no-adjoints-wrt", "graph", [SEED, "--at", "0,2", "--no-adjoints", "--wrt", "x1"]),
    Case("tangents-adjoints", "graph", [SEED, "--at", "0,2", "--tangents", "--adjoints"]),
    Case("shape", "graph", ["L = sum(W @ x)", "--shape", "W=2x3,x=3"]),
    Case("arrays", "graph", [MLP, "--at", MLP_AT, "--tangents", "--adjoints"]),
    Case("arrays-scalar", "graph", [MLP, "--at", MLP_AT, "--scalar"]),
    Case("let", "graph", ["x*y + a", "--at", "1,2", "--let", "a=3"]),
    Case("outputs", "graph", [TWO]),
    Case("no-share", "graph", [SIG, "--no-share"]),
    Case("reverse", "jacobian", [TWO, "--at", "1,2"]),
    Case("forward-cost", "jacobian", [TWO, "--at", "1,2", "--mode", "forward", "--cost"]),
    Case("output", "jacobian", ["s1 = x*y; s2 = sin(x); s3 = exp(x*y); s1, s2, s3", "--at", "1,2", "--output", "s1,s3"]),
    Case("arrays", "jacobian", ["s = softmax(z)", "--at", "z=[1,2,3]"]),
    Case("let", "jacobian", ["s1 = a*x; s2 = x*y; s1, s2", "--at", "1,2", "--let", "a=3", "--mode", "forward"]),
    Case("plain", "hessian", [ROSEN, "--at", "1,1"]),
    Case("direction", "hessian", [ROSEN, "--at", "0,0", "--direction", "1,0"]),
    Case("saddle", "hessian", ["x**2 - y**2", "--at", "0,0"]),
    Case("wrt-symbolic", "hessian", ["(phi0 + phi1*x - y)**2", "--at", "phi0=0,phi1=1,x=2,y=3", "--wrt", "phi0,phi1",
                                     "--symbolic"]),
    Case("exact", "hessian", [ROSEN, "--at", "1,1", "--exact"]),
    Case("data-mean-row", "hessian", [LOGISTIC, "--at", "0,0,0", "--data", DATA, "--reduce", "mean", "--row", "4"]),
    Case("let", "hessian", ["a*x**2*y", "--at", "1,2", "--let", "a=3"]),
    Case("arrays", "hessian", ["sum(W @ x)**2", "--at", "W=[[1,2]],x=[1,1]"]),
    Case("not-finite", "hessian", ["exp(x*y)", "--at", "1000,1"]),
    Case("proved", "check", ["x**2*y", "--claim", "[2*x*y, x**2]"]),
    Case("proved-kinks", "check", ["abs(x)", "--claim", "sign(x)"]),
    Case("agrees", "check", [SEED, "--claim", "[64, 192]", "--at", "0,2"]),
    Case("array-numbers-only", "check", ["sum(tanh(W @ x))", "--shape", "W=2x2,x=2", "--wrt", "W", "--claim",
                                         "(1 - tanh(W @ x)) @ xᵀ", "--time-limit", "0.01"], 1),
    Case("different-at", "check", ["x**2", "--claim", "2*x + 1", "--at", "2"], 1),
    Case("different-claims", "check", ["x**2*y", "--claim", "2*x*y", "--claim", "x"], 1),
    Case("wrt-steps", "check", ["L = (phi0 + phi1*x - y)**2", "--wrt", "phi0,phi1",
                                "--claim", "[2*(phi0 + phi1*x - y), 2*x*(phi0 + phi1*x - y)]"]),
    Case("named-step", "check", ["s = sig(g)", "--claim", "s*(1 - s)"]),
    Case("likely-mistake", "check", [GENAI_PROGRAM, "--wrt", "f1", "--claim", "f4 + cos(f3)"], 1),
    Case("let", "check", ["a*x**2", "--claim", "2*a*x", "--let", "a=3"]),
    Case("undecided", "check", ["x*(acos(x) + asin(x))", "--claim", "pi/2 + x*(1/sqrt(1 - x**2) - 1/sqrt(1 - x**2))"],
         3),
    Case("arrays-proved", "check", [CHECK_MLP, "--wrt", "W2", "--claim", "h @ (softmax(o) - onehot(3, 3))ᵀ",
                                    "--at", CHECK_MLP_AT]),
    Case("arrays-entry", "check", ["L = xᵀ @ A @ x", "--wrt", "x", "--claim", "2*A @ x", "--shape", "x=2,A=2x2"], 1),
    Case("arrays-claim-shape", "check", [CHECK_MLP, "--wrt", "W2", "--claim", "(h @ (softmax(o) - onehot(3, 3))ᵀ)ᵀ",
                                         "--at", CHECK_MLP_AT], 1),
    Case("number-claim-shape", "check", ["s = sum(x); L = s**2", "--wrt", "s", "--claim", "x", "--shape", "x=2"], 1),
    Case("plain", "gradcheck", [SEED, "--at", "0,2"]),
    Case("claim-wrong", "gradcheck", [SEED, "--at", "0,2", "--claim", "64,48"], 1),
    Case("kink", "gradcheck", ["relu(x) + abs(y)", "--at", "0,1"]),
    Case("wrt-step", "gradcheck", [SEED, "--at", "0,2", "--wrt", "x2", "--step", "1e-4"]),
    Case("undefined", "gradcheck", ["sqrt(x) + y", "--at", "0,1"]),
    Case("let", "gradcheck", ["a*x**2", "--at", "2", "--let", "a=3"]),
    Case("plain", "descend", ["x**2 + y**2", "--at", "3,4"]),
    Case("plot", "descend", ["x**2 + y**2", "--at", "3,4", "--plot"]),
    Case("momentum-decay", "descend", ["x**2", "--at", "3", "--steps", "3", "--momentum", "0.5", "--weight-decay",
                                       "0.1"]),
    Case("until-grad", "descend", ["x**2", "--at", "3", "--lr", "0.5", "--until-grad", "1e-8", "--steps", "100"]),
    Case("diverged", "descend", ["x**2", "--at", "3", "--lr", "1e200", "--steps", "5"]),
    Case("undefined", "descend", ["sqrt(x)", "--at", "1", "--lr", "10", "--steps", "3"]),
    Case("wrt", "descend", ["(w*x - 1)**2", "--at", "1,2", "--wrt", "w"]),
    Case("let", "descend", ["(w*x - 1)**2", "--at", "1", "--let", "x=2", "--steps", "2"]),
    Case("data", "descend", [LOGISTIC, "--at", "0,0,0", "--data", DATA, "--steps", "3"]),
    Case("data-batch-momentum", "descend", [LOGISTIC, "--at", "0,0,0", "--data", DATA, "--steps", "3", "--batch", "4",
                                            "--reduce", "mean", "--momentum", "0.9"]),
    Case("nesterov", "descend", ["x**2 + 3*y**2", "--at", "3,4", "--optimizer", "nesterov", "--steps", "4"]),
    Case("adam", "descend", ["x**2 + 3*y**2", "--at", "3,4", "--optimizer", "adam", "--steps", "4", "--gamma", "0.99",
                             "--epsilon", "1e-6"]),
    Case("reverse", "grade", [SEED, "--at", "0,2", str(GRADE / "ada-mfml3.txt")], 1),
    Case("rules-time-limit", "grade", [SEED, "--at", "0,2", str(GRADE / "ada-mfml3.txt"), "--time-limit", "30"], 1),
    Case("full-marks", "grade", [NET, "--at", NET_AT, str(GRADE / "cy-net.txt"), "--follow-through", "half"]),
    Case("arithmetic-none-points", "grade", [NET, "--at", NET_AT, str(GRADE / "bo-net.txt"), "--follow-through",
                                             "none", "--points", "10", "--student", "B"], 1),
    Case("forward-wrt-csv-map-tolerance", "grade", [SEED, "--at", "0,2", "-", "--mode", "forward", "--wrt", "x1",
                                                    "--map", "a=c3", "--tolerance", "1e-6"], 1,
         input="cell,rule,value\na,exp(c1),1\nc4,,0\nzz,,1\n"),
    Case("let", "grade", ["x*y + a", "--at", "1,2", "--let", "a=3", "-"], 1, input="grad = [2, 1]\n"),
    Case("matched-by-definition", "grade", [SEED, "--at", "0,2", str(GRADE / "eve-renumbered.txt")]),
    Case("reverse", "worksheet", [SEED, "--at", "0,2"]),
    Case("key-given-names", "worksheet", [SEED, "--at", "0,2", "--key", "--given", "values,rules", "--names",
                                          "a=c3,b=c4"]),
    Case("forward-wrt-seed-let", "worksheet", [NET, "--seed", "4", "--mode", "forward", "--wrt", "w1", "--given",
                                               "rules", "--let", "ystar=1"]),
    Case("arrays", "grade", [LAYER, "--shape", LAYER_SHAPE, "--at", LAYER_AT, str(GRADE / "fay-layer.txt")], 1),
    Case("arrays-key", "worksheet", [LAYER, "--shape", LAYER_SHAPE, "--at", LAYER_AT, "--key"]),
    Case("arrays-given", "worksheet", [LAYER, "--shape", LAYER_SHAPE, "--at", LAYER_AT, "--given", "values"]),
    Case("adam-shuffle", "descend", [LOGISTIC, "--at", "0,0,0", "--data", DATA, "--steps", "3", "--batch", "4",
                                     "--shuffle", "7", "--optimizer", "adam", "--weight-decay", "0.01"]),
    # sympy stopped at --time-limit: what it finished, and the rest named numeric_rows
    Case("time-limit", "forward", ["x**2*exp(x)", "--at", "1e100", "--exact", "--time-limit", "1"]),
    Case("time-limit", "reverse", [DEEP, "--at", "0.5", "--symbolic", "--time-limit", "1"]),
    Case("time-limit", "hessian", ["(x+y+z+w)**40", "--at", "1,2,3,4", "--symbolic", "--exact", "--time-limit", "1"]),
    Case("time-limit", "check", ["x", "--claim", "2**2**2**2**2**2**2", "--time-limit", "1"], exit=3),
]

PLOTS = [
    Case("surface", "plot", [ROSEN, "--x", "x=-2:2", "--y", "y=-1:3", "--grid", "12x9"]),
    Case("curves-let", "plot", ["a*x**2 + b", "--x", "x=-1:1", "--vary", "a=1,2", "--let", "b=1", "--grid", "5"]),
    Case("curve-gaps", "plot", ["log(x)", "--x", "x=-1:1", "--grid", "6"]),
    Case("data-mean", "plot", [LOGISTIC, "--x", "w1=-3:3", "--y", "w2=-3:3", "--let", "b=0", "--data", DATA,
                               "--reduce", "mean", "--grid", "8"]),
    Case("path-save", "plot", ["x**2 + y**2", "--x", "x", "--y", "y", "--path", "{path}", "--grid", "6",
                               "--save", "{png}"]),
    Case("undefined", "plot", ["log(-1 - x*x - y*y)", "--x", "x=0:1", "--y", "y=0:1", "--grid", "3"]),
]
CASES += PLOTS

# options that say nothing about JSON: it is DOT instead, or a DOT-only option
NOT_JSON = {"--format", "--dot", "--no-edge-labels", "--help", "--brief", "--rankdir", "--standalone"}  # --brief: JSON is the same; DOT, LaTeX only
# options every command takes that change the values or names in JSON, not its keys: a case each, in any command
SHARED = {"--prefix", "--no-share", "--as-written", "--width", "--ascii", "--max-rows", "--digits", "--file",
          "--shape", "--output"}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("schema")
    prog = folder / "prog.txt"
    prog.write_text("# a program\nz = w*x\ny = sin(z) + z**2\n")
    big = folder / "big.csv"
    big.write_text("x,y\n" + "".join(f"{k % 7},{k % 5}\n" for k in range(2000)))
    path = folder / "descent.json"
    descent = run("descend", "x**2 + y**2", "--at", "3,4", "--steps", "4", "--format", "json")
    assert descent.exit_code == 0, descent.output
    path.write_text(descent.stdout)
    return {"prog": str(prog), "big": str(big), "path": str(path), "png": str(folder / "plot.png")}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry().with_resources((i, Resource(s, DRAFT202012)) for i, s in schemas.load_all().items())


def validator(command: str, registry: Registry) -> Draft202012Validator:
    return Draft202012Validator(schemas.load(command), registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(doc, command: str, registry: Registry) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in validator(command, registry).iter_errors(doc)]


def output(case: Case, files: dict[str, str]) -> dict:
    args = [a.format(**files) if a in ("{prog}", "{big}", "{path}", "{png}") else a for a in case.args]
    result = run(case.command, *args, "--format", "json", input=case.input)
    assert result.exit_code == case.exit, result.output
    return json.loads(result.stdout)


_outputs: dict[tuple[str, str], dict] = {}


def cached(case: Case, files: dict[str, str]) -> dict:
    """A case's output, run once (a copy each time: the tests below break them)."""
    key = case.command, case.label
    if key not in _outputs:
        _outputs[key] = output(case, files)
    return copy.deepcopy(_outputs[key])


# --- the schemas themselves ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", schemas.names())
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.schema.json")
    assert schema["title"] and schema["description"]


def _refs(schema: dict) -> list[str]:
    """Every $ref in a schema, found with an explicit stack."""
    found, stack = [], [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.append(item["$ref"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@pytest.mark.parametrize("name", schemas.names())
def test_every_reference_resolves(name: str, registry: Registry) -> None:
    # a reference no case reaches would fail only when some output does: resolve each one now
    schema = schemas.load(name)
    resolver = registry.resolver(base_uri=schema["$id"])
    refs = _refs(schema)
    assert refs
    for ref in refs:
        assert resolver.lookup(ref).contents is not None, ref


def test_every_shared_definition_is_used() -> None:
    used = set()
    for name in schemas.names():
        for ref in _refs(schemas.load(name)):
            where, _, pointer = ref.partition("#/$defs/")
            if where == "common.schema.json" or (where == "" and name == schemas.COMMON):
                used.add(pointer)
    assert set(schemas.load(schemas.COMMON)["$defs"]) - used == set()


def test_every_command_with_json_output_has_a_schema_and_cases() -> None:
    with_json = []
    for name, command in cli.commands.items():
        (fmt,) = [p for p in command.params if isinstance(p, click.Option) and p.name == "fmt"]
        if "json" in fmt.type.choices:
            with_json.append(name)
            assert schemas.path(name).is_file(), f"gradcli {name} writes JSON: add gradcli/schemas/{name}.schema.json"
    assert set(with_json) == set(schemas.names()) - {schemas.COMMON}, "a schema for a command that has no JSON"
    assert {c.command for c in CASES} == set(with_json), "each command's JSON needs cases here"


def test_the_cases_use_every_option_of_every_command() -> None:
    """A new option is a new family of JSON: give it a case here (the display options once in any command)."""
    used = {c.command: set() for c in CASES}
    for c in CASES:
        used[c.command].update(a for a in c.args if a.startswith("-") and a != "-")
    everywhere = set().union(*used.values())
    missing = []
    for name, command in cli.commands.items():
        for p in command.params:
            if not isinstance(p, click.Option):
                continue
            opts = set(p.opts + p.secondary_opts)
            if opts & NOT_JSON:
                continue
            seen = everywhere if opts & SHARED else used.get(name, set())
            if not opts & seen:
                missing.append(f"{name} {'/'.join(sorted(opts))}")
    assert missing == []


def test_the_cases_reach_every_verdict_and_every_way_to_stop(files: dict[str, str]) -> None:
    checks = [cached(c, files) for c in CASES if c.command == "check"]
    verdicts = schemas.load("check")["$defs"]["verdict"]["enum"]
    assert sorted({d["verdict"] for d in checks}) == sorted(verdicts)
    assert sorted({c["verdict"] for d in checks for c in d["claims"]}) == sorted(verdicts)
    stopped = schemas.load("descend")["properties"]["stopped"]["enum"]
    assert sorted({cached(c, files)["stopped"] for c in CASES if c.command == "descend"}) == sorted(stopped)
    modes = schemas.load("jacobian")["properties"]["mode"]["enum"]
    assert sorted({cached(c, files)["mode"] for c in CASES if c.command == "jacobian"}) == sorted(modes)


# --- every command under every family of options ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[f"{c.command}-{c.label}" for c in CASES])
def test_output_is_valid_against_its_schema(case: Case, files: dict[str, str], registry: Registry) -> None:
    doc = cached(case, files)
    assert doc["command"] == case.command
    assert errors(doc, case.command, registry) == []


def test_the_cases_output_what_their_labels_say(files: dict[str, str]) -> None:
    """The table's cases are the families they are named for, so a valid output is one of that family."""
    by = {(c.command, c.label): c for c in CASES}

    def doc(command: str, label: str) -> dict:
        return cached(by[command, label], files)

    assert [doc("check", k)["verdict"] for k in ("proved", "agrees", "different-at", "undecided")] == [
        "proved", "agrees", "different", "undecided"]
    assert "claim_shape" in doc("check", "arrays-claim-shape")["claims"][0]
    assert "entry" in doc("check", "arrays-entry")["claims"][0]
    assert doc("check", "likely-mistake")["claims"][0]["likely_mistake"]["kind"] == "stopped early"
    assert "derivative_in_steps" in doc("check", "likely-mistake")["claims"][0]
    stops = {label: doc("descend", label)["stopped"] for label in ("plain", "until-grad", "diverged", "undefined")}
    assert stops == {"plain": "steps", "until-grad": "gradient", "diverged": "diverged", "undefined": "undefined"}
    assert any("shortcut" in r for r in doc("reverse", "arrays-cs231n")["array_steps"])
    assert any(r["kind"] == "view" for r in doc("reverse", "arrays-view")["array_steps"])
    assert {r["kind"] for r in doc("reverse", "named-constants")["array_steps"]} >= {"constant", "node"}
    assert "gradient" not in doc("reverse", "arrays-let")["arrays"]["W1"]
    assert doc("hessian", "not-finite")["definiteness"] == "not finite"
    assert doc("hessian", "saddle")["definiteness"] == "indefinite"
    assert doc("gradcheck", "undefined")["rows"][0]["numeric"] is None
    assert doc("gradcheck", "kink")["rows"][0]["reading"] == "crosses a kink"
    assert doc("reverse", "data-columns")["dataset"]["samples"] == 2000
    assert any(n["op"] == "s" for n in doc("forward", "defined-function")["nodes"])
    assert any(n["op"] == "step" for n in doc("reverse", "as-written")["nodes"])
    assert doc("forward", "overflow")["value"] == "inf"
    assert doc("jacobian", "forward-cost")["mode"] == "forward" and "tangents" in doc("jacobian", "forward-cost")
    assert doc("graph", "outputs")["outputs"] == ["s1", "s2"]
    for command in ("forward", "reverse", "hessian", "check"):
        assert doc(command, "time-limit")["time_limit_reached"] is True, command


def test_json_options_for_display_change_nothing(files: dict[str, str]) -> None:
    plain = next(c for c in CASES if c.command == "forward" and c.label == "plain")
    shown = next(c for c in CASES if c.command == "forward" and c.label == "display-options")
    assert cached(plain, files) == cached(shown, files)


@pytest.mark.parametrize("args", [
    ["reverse", "log(x)", "--at", "-1"],
    ["reverse", "x+", "--at", "1"],
    ["forward", "x*y", "--at", "1"],
    ["check", "x**2", "--claim", "2*z"],
    ["descend", "x**2", "--at", "1", "--lr", "-1"],
    ["hessian", "x**2", "--at", "1", "--data", DATA, "--direction", "1"],
])
def test_an_error_writes_no_json(args: list[str]) -> None:
    # errors are text on standard error, exit 1 or 2: there is no JSON error object for a schema to describe
    result = run(*args, "--format", "json")
    assert result.exit_code in (1, 2) and result.stdout == "" and result.stderr.strip()


# --- the schemas can fail --------------------------------------------------------------------------------------

# the keys the JSON contract (DESIGN.md §5, README's JSON output) promises for each command's output
PROMISED = {
    "forward": ["command", "source", "inputs", "point", "nodes", "output", "value", "gradient", "tangents", "warnings"],
    "reverse": ["command", "source", "inputs", "point", "nodes", "output", "value", "gradient", "adjoints", "warnings"],
    "graph": ["command", "source", "inputs", "point", "nodes", "output", "edges", "warnings"],
    "jacobian": ["command", "source", "inputs", "point", "nodes", "output", "outputs", "jacobian", "mode", "warnings"],
    "hessian": ["command", "source", "inputs", "point", "nodes", "output", "value", "gradient", "hessian",
                "eigenvalues", "definiteness", "warnings"],
    "check": ["command", "source", "inputs", "point", "output", "claims", "verdict", "warnings"],
    "gradcheck": ["command", "source", "inputs", "point", "output", "value", "gradient", "rows", "ok", "warnings"],
    "descend": ["command", "source", "inputs", "point", "data", "optimizer", "lr", "momentum", "weight_decay",
                "steps", "until_grad", "rows", "stopped", "final", "warnings"],
    "grade": ["command", "student", "problem", "score", "max", "cells"],
    "plot": ["command", "source", "inputs", "point", "x", "z", "minimum", "warnings"],
    "worksheet": ["command", "key", "problem", "point", "mode", "cells"],
}


def _base(command: str, files: dict[str, str]) -> dict:
    return cached(next(c for c in CASES if c.command == command), files)


@pytest.mark.parametrize("command", sorted(PROMISED))
def test_a_missing_key_or_an_unknown_one_is_invalid(command: str, files: dict[str, str], registry: Registry) -> None:
    doc = _base(command, files)
    assert errors(doc, command, registry) == []
    for key in PROMISED[command]:
        broken = {k: v for k, v in doc.items() if k != key}
        assert errors(broken, command, registry), f"{command} without {key!r} was valid"
    assert errors({**doc, "extra": 1}, command, registry), "an unknown key was valid"
    other = "reverse" if command != "reverse" else "forward"
    assert errors({**doc, "command": other}, command, registry)


# (command, a path into its first case's output, the value put there): each makes the output invalid
BREAKS = [
    ("forward", ["nodes", 0, "extra"], 1),
    ("forward", ["nodes", 0, "value"], "64"),
    ("forward", ["value"], "Infinity"),
    ("forward", ["value"], None),
    ("forward", ["tangents", "x1", "c1"], [1.0]),
    ("forward", ["gradient"], None),  # null only with --direction
    ("forward", ["cost", "sweeps"], -1),
    ("reverse", ["adjoints", "c8"], "one"),
    ("reverse", ["nodes", 0, "args"], "c1"),
    ("reverse", ["nodes"], []),
    ("reverse", ["warnings"], [3]),
    ("reverse", ["point"], None),
    ("reverse", ["tangents"], {}),
    ("graph", ["edges", 0, "value"], 1.0),  # a number without a point
    ("graph", ["edges", 0, "extra"], 1),
    ("graph", ["nodes", 0, "value"], 1.0),
    ("jacobian", ["mode"], "sideways"),
    ("jacobian", ["gradient"], {"x": 1.0}),
    ("hessian", ["definiteness"], "convex"),
    ("hessian", ["critical_point"], "no"),
    ("hessian", ["direction"], {"x": 1.0, "y": 0.0}),  # both the matrix and H·d
    ("check", ["verdict"], "maybe"),
    ("check", ["claims", 0, "verdict"], "maybe"),
    ("check", ["claims", 0, "extra"], 1),
    ("check", ["claims", 0, "point"], {"x": 1.0}),  # a proved claim has no point
    ("check", ["claims"], []),
    ("gradcheck", ["rows", 0, "reading"], "excellent"),
    ("gradcheck", ["rows", 0, "numeric"], None),  # without a relative error of null too
    ("gradcheck", ["method"], "forward difference"),
    ("gradcheck", ["ok"], "yes"),
    ("descend", ["stopped"], "bored"),
    ("descend", ["rows", 0, "update"], None),  # two rows without an update
    ("descend", ["rows", 0, "momentum"], {"x": 1.0}),  # momentum with sgd
    ("descend", ["optimizer"], "rmsprop"),
    ("descend", ["gamma"], 0.9),  # gamma without adam
    ("descend", ["lr"], 0),
    ("descend", ["final", "extra"], 1),
    ("worksheet", ["cells", 0, "kind"], "hessian"),
    ("worksheet", ["cells", 0, "given"], True),  # a given cell has its value
    ("worksheet", ["cells", 0, "rule"], "exp(c1)"),  # a rule on a sheet that gives none
    ("worksheet", ["cells"], []),
    ("worksheet", ["given"], ["answers"]),
    ("worksheet", ["seed"], -1),
]


@pytest.mark.parametrize("command, where, value", BREAKS, ids=[f"{c}-{'/'.join(map(str, w))}-{v!r}"
                                                                for c, w, v in BREAKS])
def test_a_wrong_value_is_invalid(command: str, where: list, value, files: dict[str, str],
                                  registry: Registry) -> None:
    doc = _base(command, files)
    assert errors(doc, command, registry) == []
    item = doc
    for step in where[:-1]:
        item = item[step]
    item[where[-1]] = value
    assert errors(doc, command, registry), f"{command} with {'/'.join(map(str, where))} = {value!r} was valid"


def test_non_finite_numbers_are_the_three_strings(registry: Registry, files: dict[str, str]) -> None:
    doc = _base("reverse", files)
    for text in ("inf", "-inf", "nan"):
        assert errors({**doc, "value": text}, "reverse", registry) == []
    for text in ("Infinity", "NaN", "INF", "1.0"):
        assert errors({**doc, "value": text}, "reverse", registry), text


# --- the package ---------------------------------------------------------------------------------------------


def test_the_accessor() -> None:
    assert schemas.path("reverse").name == "reverse.schema.json"
    assert schemas.load("check")["properties"]["command"] == {"const": "check"}
    assert set(schemas.load_all()) == {schemas.load(n)["$id"] for n in schemas.names()}
    with pytest.raises(ValueError, match="no JSON schema for 'nope'"):
        schemas.path("nope")
    code = "import sys, gradcli.schemas as s; s.load_all(); print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr


def test_the_schemas_are_package_data() -> None:
    """pyproject.toml ships every schema file; where gradcli is installed from a wheel (not editable), they are
    installed, byte for byte."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^\[tool\.setuptools\.package-data\]\n(.*?)(?:^\[|\Z)", text, re.S | re.M)
    assert block, "pyproject.toml has no [tool.setuptools.package-data]"
    patterns = re.findall(r'"([^"]+)"', re.search(r"^gradcli\s*=\s*\[(.*?)\]", block.group(1), re.M).group(1))
    files = sorted(p.relative_to(ROOT / "gradcli") for p in (ROOT / "gradcli" / "schemas").glob("*.json"))
    assert len(files) == len(schemas.names())
    for f in files:
        assert any(f.match(p) for p in patterns), f"{f} is not package data"
    # an egg-info a build left in the checkout is on the path from its root, and is not the installed copy
    found = [d for d in metadata.distributions(name="gradcli")
             if not Path(str(getattr(d, "_path", ""))).resolve().is_relative_to(ROOT.resolve())]
    if not found:
        return
    dist = found[0]
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable"):
        return  # an editable install reads the checkout itself
    installed = {str(f): f for f in dist.files or [] if str(f).startswith("gradcli/schemas/")}
    for f in files:
        record = installed.get(f"gradcli/{f.as_posix()}")
        assert record is not None, f"the installed gradcli has no {f}"
        assert Path(record.locate()).read_bytes() == (ROOT / "gradcli" / f).read_bytes(), f
