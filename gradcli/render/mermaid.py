"""Mermaid: the graph as a ``flowchart``, which GitHub, GitLab and Jupyter draw from a ```mermaid block, with
the boxes, labels and edge partials of the DOT output (render/dot.py's drawing)."""

from __future__ import annotations

from typing import TextIO

from ..core.printer import TextStyle
from ..engine.trace import Trace
from .dot import drawing, legend, warnings

# a node's shape by kind: (opening, closing)
SHAPES = {"input": ("(", ")"), "operation": ("([", "])"), "constant": ("[", "]"), "output": ("{{", "}}")}
WORDS = {"input": "rounded boxes", "operation": "stadiums", "output": "a hexagon"}  # for the legend
CLASSES = {
    "input": "fill:#dbeafe,stroke:#1d4ed8,color:#0f172a",
    "operation": "fill:#f8fafc,stroke:#475569,color:#0f172a",
    "constant": "fill:#f1f5f9,stroke:#64748b,stroke-dasharray:4 3,color:#0f172a",
    "output": "fill:#fde68a,stroke:#b45309,stroke-width:2px,color:#0f172a",
}

# Mermaid reads a quoted label as HTML with its own entity codes (#quot; #35;): these characters would end the
# label, start an entity, a tag or a Markdown string, or end the statement
_ESCAPES = {c: f"#{ord(c)};" for c in '"#%&<>`|;'}
_ESCAPES['"'] = "#quot;"


def label(text: str) -> str:
    """A Mermaid label in quotes: its special characters as entity codes, its lines broken by <br>."""
    out = "".join(_ESCAPES.get(c, c) if c >= " " else "\ufffd" if c != "\n" else "\n" for c in text)
    return '"' + out.replace("\n", "<br>") + '"'


def _comment(line: str) -> str:
    # %%{ would start a directive
    return "  %% " + line.replace("%%{", "%% {") + "\n"


def write(trace: Trace, out: TextIO, nt: TextStyle | None = None, edge_labels: bool = True,
          scalar: bool = False, rankdir: str = "LR") -> None:
    """The flowchart, its nodes n0, n1, … in the drawing's order (node i of the trace, or row i of the arrays)."""
    nt = nt or TextStyle()
    d = drawing(trace, nt, edge_labels, scalar)
    out.write(f"flowchart {rankdir}\n")
    out.writelines(_comment(line) for line in legend(trace, d, nt, edge_labels, WORDS))
    for i, b in enumerate(d.boxes):
        opening, closing = SHAPES[b.kind]
        out.write(f"  n{i}{opening}{label(b.label)}{closing}\n")
    for a in d.arrows:
        out.write(f"  n{a.src} -->|{label(a.label)}| n{a.dst}\n" if a.label else f"  n{a.src} --> n{a.dst}\n")
    for kind, style in CLASSES.items():
        members = [f"n{i}" for i, b in enumerate(d.boxes) if b.kind == kind]
        if members:
            out.write(f"  classDef {kind} {style}\n")
            for j in range(0, len(members), 500):  # a long line per class would be one very long statement
                out.write(f"  class {','.join(members[j:j + 500])} {kind}\n")
    out.writelines(_comment(line) for line in warnings(trace, nt))
