"""JSON output, the stable contract of DESIGN.md §5, written node by node (no giant strings)."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring as _string  # the C encoder json.dumps uses for strings
from typing import TextIO

from ..trace import Trace

_float = float.__repr__  # what json.dumps writes for a float


def number(x: float) -> float | str:
    """A JSON number, or "inf", "-inf", "nan" for what JSON cannot hold."""
    if math.isfinite(x):
        return float(x)
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


def _num(x: float) -> str:
    """``number(x)`` as JSON text, without a call into json.dumps per number."""
    if x - x == 0:  # finite
        return _float(float(x))
    return '"nan"' if x != x else ('"inf"' if x > 0 else '"-inf"')


def _dump(x) -> str:
    return json.dumps(x, ensure_ascii=False, allow_nan=False)


def _map(keys: list[str], xs, out: TextIO) -> None:
    out.write("{")
    out.write(", ".join(f"{k}: {_num(x)}" for k, x in zip(keys, xs)))
    out.write("}")


def write(trace: Trace, out: TextIO) -> None:
    graph = trace.graph
    nodes = graph.nodes
    ids = [_string(n.id) for n in nodes]
    values = trace.values
    head = {
        "command": trace.command,
        "source": graph.source,
        "inputs": list(graph.names),
        "input_ids": [nodes[i].id for i in graph.inputs],
        "point": None if trace.point is None else {n: number(v) for n, v in trace.point.items()},
        "constants": {c: number(v) for c, v in graph.constants},
        "op_nodes": graph.op_count,
    }
    out.write("{\n")
    for k, v in head.items():
        out.write(f"  {_dump(k)}: {_dump(v)},\n")
    out.write('  "nodes": [')
    sep = "\n    "
    expr = graph.expr
    for i, node in enumerate(nodes):
        args = ", ".join(ids[a] for a in node.args if type(a) is int)
        value = f', "value": {_num(values[i])}' if values is not None else ""
        out.write(f'{sep}{{"id": {ids[i]}, "op": "{node.op}", "args": [{args}], "expr": {_string(expr(i))}{value}}}')
        sep = ",\n    "
    out.write("\n  ],\n")
    tail: dict = {"output": nodes[graph.output].id}
    if values is not None:
        tail["value"] = number(values[graph.output])
    if trace.command != "graph" or trace.gradient is not None:
        tail["gradient"] = None if trace.gradient is None else {n: number(v) for n, v in trace.gradient.items()}
    if trace.cost is not None:
        c = trace.cost
        tail["cost"] = {"sweeps": c.sweeps, "products": c.products, "edges": c.edges}
    if trace.directional is not None:
        tail["direction"] = {n: number(v) for n, v in zip(graph.names, trace.sweeps[0].seed)}
        tail["directional_derivative"] = number(trace.directional)
    for k, v in tail.items():
        out.write(f"  {_dump(k)}: {_dump(v)},\n")
    if trace.command == "forward" or trace.sweeps:  # graph --at has tangents when --wrt or --tangents asks
        out.write('  "tangents": {')
        for n, s in enumerate(trace.sweeps):
            out.write(("\n    " if n == 0 else ",\n    ") + f"{_dump(s.label)}: ")
            _map(ids, s.tangents, out)
        out.write("\n  },\n")
    if trace.adjoints is not None:
        # from the output back, the order of the reverse sweep
        order = list(range(graph.output, -1, -1)) + list(range(graph.output + 1, len(nodes)))
        out.write('  "adjoints": ')
        _map([ids[j] for j in order], [trace.adjoints[j] for j in order], out)
        out.write(",\n")
    out.write(f'  "warnings": {_dump(list(trace.warnings))}\n')
    out.write("}\n")
