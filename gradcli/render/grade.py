"""``gradcli grade``: the graded table, its JSON, and a gradebook row (CSV). Reads the grading record
(gradcli/engine/grade.py); computes nothing."""

from __future__ import annotations

import csv
import io
import json
from typing import TextIO

from ..core.printer import PLAIN, TextStyle
from ..engine.grade import Graded, show, spoken
from .json import number

GRADEBOOK = ["student", "score", "max", "charged", "follows", "missing", "unknown"]


def _points(x: float) -> str:
    return show(round(x, 6))


def _plain(parts: tuple | None) -> str | None:
    """A line of feedback as JSON holds it: rules in gradcli's plain text (c7_bar*3*c6**2), as every JSON."""
    return None if parts is None else spoken(parts, PLAIN)


def _value(x):
    """A cell's number, or an array cell's entries as nested lists (a blank entry null)."""
    if isinstance(x, tuple):
        return [_value(v) for v in x]
    return None if x is None else number(x)


def to_dict(g: Graded) -> dict:
    graph = g.graph
    cells = [{"id": c.id, "label": c.label, "kind": c.kind, "sweep": c.sweep, "line": c.line,
              "student": _value(c.student), "expected_own": _value(c.expected_own), "key": _value(c.key),
              "verdict": c.verdict,
              "error": c.error, "feedback": _plain(c.says), "follows": c.follows, "note": _plain(c.noted),
              "rule_check": c.rule_check,
              "points": round(c.points, 9), "max_points": round(c.max_points, 9)} for c in g.cells]
    return {"command": "grade", "student": g.student,
            "problem": {"source": graph.source, "mode": g.mode, "inputs": list(graph.names),
                        "point": {n: number(v) for n, v in g.point.items()}, "output": graph.function,
                        "sweeps": list(g.sweeps)},
            "mapping": dict(g.mapping), "matched_by_definition": list(g.matched),
            "score": round(g.score, 9), "max": round(g.max, 9), "follow_through": g.follow_through,
            "cells": cells,
            "unknown": [{"line": ln, "name": n, "why": why} for ln, n, why in g.unknown],
            "extra": [{"line": ln, "name": n, "why": why} for ln, n, why in g.extra],
            "warnings": list(g.warnings)}


def write_json(g: Graded, out: TextIO) -> None:
    out.write(json.dumps(to_dict(g), ensure_ascii=False, indent=2) + "\n")


def gradebook_row(g: Graded) -> list[str]:
    charged = [c for c in g.cells if c.verdict == "wrong"]
    return [g.student, _points(g.score), _points(g.max), str(len(charged)),
            str(sum(c.verdict == "follows" for c in g.cells)), str(sum(c.verdict == "missing" for c in g.cells)),
            str(len(g.unknown))]


def write_csv(g: Graded, out: TextIO, header: bool = True) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(GRADEBOOK)
    w.writerow(gradebook_row(g))
    out.write(buf.getvalue())


def _width(text: str) -> int:
    """Columns a text takes: its combining accents (c̄6) take none."""
    import unicodedata

    return sum(not unicodedata.combining(c) for c in text)


def _cell_text(x: float | None) -> str:
    return "—" if x is None else show(x)


def _point(graph, point: dict) -> dict:
    """The point as the sheet gives it: an array input's entries as the array (W = [[1, 2], [3, 4]])."""
    from ..core.arrays import entry_names

    out: dict = {}
    taken: set = set()
    for name, shape in graph.arrays.items():
        names = entry_names(name, shape)
        if all(n in point for n in names):
            values = [point[n] for n in names]
            m, n = shape
            out[name] = tuple(values) if 1 in shape else tuple(tuple(values[r * n:(r + 1) * n]) for r in range(m))
            taken.update(names)
    out.update((n, v) for n, v in point.items() if n not in taken)
    return out


def write_table(g: Graded, out: TextIO, unicode: bool = True, width: int = 80) -> None:
    graph = g.graph
    style = TextStyle(unicode)
    at = ", ".join(f"{n} = {show(v)}" for n, v in _point(graph, g.point).items())
    out.write(f"grading {g.student}: {g.mode} mode of {graph.source.strip()}\n")
    out.write(f"at {at}" + (f"; sweeps {', '.join(g.sweeps)}" if g.sweeps else "") + "\n")
    if g.mapping:
        pairs = ", ".join(f"{k} is {v}" for k, v in g.mapping.items())
        how = ("by the definitions written" if set(g.matched) == set(g.mapping) else
               "by --map" if not g.matched else
               f"by the definitions written ({', '.join(g.matched)}) and --map")
        out.write(f"the student's names matched to ours {how}: {pairs}\n")
    out.write("\n")
    head = ["cell", "student", "own work", "key", "verdict", "points"]
    rows = []
    for c in g.cells:
        label = c.label if unicode else c.label.replace("\u0304", "_bar").replace("\u0307", "_dot")
        if c.kind == "tangent":
            label = f"{label} [{c.sweep}]"
        verdict = c.verdict if c.verdict != "follows" else f"follows {c.follows}" if c.follows else "follows"
        rows.append([label, _cell_text(c.student), show(c.expected_own), show(c.key), verdict,
                     f"{_points(c.points)}/{_points(c.max_points)}"])
    widths = [max(_width(r[k]) for r in rows + [head]) for k in range(len(head))]
    if sum(widths) + 2 * (len(widths) - 1) <= width:
        for r in [head] + rows:
            out.write("  ".join(x + " " * (widths[k] - _width(x)) for k, x in enumerate(r)).rstrip() + "\n")
    else:  # too wide for the terminal (an array's numbers): a block per cell, its numbers a line each
        for r in rows:
            out.write(f"{r[0]}  {r[4]}  {r[5]}\n")
            for name, x in zip(("student", "own work", "key"), r[1:4]):
                out.write(f"  {name:<8}  {x}\n")
    charged = [c for c in g.cells if c.verdict in ("wrong", "missing")]
    if charged:
        out.write("\nfeedback\n")
        for c in charged:
            line = f" (line {c.line})" if c.line else ""
            out.write(f"  {c.label}{line}: {spoken(c.says, style)}\n")
    notes = [c for c in g.cells if c.note]
    if notes:
        out.write("\nnotes\n")
        for c in notes:
            out.write(f"  {c.label}: {spoken(c.noted, style)}\n")
    if g.unknown or g.extra:
        out.write("\nnot graded\n")
        for ln, n, why in g.unknown + g.extra:
            out.write(f"  line {ln}: {n}: {why}\n" if ln else f"  {n}: {why}\n")
    for w in g.warnings:
        out.write(f"warning: {w}\n")
    follow = {"full": "full credit", "half": "half credit", "none": "no credit"}[g.follow_through]
    out.write(f"\nscore: {_points(g.score)}/{_points(g.max)}   ({len(charged)} charged; cells that follow from "
              f"an earlier mistake get {follow})\n")
