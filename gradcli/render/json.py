"""JSON output, the stable contract of DESIGN.md §5, written node by node (no giant strings)."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring as _string  # the C encoder json.dumps uses for strings
from typing import TextIO

from ..core.graph import OP_NAMES, Notes, template, texts
from ..core.ops import OPS
from ..engine.trace import Trace

_float = float.__repr__  # what json.dumps writes for a float


def number(x: float) -> float | str:
    """A JSON number, or "inf", "-inf", "nan" for what JSON cannot hold."""
    if math.isfinite(x):
        return float(x) + 0.0  # -0.0 + 0.0 is 0.0: no "-0.0" in the output
    return "nan" if x != x else ("inf" if x > 0 else "-inf")


def op_name(name: str) -> str:
    """An op as JSON names it: the op table's name; a function the program defines by its own name (s, for the
    op s#2 of a second definition of s); a step kept as written (--as-written) as "step"."""
    spec = OPS.get(name)
    if spec is None or not spec.defined:
        return name
    return "step" if spec.inline is not None else spec.names[0]


def _num(x: float) -> str:
    """``number(x)`` as JSON text, without a call into json.dumps per number."""
    if x - x == 0:  # finite
        return _float(float(x) + 0.0)
    return '"nan"' if x != x else ('"inf"' if x > 0 else '"-inf"')


def _dump(x) -> str:
    return json.dumps(x, ensure_ascii=False, allow_nan=False)


def _nums(xs) -> list[str]:
    """``_num`` of each value. Where their sum is finite every value is, and floats are written with no test."""
    try:
        if math.isfinite(sum(xs)):
            texts = list(map(_float, xs))
            if "-0.0" in texts:  # a test at C speed; the rare list with a negative zero is mended
                texts = ["0.0" if t == "-0.0" else t for t in texts]
            return texts
    except TypeError:  # a value that is an int
        pass
    return ["0.0" if x == 0 and type(x) is float else _float(x) if type(x) is float and x - x == 0 else _num(x)
            for x in xs]


def _map(keys: list[str], xs, out: TextIO) -> None:
    out.write("{")
    out.write(", ".join([f"{k}: {v}" for k, v in zip(keys, _nums(xs))]))
    out.write("}")


_CHUNK = 2048  # nodes written at a time


def _nodes(trace: Trace, ids: list[str], out: TextIO) -> list[str]:
    """The nodes, a line each, made straight from the graph's columns and written in chunks; returns each node's
    definition text."""
    graph = trace.graph
    codes, starts, flat, raw = graph.codes, graph.starts, graph.flat, graph.ids
    n = len(codes)
    values = None if trace.values is None else _nums(trace.values)
    ops = [f'"op": {_string(op_name(name))}' for name in OP_NAMES]
    lo, hi = len(graph.names), graph.leaves
    one, two = texts(1), texts(2)  # per op code, its text with one or two operands
    expr = graph.expr
    lines = []
    made: list[str] = []
    sep = "\n    "
    for i in range(n):
        code = codes[i]
        s, e = starts[i], starts[i + 1]
        if code == 0:
            args = ""
            text = graph.leaf_name(i)
            op = '"op": "constant"' if lo <= i < hi else ops[0]  # --let, --data
        else:
            op = ops[code]
            if e - s == 2 and flat[s] < n and flat[s + 1] < n:
                a, b = flat[s], flat[s + 1]
                args = ids[a] + ", " + ids[b]
                text = (two[code] or template(code, 2)).format(raw[a], raw[b])
            elif e - s == 1 and flat[s] < n:
                a = flat[s]
                args = ids[a]
                text = (one[code] or template(code, 1)).format(raw[a])
            else:
                args = ", ".join([ids[a] for a in flat[s:e] if a < n])
                text = expr(i)
        value = "" if values is None else ', "value": ' + values[i]
        made.append(text)
        lines.append(f'{sep}{{"id": {ids[i]}, {op}, "args": [{args}], "expr": {_string(text)}{value}}}')
        sep = ",\n    "
        if len(lines) == _CHUNK:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
    return made


def write(trace: Trace, out: TextIO) -> None:
    numbers = not trace.symbols_only  # --symbolic without --at: the forms alone, no numbers of a point not given
    if not numbers:
        trace = trace._replace(point=None, values=None, gradient=None, adjoints=None, warnings=[])
    graph = trace.graph
    nodes = graph.nodes
    ids = [_string(x) for x in graph.ids]
    values = trace.values
    head = {
        "command": trace.command,
        "source": graph.source,
        "inputs": list(graph.names),
        "input_ids": [nodes[i].id for i in graph.inputs],
        "point": None if trace.point is None else {n: number(trace.point[n]) for n in graph.names},
        "constants": {c: number(v) for c, v in graph.constants},
        **({"data": {n: number(trace.point[n]) for n in graph.data_names}}
           if graph.data_names and trace.point is not None else {}),
        "op_nodes": graph.op_count,
    }
    out.write("{\n")
    for k, v in head.items():
        out.write(f"  {_dump(k)}: {_dump(v)},\n")
    out.write('  "nodes": [')
    made = _nodes(trace, ids, out)
    out.write("\n  ],\n")
    tail: dict = {"output": nodes[graph.output].id}
    if trace.summed is not None:  # --data: the answer is the loss's, the total the tables end with
        s = trace.summed
        tail["value"] = number(s.total)
        tail["gradient"] = {n: number(v) for n, v in s.gradient.items()}
        tail["sample"] = {"row": s.row + 1, "line": s.table.lines[s.row], "value": number(values[graph.output]),
                          "gradient": {n: number(v) for n, v in trace.gradient.items()}}
    else:
        if values is not None:
            tail["value"] = number(values[graph.output])
        if trace.command != "graph" or trace.gradient is not None:
            tail["gradient"] = None if trace.gradient is None else {n: number(v) for n, v in trace.gradient.items()}
    if trace.command == "graph":
        tail["edges"] = _edges(trace)
    if graph.arrays:
        tail["arrays"] = _arrays(trace)
    if graph.steps and values is not None:
        steps = _array_steps(trace)
        if steps is not None:
            tail["array_steps"] = steps
    if trace.cost is not None:
        c = trace.cost
        tail["cost"] = {"sweeps": c.sweeps, "products": c.products, "edges": c.edges}
    if trace.directional is not None:
        tail["direction"] = {n: number(v) for n, v in zip(graph.names, trace.sweeps[0].seed)}
        tail["directional_derivative"] = number(trace.directional)
    if len(graph.outputs) > 1 or trace.jacobian is not None:
        tail["outputs"] = [nodes[o].id for o in graph.outputs]
    if trace.jacobian is not None:
        tail["jacobian"] = {nodes[o].id: {n: number(v) for n, v in zip(graph.names, row)}
                            for o, row in zip(graph.outputs, trace.jacobian)}
        tail["mode"] = "forward" if trace.sweeps else "reverse"
    if trace.second:
        _second(trace, tail)
        s = trace.summed
        if s is not None and s.hessian is not None and "hessian" in tail:  # the loss's, the sample's in "sample"
            for key in ("hessian", "eigenvalues", "definiteness", "critical_point"):
                if key in tail:
                    tail["sample"][key] = tail.pop(key)
            tail["hessian"] = {r: {c: number(v) for c, v in zip(s.names, row)} for r, row in zip(s.names, s.hessian)}
            tail["eigenvalues"] = [number(v) for v in s.curvature.eigenvalues]
            tail["definiteness"] = s.curvature.kind
            tail["critical_point"] = s.curvature.critical
    if trace.exact is not None and not trace.second:
        tail["exact"] = _exact(trace)
    if trace.symbolic is not None:
        tail["symbolic"] = _symbolic(trace)
    if trace.numeric_rows:  # --time-limit reached: the forms sympy did not finish, by their paths here
        tail["time_limit_reached"] = True
        tail["numeric_rows"] = list(trace.numeric_rows)
    for k, v in tail.items():
        out.write(f"  {_dump(k)}: {_dump(v)},\n")
    if trace.summed is not None:
        _samples(trace, out)
    held = set(graph.data)  # constants: no tangent, no adjoint
    if numbers and (trace.command == "forward" or trace.sweeps):  # graph --at: with --wrt or --tangents
        out.write('  "tangents": {')
        shown = [j for j in range(len(nodes)) if j not in held]
        for n, s in enumerate(trace.sweeps):
            out.write(("\n    " if n == 0 else ",\n    ") + f"{_dump(s.label)}: ")
            _map([ids[j] for j in shown], [s.tangents[j] for j in shown], out)
        out.write("\n  },\n")
    if trace.adjoints is not None:
        # from the output back, the order of the reverse sweep
        order = [j for j in list(range(graph.output, -1, -1)) + list(range(graph.output + 1, len(nodes)))
                 if j not in held]
        out.write('  "adjoints": ')
        adjoints = trace.adjoints
        _map([ids[j] for j in order], [adjoints[j] for j in order], out)
        out.write(",\n")
    out.write('  "warnings": [')
    warnings = trace.warnings
    if isinstance(warnings, Notes):  # a long program's steps that do not affect the output have a note each
        chunks = warnings.chunks(_CHUNK, made if warnings.graph is graph else None)
    else:
        chunks = (warnings[k:k + _CHUNK] for k in range(0, len(warnings), _CHUNK))
    sep = ""
    for chunk in chunks:
        if chunk:
            out.write(sep + ", ".join(map(_string, chunk)))
            sep = ", "
    out.write("]\n")
    out.write("}\n")


def _arrays(trace: Trace) -> dict:
    """The inputs that are arrays: each one's shape (a vector's is its length), its entries' names, and its
    value and gradient as nested lists (a vector's a flat list), row by row."""
    from ..core.arrays import entry_names

    out: dict = {}
    for name, (m, n) in trace.graph.arrays.items():
        entries = entry_names(name, (m, n))

        def nested(get) -> list:
            flat = [number(get(e)) for e in entries]
            return flat if n == 1 else [flat[i * n:(i + 1) * n] for i in range(m)]

        item: dict = {"shape": [m] if n == 1 else [m, n], "entries": entries}
        if trace.point is not None:
            item["value"] = nested(trace.point.__getitem__)
        if trace.gradient is not None and entries[0] in trace.gradient:
            item["gradient"] = nested(trace.gradient.__getitem__)
        out[name] = item
    return out


def _array_steps(trace: Trace) -> list | None:
    """The rows of the tables at the sheet's level, in evaluation order: each array (and each number not an
    array's entry) with its name, shape, kind, definition, entries' node ids, value, and in reverse mode its
    adjoint and one rule per term, as the ASCII tables print them (``h_bar * step(c1)``, ``ones`` for 𝟙)."""
    from ..engine.arrayview import array_view

    view = array_view(trace)
    if view is None:
        return None
    nodes = trace.graph.nodes

    def nested(flat, shape) -> list | float | str:
        flat = [number(v) for v in flat]
        if shape is None:
            return flat[0]
        m, n = shape
        return flat if n == 1 else [flat[i * n:(i + 1) * n] for i in range(m)]

    moving: dict[str, dict] = {}  # row name -> sweep label -> (rule, tangent)
    if trace.sweeps and trace.command in ("forward", "graph"):  # not the Hessian's sweeps, one per input
        from ..engine.arrayview import tangents_of

        rows_of = tangents_of(trace, view)
        for sweep in trace.sweeps:
            for t in rows_of(sweep):
                moving.setdefault(t.row.name, {})[sweep.label] = t
    rows = []
    for r in view.rows:
        item: dict = {"name": r.name, "shape": None if r.shape is None else [r.shape[0]] if r.shape[1] == 1
                      else list(r.shape), "kind": r.kind,
                      "definition": None if r.definition is None else _ascii(r.definition),
                      "entries": [nodes[e].id if type(e) is int else number(e.value) for e in r.entries],
                      "value": nested(r.value, r.shape)}
        if r.adjoint is not None:
            item["adjoint"] = nested(r.adjoint, r.shape)
            item["seed"] = r.seed
            item["terms"] = [{"rule": _ascii(rule), "contribution": nested(c, r.shape)} for rule, _, c in r.terms]
            if r.shortcut is not None:
                item["shortcut"] = _ascii(r.shortcut)
        if r.name in moving:  # forward mode: per sweep, the tangent's rule (None: a seed) and its entries
            item["tangents"] = {label: {"rule": None if t.rule is None else _ascii(t.rule),
                                        "tangent": nested(t.tangent, r.shape)} for label, t in moving[r.name].items()}
        rows.append(item)
    return rows


def _edges(trace: Trace) -> list[dict]:
    """Each edge of the graph, operand to node: its local partial's rule in the nodes' names and its value at
    the point (null without one)."""
    from ..core.printer import PLAIN

    graph = trace.graph
    nodes, ids = graph.nodes, graph.ids
    partials = trace.partials
    edges = []
    for i in range(graph.leaves, len(nodes)):
        for k, a in enumerate(nodes[i].args):
            if type(a) is int and not graph.is_held(a):
                edges.append({"from": ids[a], "to": ids[i], "rule": PLAIN.text(graph.rule(i, k)),
                              "value": None if partials is None else number(partials[i][k])})
    return edges


def _ascii(e) -> str:
    from ..core.printer import TextStyle

    return TextStyle(unicode=False).text(e)


def _samples(trace: Trace, out: TextIO) -> None:
    """--data: the file, every sample's loss and gradient (a line each), and the total. The nodes, values and
    adjoints above are of the one sample ``dataset.row``."""
    s = trace.summed
    t = s.table
    dataset = {"source": t.source, "columns": list(t.columns), "used": list(s.used), "samples": len(t.rows),
               "row": s.row + 1, "line": t.lines[s.row], "reduce": s.reduce}
    out.write(f'  "dataset": {_dump(dataset)},\n')
    out.write('  "samples": [')
    names = [_string(n) for n in s.names]
    index = [t.columns.index(c) for c in s.used]
    from ..engine.data import chunk

    columns = [_string(t.columns[c]) for c in index]
    size = 4096  # the samples are written a chunk at a time, each number of a column by one call
    for start in range(0, len(s.values), size):
        end = min(start + size, len(s.values))
        data = list(zip(*chunk(t.rows, start, end)))
        data = [[f"{c}: {v}" for v in _nums(data[k])] for c, k in zip(columns, index)]
        grads = list(zip(*chunk(s.gradients, start, end)))
        grads = [[f"{n}: {v}" for v in _nums(grads[k])] for k, n in enumerate(names)]
        lines = [f'{{"row": {r + 1}, "line": {t.lines[r]}, "data": {{{", ".join(d)}}}, "value": {v}, '
                 f'"gradient": {{{", ".join(g)}}}}}'
                 for r, d, v, g in zip(range(start, end), zip(*data), _nums(s.values[start:end]), zip(*grads))]
        out.write(("\n    " if start == 0 else ",\n    ") + ",\n    ".join(lines))
    out.write("\n  ],\n")
    total = {"value": number(s.total), "gradient": {n: number(v) for n, v in s.gradient.items()}}
    if s.hessian is not None:
        total["hessian"] = {r: {c: number(v) for c, v in zip(s.names, row)} for r, row in zip(s.names, s.hessian)}
        total["eigenvalues"] = [number(v) for v in s.curvature.eigenvalues]
        total["definiteness"] = s.curvature.kind
    out.write(f'  "total": {_dump(total)},\n')


def _second(trace: Trace, tail: dict) -> None:
    """hessian: the matrix (or the Hessian times d), what its eigenvalues say, and its forms in symbols."""
    graph = trace.graph
    labels = [s.label for s in trace.second]
    if trace.hessian is not None:
        tail["hessian"] = {r: {c: number(v) for c, v in zip(labels, row)} for r, row in zip(labels, trace.hessian)}
        c = trace.curvature
        tail["eigenvalues"] = [number(v) for v in c.eigenvalues]
        tail["definiteness"] = c.kind
        tail["critical_point"] = c.critical
    else:
        s = trace.second[0]
        tail["direction"] = {n: number(v) for n, v in zip(graph.names, s.seed)}
        tail["hessian_vector"] = {n: number(s.adjoint_tangents[i]) for i, n in zip(graph.inputs, graph.names)}
    # once, not once per sweep: 200 inputs are 200 sweeps; a held constant has no adjoint, so no tangent of one
    ids = [(j, n.id) for j, n in enumerate(graph.nodes) if not graph.is_held(j)]
    tail["adjoint_tangents"] = {s.label: {i: number(s.adjoint_tangents[j]) for j, i in ids} for s in trace.second}
    forms = trace.forms
    if forms is not None and forms.matrix is not None:
        tail["symbolic"] = {"hessian": [[_text(e) for e in row] for row in forms.matrix],
                            "trace": _text(forms.trace), "determinant": _text(forms.determinant)}
        if forms.vector is not None:
            tail["symbolic"]["hessian_vector"] = {n: _text(e) for n, e in zip(graph.names, forms.vector)}
    if forms is not None and forms.exact is not None:
        tail["exact"] = {"hessian": [[_text(e) for e in row] for row in forms.exact],
                         "eigenvalues": [_text(e) for e in forms.eigenvalues or []]}
        if forms.exact_vector is not None:
            tail["exact"]["hessian_vector"] = {n: _text(e) for n, e in zip(graph.names, forms.exact_vector)}


def _text(e) -> str:
    from ..core.printer import PLAIN

    return PLAIN.text(e)


def _exact(trace: Trace) -> dict:
    """--exact: every exact number as text in gradcli's own language (e**2, -log(2)/2, 3/4)."""
    from ..exact.symbolic import from_sympy

    e, ids = trace.exact, [n.id for n in trace.graph.nodes]
    out: dict = {"values": {i: _text(from_sympy(v)) for i, v in zip(ids, e.values) if v is not None},
                 "gradient": {n: _text(from_sympy(v)) for n, v in e.gradient.items()}}
    if e.values[trace.graph.output] is not None:  # None: left numeric at --time-limit (numeric_rows says so)
        out = {"value": _text(from_sympy(e.values[trace.graph.output])), **out}
    graph = trace.graph
    moving = [j for j in range(len(ids)) if not graph.is_held(j)]  # a held constant: no tangent, no adjoint
    if e.adjoints is not None:
        out["adjoints"] = {ids[j]: _text(from_sympy(e.adjoints[j])) for j in moving if e.adjoints[j] is not None}
    if e.tangents:
        out["tangents"] = {label: {ids[j]: _text(from_sympy(vs[j])) for j in moving if vs[j] is not None}
                           for label, vs in e.tangents.items()}
    return out


def _symbolic(trace: Trace) -> dict:
    """--symbolic: each row's forms, in the nodes' names then in the inputs, as text in gradcli's language."""
    s, nodes = trace.symbolic, trace.graph.nodes
    out: dict = {"gradient": {n: [_text(f) for f in forms] for n, forms in s.gradient.items()},
                 "values": {nodes[i].id: _text(v) for i, v in s.values.items()}}
    rows: dict = {}
    for (label, i), forms in s.rows.items():
        rows.setdefault("adjoints" if label == "adjoint" else "tangents", {})
        if label == "adjoint":
            rows["adjoints"][nodes[i].id] = [_text(f) for f in forms]
        else:
            rows["tangents"].setdefault(label, {})[nodes[i].id] = [_text(f) for f in forms]
    out.update(rows)
    return out


def write_descent(d, out: TextIO) -> None:
    """``descend``: the settings, a row per step, and where it ended; the numbers as every other command has them."""
    graph = d.graph
    rows = []
    for s in d.rows:
        row = {"t": s.t, "params": dict(zip(d.names, map(number, s.params))), "loss": number(s.loss),
               "gradient": dict(zip(d.names, map(number, s.gradient)))}
        if s.lookahead is not None:
            row["lookahead"] = dict(zip(d.names, map(number, s.lookahead)))
        if s.momentum is not None:
            row["momentum"] = dict(zip(d.names, map(number, s.momentum)))
        if s.second is not None:
            row["second_moment"] = dict(zip(d.names, map(number, s.second)))
        row["update"] = None if s.update is None else dict(zip(d.names, map(number, s.update)))
        if s.batch:
            row["samples"] = list(s.batch)
        rows.append(row)
    end = d.rows[-1]
    doc = {"command": "descend", "source": graph.source, "inputs": list(d.names),
           "point": {n: number(d.point[n]) for n in d.names},
           "data": {n: number(d.point[n]) for n in graph.data_names if n in d.point},
           "optimizer": d.optimizer, "lr": d.lr, "momentum": d.momentum, "weight_decay": d.decay, "steps": d.steps,
           "until_grad": d.until}
    if d.optimizer == "adam":
        doc.update({"gamma": d.gamma, "epsilon": d.epsilon})
    if d.table is not None:
        t = d.table
        doc["dataset"] = {"source": t.source, "columns": list(t.columns), "samples": len(t.rows), "reduce": d.reduce,
                          "batch": d.batch, "shuffle": d.shuffle}
    doc.update({"rows": rows, "stopped": d.stopped,
                "final": {"params": dict(zip(d.names, map(number, end.params))), "loss": number(end.loss),
                          "gradient_norm": number(end.norm)},
                "warnings": list(d.warnings)})
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _mistake(m, graph, wrt: str) -> dict:
    """A claim's likely slip: its kind, the factor, term or step it names, and the sentence the table prints."""
    from ..core.printer import PLAIN
    from ..exact.why import says

    return {"kind": m.kind, "factor": None if m.factor is None else _text(m.factor),
            "term": None if m.term is None else _text(m.term), "step": m.node,
            "says": "".join(p if isinstance(p, str) else PLAIN.text(p) for p in says(m, graph, wrt))}


def write_check(checked, out: TextIO) -> None:
    """``check``: the function, and per claim the derivative, the verdict and where it was decided."""
    graph = checked.graph
    claims = []
    for v in checked.verdicts:
        item = {"wrt": v.wrt, "claim": _text(v.claim), "derivative": _text(v.truth), "verdict": v.status,
                "points_agreed": v.agreed}
        if v.in_steps is not None:
            item["derivative_in_steps"] = _text(v.in_steps)
        if v.shape is not None:  # an array: its shape, the derivative's entries as nested lists
            m, n = v.shape
            item["shape"] = [m] if n == 1 else [m, n]
            if v.timed_out and not v.truth.args:  # not found in time: each entry says so
                rows = [_text(v.truth)] * m if n == 1 else [[_text(v.truth)] * n for _ in range(m)]
            else:
                rows = [_text(e) for e in v.truth.args] if n == 1 else [[_text(e) for e in r.args]
                                                                        for r in v.truth.args]
            item["derivative"] = rows
            if v.truth_at is not None:
                flat = [None if x is None else number(x) for x in v.truth_at]
                item["derivative_at_point"] = flat if n == 1 else [flat[i * n:(i + 1) * n] for i in range(m)]
        if v.status == "different" and v.shapes is not None:
            rows, cols = v.shapes[0]  # as "shape" is written: a vector's [n]
            item["claim_shape"] = [rows] if cols == 1 else [rows, cols]
        elif v.status in ("different", "agrees"):
            item.update({"point": v.point, "claim_value": number(v.claim_value),
                         "derivative_value": number(v.truth_value)})
            if v.entry is not None:
                item["entry"] = v.entry
            if v.likely is not None:
                item["likely_mistake"] = _mistake(v.likely, graph, v.wrt)
        claims.append(item)
    doc = {"command": "check", "source": graph.source, "inputs": list(graph.names),
           "point": None if checked.at is None else {n: number(v) for n, v in dict(checked.at).items()},
           "output": graph.function, "claims": claims, "verdict": checked.verdict,
           "warnings": list(checked.warnings)}
    if checked.time_limit_reached:
        doc["time_limit_reached"] = True
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def write_gradcheck(checked, out: TextIO) -> None:
    """``gradcheck``: the point, then per input the step, the analytic and numeric partials, their relative
    error and its reading; ``ok`` false where one is probably wrong."""
    graph = checked.graph
    rows = [{"input": r.name, "x": number(r.x), "h": number(r.h), "analytic": number(r.analytic),
             "reverse": number(r.reverse), "numeric": None if r.numeric is None else number(r.numeric),
             "relative_error": None if r.error is None else number(r.error), "reading": r.reading,
             "kinks": list(r.kinks)} for r in checked.rows]
    doc = {"command": "gradcheck", "source": graph.source, "inputs": list(graph.names),
           "point": {n: number(v) for n, v in checked.point.items()}, "output": graph.function,
           "value": number(checked.value), "gradient": {r.name: number(r.reverse) for r in checked.rows},
           "analytic": "claim" if checked.claimed else "reverse", "method": "central difference",
           "rows": rows, "ok": checked.ok, "warnings": list(checked.warnings)}
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
