"""The package's layers import one way, with no cycle, counting the imports made inside functions:
limits (every bound) <- core (expression, op table, parser, graph) <- engine (evaluation and sweeps) <-
exact (sympy only); result <- render; api <- engine, exact, result; cli <- api, render."""

from __future__ import annotations

import ast
from pathlib import Path

import gradcli
from gradcli import api

PACKAGE = Path(gradcli.__file__).parent

# what each layer may import of gradcli's own modules (itself always)
ALLOWED = {
    "gradcli.errors": set(),
    "gradcli.limits": {"gradcli.errors"},
    "gradcli.core": {"gradcli.errors", "gradcli.limits"},
    "gradcli.engine": {"gradcli.errors", "gradcli.limits", "gradcli.core"},
    "gradcli.exact": {"gradcli.errors", "gradcli.limits", "gradcli.core", "gradcli.engine"},
    "gradcli.render": {"gradcli.errors", "gradcli.core", "gradcli.engine", "gradcli.exact"},
    "gradcli.result": {"gradcli.errors", "gradcli.core", "gradcli.render"},
    "gradcli.api": {"gradcli.errors", "gradcli.limits", "gradcli.core", "gradcli.engine", "gradcli.exact",
                    "gradcli.render", "gradcli.result"},
    "gradcli.cli": {"gradcli", "gradcli.errors", "gradcli.limits", "gradcli.api", "gradcli.render"},
    "gradcli.__main__": {"gradcli.cli"},
    "gradcli": {"gradcli.api", "gradcli.errors"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every gradcli module this one imports, at its top or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # "from . import document" imports a module; "from .ops import OPS" a name of one
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def layer(name: str) -> str:
    for prefix in sorted(ALLOWED, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    raise AssertionError(f"{name} is in no layer")


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports, found without recursion (an explicit stack), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in sorted(edges):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(edges[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges[nxt])))
    return None


def test_the_import_graph_is_read_whole():
    edges = graph()
    assert "gradcli.core.rules" in edges["gradcli.engine.trace"]  # a top-level import
    assert "gradcli.exact.symbolic" in edges["gradcli.api"]  # one inside a function, kept off the common path
    assert "gradcli.render.document" in edges["gradcli.render"]  # "from . import document"


def test_no_module_imports_itself_through_others():
    assert cycle(graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for name, targets in graph().items():
        mine = layer(name)
        for t in targets:
            theirs = layer(t)
            if theirs != mine and theirs not in ALLOWED[mine]:
                wrong.append(f"{name} imports {t}")
    assert wrong == []


def test_the_api_names_are_the_functions_not_modules_of_the_same_name():
    # importing every submodule must not shadow gradcli.check, gradcli.descend or gradcli.graph
    import importlib

    for name in modules():
        if name != "gradcli.__main__":  # that one runs the command line
            importlib.import_module(name)
    for command in ("forward", "reverse", "graph", "jacobian", "hessian", "check", "descend"):
        assert getattr(gradcli, command) is getattr(api, command)
