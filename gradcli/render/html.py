"""HTML: one self-contained page of a result, to open offline or hand out as a worked solution.

The page holds the problem, the graph drawn (gradcli/render/svg.py), the tables the terminal prints and a
step-through of the sweep: Next and Previous (or the arrow keys, Home and End) walk the tangent rows in order
(forward) or the adjoint rows from the output back (reverse), one at a time, marking the row and its node on
the graph; the rows not reached yet are dimmed and their numbers hidden. The rows are the document's
(gradcli/render/document.py), written by the terminal's printer; every piece of user text is escaped. The
page loads nothing: its style and its script are inline, and its Content-Security-Policy forbids every other
source (the script is allowed by its hash).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from ..core.printer import TextStyle
from .document import Code
from .flat import FlatGrid, FlatLine, FlatRow, FlatSteps, Writer

MAX_PICTURE = 1000  # nodes: above this the page has no picture (a drawing of thousands of nodes reads as none)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


class HtmlWriter(Writer):
    """The terminal's notation, escaped; formulas in spans of class "m", typed text in code elements."""

    def __init__(self, unicode: bool = True, digits: int = 0) -> None:
        super().__init__(TextStyle(unicode, digits))
        if not unicode:
            self.ellipsis = "..."

    def math(self, e) -> str:
        return esc(self.style.text(e))

    def inline(self, e) -> str:
        return f'<span class="m">{self.math(e)}</span>'

    def code(self, c: Code) -> str:
        return f"<code>{esc(c.text)}</code>"

    def prose(self, text: str) -> str:
        return esc(text)

    def note(self, text: str) -> str:
        return f"({esc(text)})"

    def left_out(self, n: int, what: str = "rows") -> str:
        return esc(super().left_out(n, what))


# --- the walk: which rows the step-through visits ---------------------------------------------------------

WALKED = {"forward": "tangent", "reverse": "adjoint"}  # the head of the tables walked; graph: its grid


def _nodes_attr(nodes) -> str:
    return " ".join(str(i) for i in nodes)


class _Page:
    def __init__(self, command: str) -> None:
        self.command = command
        self.step = 0  # rows of the walk so far
        self.table = 0  # tables walked so far
        self.out: list[str] = []

    def steps(self, block: FlatSteps) -> None:
        walked = WALKED.get(self.command) == block.head
        sweep = f' data-sweep="{self.table}"' if walked else ""
        if walked:
            self.table += 1
        self.out.append(f'<section class="steps {esc(block.head)}"{sweep}>')
        self.out.append(f"<h2>{block.title}</h2>")
        self.out.append('<div class="scroll"><table class="eqs">')
        for row in block.rows:
            self.out += self.row(row, walked)
        self.out.append("</table></div></section>")

    def row(self, row: FlatRow, walked: bool) -> list[str]:
        if row.gap:
            return [f'<tr class="gap"><td></td><td colspan="6">{row.value}</td></tr>']
        attrs = ""
        if walked:
            self.step += 1
            attrs = f' data-step="{self.step}" data-nodes="{_nodes_attr(row.nodes)}"'
        elif row.nodes:
            attrs = f' data-nodes="{_nodes_attr(row.nodes)}"'
        if row.note:
            cells = [f'<th class="lhs">{row.lhs}</th>', '<td class="eq"></td>',
                     f'<td class="rule note" colspan="3">{row.rule}</td>', '<td class="eq v">=</td>',
                     f'<td class="value">{row.value}</td>']
        elif row.symbolic:  # stacked as a worked solution writes a long equation: each form on a line of its own
            lines = [f'<span class="l">{row.rule}</span>']
            lines += [f'<span class="l"><span class="eq">=</span> {s}</span>' for s in row.symbolic]
            if row.numbers:
                lines.append(f'<span class="l numbers"><span class="eq">=</span> {row.numbers}</span>')
            cells = [f'<th class="lhs">{row.lhs}</th>', '<td class="eq">=</td>',
                     f'<td class="rule stack" colspan="3">{" ".join(lines)}</td>', '<td class="eq v">=</td>',
                     f'<td class="value">{row.value}</td>']
        else:
            numbers = row.numbers
            cells = [f'<th class="lhs">{row.lhs}</th>', '<td class="eq">=</td>', f'<td class="rule">{row.rule}</td>',
                     f'<td class="eq n">{"=" if numbers else ""}</td>', f'<td class="numbers">{numbers}</td>',
                     '<td class="eq v">=</td>', f'<td class="value">{row.value}</td>']
        out = [f"<tr{attrs}>" + "".join(cells) + "</tr>"]
        if row.after:
            out.append(f'<tr class="after"><td></td><td colspan="6">{row.after}</td></tr>')
        return out

    def grid(self, block: FlatGrid) -> None:
        walked = self.command == "graph"
        sweep = ' data-sweep="0" data-keep="1"' if walked else ""
        self.out.append(f'<section class="grid"{sweep}><div class="scroll"><table class="nodes">')
        self.out.append("<thead><tr>" + "".join(f'<th class="{"num" if n else ""}">{h}</th>'
                                                 for h, n in zip(block.headers, block.numeric)) + "</tr></thead>")
        self.out.append("<tbody>")
        width = len(block.headers)
        for k, cells in enumerate(block.rows):
            if cells is None:
                self.out.append(f'<tr class="gap"><td colspan="{width}">{block.gaps[k]}</td></tr>')
                continue
            nodes = block.nodes[k] if k < len(block.nodes) else ()
            attrs = ""
            if walked:
                self.step += 1
                attrs = f' data-step="{self.step}" data-nodes="{_nodes_attr(nodes)}"'
            self.out.append(f"<tr{attrs}>" + "".join(
                f'<td class="{"num" if n else ""}">{c}</td>' for c, n in zip(cells, block.numeric)) + "</tr>")
        self.out.append("</tbody></table></div></section>")

    def line(self, block: FlatLine) -> None:
        kind = esc(block.kind)
        text = ("<strong>warning:</strong> " if block.kind == "warning" else "") + block.text
        self.out.append(f'<p class="line {kind}">{text}</p>')


# --- the picture ------------------------------------------------------------------------------------------

_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)


def picture(result, view) -> tuple[str | None, str]:
    """The graph as inline SVG, and a line about it; None where the graph is too large to draw."""
    trace = result.record
    n = len(trace.graph.nodes)
    if n > MAX_PICTURE:
        return None, (f"The graph has {n:,} nodes: the page draws graphs of up to {MAX_PICTURE} nodes. "
                      "The tables below have every row shown; gradcli graph --dot draws any graph with "
                      "Graphviz.")
    from .svg import graph_svg

    svg = graph_svg(trace, TextStyle(view.unicode, view.digits), "LR" if result.command in WALKED else view.rankdir,
                    view.edge_labels, view.scalar)
    return _derivatives(_PROLOG.sub("", svg).strip()), ""


_NODE = re.compile(r'<g class="node" id="node-[0-9]+"[^>]*>.*?</g>', re.S)
_TEXT = re.compile(r"<text ([^>]*)>([^<]*)</text>")
_DERIVATIVE = ("tangent ", "adjoint ")  # the lines of a box after its definition that say a derivative (dot.py)


def _derivatives(svg: str) -> str:
    """The picture with each box's lines of derivatives marked ``class="d" data-sweep="k"`` (k: the sweep, in
    the order the lines come), so the step-through shows each only once the walk has reached it."""

    def node(m: re.Match) -> str:
        seen = [0, 0]  # lines, derivative lines

        def line(t: re.Match) -> str:
            seen[0] += 1
            if seen[0] == 1 or not html.unescape(t.group(2)).startswith(_DERIVATIVE):
                return t.group(0)
            seen[1] += 1
            return f'<text class="d" data-sweep="{seen[1] - 1}" {t.group(1)}>{t.group(2)}</text>'

        return _TEXT.sub(line, m.group(0))

    return _NODE.sub(node, svg)


_SIZE = re.compile(r'<svg[^>]*\swidth="([0-9.]+)')


def _least_width(svg: str) -> str:
    """A rule that keeps a wide picture at half its size or more: the figure scrolls rather than shrink it to
    nothing."""
    m = _SIZE.search(svg)
    return f"#picture svg{{min-width:{min(float(m.group(1)) * 0.5, 900):.0f}px}}" if m else ""


# --- the page ---------------------------------------------------------------------------------------------


def render(result, blocks: list, view) -> str:
    """The whole page of a result of forward, reverse or graph."""
    flat = HtmlWriter(view.unicode, view.digits).blocks(blocks)
    page = _Page(result.command)
    head: list[str] = []  # the problem: the lines before the first table
    k = 0
    while k < len(flat) and isinstance(flat[k], FlatLine) and flat[k].kind != "result":
        line = flat[k]
        head.append(f'<p class="{"source" if line.kind == "source" else "line"}">{line.text}</p>')
        k += 1
    for block in flat[k:]:
        if isinstance(block, FlatSteps):
            page.steps(block)
        elif isinstance(block, FlatGrid):
            page.grid(block)
        else:
            page.line(block)
    svg, about = picture(result, view)
    style = STYLE + (_least_width(svg) if svg is not None else "")
    title = f"gradcli {result.command}: {_plain_source(result)}"
    script = SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"
    walk = {"forward": "forward", "reverse": "reverse"}.get(result.command, "graph")
    what = {"forward": "the tangent rows, in order", "reverse": "the adjoint rows, from the output back",
            "graph": "the nodes, in evaluation order"}[walk]
    figure = (f'<figure id="picture">{svg}</figure>' if svg is not None else
              f'<figure id="picture" class="none"><p>{esc(about)}</p></figure>')
    legend = LEGEND.get(walk, "")
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="generator" content="gradcli">\n',
        f"<title>{esc(title)}</title>\n<style>{style}</style>\n</head>\n",
        f'<body data-walk="{walk}" data-steps="{page.step}">\n',
        f'<header class="problem"><p class="kicker">{esc(KICKER[walk])}</p>\n',
        "\n".join(head), "\n",
        f'<p class="legend">{legend}</p>' if legend else "",
        "</header>\n<div class=\"layout\">\n<aside>\n", figure, "\n",
        '<div id="stepper" role="group" aria-label="step through the sweep">\n'
        '<div class="buttons"><button type="button" id="home" title="first step (Home)">&#x21E4;</button>'
        '<button type="button" id="prev" title="previous step (&#x2190;)">&#x2190; Previous</button>'
        '<button type="button" id="next" title="next step (&#x2192;)">Next &#x2192;</button>'
        '<button type="button" id="end" title="last step (End)">&#x21E5;</button>'
        '<button type="button" id="all" title="every row at once (Esc)">All</button></div>\n',
        f'<p id="count" aria-live="polite">{page.step} steps: {esc(what)}. Press Next or &#x2192;.</p>\n',
        '<p id="label"></p><p id="now" class="now"></p>\n</div>\n</aside>\n<main>\n',
        "\n".join(page.out),
        "\n</main>\n</div>\n",
        f"<script>{script}</script>\n</body>\n</html>\n",
    ])


def _plain_source(result) -> str:
    from .document import source_text

    return source_text(result.graph, 120)


KICKER = {"forward": "Forward-mode differentiation, step by step",
          "reverse": "Reverse-mode differentiation (backpropagation), step by step",
          "graph": "The computational graph"}

_KINKS = ("At a kink the derivative is PyTorch&#x2019;s: relu&#x2032;(0) = abs&#x2032;(0) = 0, and a warning names "
          "the node.")
LEGEND = {
    "forward": "Each row is one equation: the node&#x2019;s tangent, its rule in the nodes&#x2019; names, the rule "
               "with the numbers put in, and its value. A sweep seeds one input&#x2019;s tangent with 1 and the "
               "others with 0. " + _KINKS,
    "reverse": "Each row is one equation: the node&#x2019;s adjoint, its rule in the nodes&#x2019; names, the rule "
               "with the numbers put in, and its value. A node used by several others sums one term per edge. "
               + _KINKS,
}

# Rows not reached are dimmed by their colour, not by opacity: an element with opacity is painted as a layer of
# its own, and a table of 10^4 of them took seconds a step.
STYLE = """
:root{--ink:#1f2933;--soft:#52606d;--rule:#d9e2ec;--paper:#fff;--tint:#f5f7fa;--mark:#fff3c4;--accent:#c2410c;
--done:#2563eb;--math:"STIX Two Math","Cambria Math","Latin Modern Math","DejaVu Serif",Georgia,serif}
*{box-sizing:border-box}
body{margin:0;background:var(--paper);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",
"DejaVu Sans",sans-serif}
.problem{padding:1.25rem 2rem .75rem;border-bottom:1px solid var(--rule)}
.kicker{margin:0;color:var(--soft);font-size:.8rem;letter-spacing:.06em;text-transform:uppercase}
.problem .source{margin:.25rem 0 .35rem;font:1.45rem/1.3 var(--math)}
.problem .source code{font:inherit;background:none;padding:0}
.problem .line{margin:.1rem 0;color:var(--soft)}
.legend{margin:.5rem 0 0;color:var(--soft);font-size:.85rem;max-width:60rem}
.m,code,td,th.lhs{font-family:var(--math)}
code{font-size:1em}
.layout{display:grid;grid-template-columns:minmax(0,1fr) minmax(20rem,1.1fr);grid-template-areas:"main aside";
gap:0 2rem;padding:0 2rem 3rem}
main{grid-area:main;min-width:0}
aside{grid-area:aside;position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;padding-top:1rem}
@media (max-width:900px){.layout{grid-template-columns:minmax(0,1fr);grid-template-areas:"aside" "main"}
aside{position:static;max-height:none}}
h2{font-size:1rem;font-weight:600;margin:1.5rem 0 .5rem}
h2 .m{font-weight:400}
.scroll{overflow-x:auto}
table{border-collapse:collapse}
table.eqs td,table.eqs th{padding:.2rem .35rem;vertical-align:baseline;text-align:left;font-size:1.05rem;
font-weight:400}
table.eqs th.lhs{white-space:nowrap;padding-left:.6rem;font-weight:600}
table.eqs td.eq{color:var(--soft);padding:.2rem .1rem}
table.eqs td.value{white-space:nowrap;font-weight:600;font-variant-numeric:tabular-nums}
table.eqs td.stack .l{display:block;padding-left:1.2em;text-indent:-1.2em}
table.eqs td.note{color:var(--soft);font-style:italic}
table.eqs tr{border-bottom:1px solid var(--tint)}
table.eqs tr.after td,table.eqs tr.gap td{color:var(--soft);font-size:.85rem;padding-top:0}
table.nodes{font-size:.95rem}
table.nodes th{white-space:nowrap;text-align:left;font-weight:600;border-bottom:1px solid var(--rule);padding:.25rem .6rem}
table.nodes td{padding:.2rem .6rem;border-bottom:1px solid var(--tint)}
table.nodes .num{text-align:right;font-variant-numeric:tabular-nums}
p.line{margin:.35rem 0}
p.result{font:600 1.2rem/1.4 var(--math);margin:1.25rem 0 .5rem;padding:.5rem .75rem;background:var(--tint);
border-left:3px solid var(--done)}
p.cost{color:var(--soft);font-size:.9rem}
p.warning{color:#8a4b00;background:#fff8e6;padding:.35rem .6rem;border-left:3px solid #e0a100}
tr.current{background:var(--mark);outline:2px solid #f0b429}
tr.todo,tr.todo td,tr.todo th{color:#b3bec9}
section:not([data-keep]) tr.todo .numbers,section:not([data-keep]) tr.todo td.value,
section:not([data-keep]) tr.todo td.v,section:not([data-keep]) tr.todo td.n{visibility:hidden}
tr.done th.lhs{color:var(--done)}
#picture{margin:0;border:1px solid var(--rule);border-radius:6px;padding:.5rem;background:#fff;overflow:auto}
#picture svg{display:block;max-width:100%;height:auto;margin:auto}
#picture.none p{color:var(--soft);font-size:.85rem;margin:.25rem}
#picture .node.current ellipse,#picture .node.current rect,#picture .node.current polygon,
#picture .node.current path,#picture .node.current circle{stroke:var(--accent);stroke-width:3px;fill:var(--mark)}
#picture .node.done ellipse,#picture .node.done rect,#picture .node.done polygon,#picture .node.done path,
#picture .node.done circle{stroke:var(--done);stroke-width:2px}
#picture text.d{fill:#1d4ed8}
#picture text.d.hidden{visibility:hidden}
#picture .edge.active path,#picture .edge.active line,#picture .edge.active polyline{stroke:var(--accent);
stroke-width:2.5px}
#picture .edge.active polygon{stroke:var(--accent);fill:var(--accent)}
#stepper{margin:.75rem 0;padding:.75rem;border:1px solid var(--rule);border-radius:6px;background:var(--tint)}
.buttons{display:flex;gap:.4rem;flex-wrap:wrap}
button{font:inherit;padding:.3rem .75rem;border:1px solid #9fb3c8;border-radius:4px;background:#fff;color:var(--ink);
cursor:pointer}
button:hover:not(:disabled){background:#e4ecf5}
button:disabled{opacity:.45;cursor:default}
#count{margin:.5rem 0 .25rem;color:var(--soft);font-size:.9rem}
#label{margin:0;color:var(--soft);font-size:.8rem}
#now{margin:0;font:1.15rem/1.4 var(--math);min-height:1.4em;overflow-wrap:anywhere}
@media print{aside #stepper{display:none}.layout{display:block}tr.todo{opacity:1}
tr.todo td{visibility:visible!important}tr.current{background:none;outline:none}}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var body = document.body;
  var walk = body.getAttribute("data-walk");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-step]"));
  var n = rows.length;
  var k = 0;
  var state = [], start = [], nodes = [];
  var i, j;
  for (i = 0; i < n; i++) {
    state.push("");
    var s = rows[i].getAttribute("data-nodes");
    nodes.push(s ? s.split(" ") : []);
    var section = rows[i].closest("section");
    start.push(i > 0 && rows[i - 1].closest("section") === section ? start[i - 1] : i);
  }
  var picture = document.getElementById("picture");
  var byNode = {}, into = {}, outOf = {};
  if (picture) {
    var gs = picture.querySelectorAll("g.node[data-node]");
    for (i = 0; i < gs.length; i++) byNode[gs[i].getAttribute("data-node")] = gs[i];
    var es = picture.querySelectorAll("g.edge[data-from]");
    for (i = 0; i < es.length; i++) {
      var a = es[i].getAttribute("data-from"), b = es[i].getAttribute("data-to");
      (outOf[a] = outOf[a] || []).push(es[i]);
      (into[b] = into[b] || []).push(es[i]);
    }
  }
  var lines = [];  // the boxes' lines of derivatives: [element, node, sweep, shown]
  if (picture && walk !== "graph") {
    var ds = picture.querySelectorAll("g.node text.d");
    for (i = 0; i < ds.length; i++) {
      lines.push([ds[i], ds[i].closest("g.node").getAttribute("data-node"),
                  Number(ds[i].getAttribute("data-sweep")), true]);
    }
  }
  var lit = [];
  var count = document.getElementById("count");
  var now = document.getElementById("now");
  var label = document.getElementById("label");
  var buttons = {};
  ["home", "prev", "next", "end", "all"].forEach(function (id) { buttons[id] = document.getElementById(id); });

  function mark(el, cls) { el.classList.add(cls); lit.push([el, cls]); }

  function clean(el) { return el.textContent.replace(/\s+/g, " ").trim(); }

  function text(row) {
    var parts = [];
    var cells = row.children;
    var head = row.closest("table").querySelectorAll("thead th");
    for (var c = 0; c < cells.length; c++) {
      var t = clean(cells[c]);
      if (t && head.length && c > 0) t = clean(head[c]) + " " + t;  // a grid: each cell by its header
      if (t) parts.push(t);
    }
    return head.length ? parts[0] + ": " + parts.slice(1).join("; ") : parts.join(" ");
  }

  function show(next, scroll) {
    k = Math.max(0, Math.min(n, next));
    for (i = 0; i < n; i++) {
      var st = k === 0 ? "" : i < k - 1 ? "done" : i === k - 1 ? "current" : "todo";
      if (st !== state[i]) {
        if (state[i]) rows[i].classList.remove(state[i]);
        if (st) rows[i].classList.add(st);
        state[i] = st;
      }
    }
    for (i = 0; i < lit.length; i++) lit[i][0].classList.remove(lit[i][1]);
    lit = [];
    if (k === 0) {
      count.textContent = n + " steps: " + (walk === "forward" ? "the tangent rows, in order" :
        walk === "reverse" ? "the adjoint rows, from the output back" : "the nodes, in evaluation order") +
        ". Press Next or \u2192.";
      now.textContent = label.textContent = "";
      for (i = 0; i < lines.length; i++) {
        if (!lines[i][3]) { lines[i][0].classList.remove("hidden"); lines[i][3] = true; }
      }
    } else {
      var cur = k - 1;
      for (i = start[cur]; i < cur; i++) {
        for (j = 0; j < nodes[i].length; j++) if (byNode[nodes[i][j]]) mark(byNode[nodes[i][j]], "done");
      }
      for (j = 0; j < nodes[cur].length; j++) {
        var id = nodes[cur][j];
        if (byNode[id]) { byNode[id].classList.remove("done"); mark(byNode[id], "current"); }
        var edges = walk === "reverse" ? outOf[id] : into[id];
        if (edges && walk !== "graph") for (i = 0; i < edges.length; i++) mark(edges[i], "active");
      }
      var sweep = Number(rows[cur].closest("section").getAttribute("data-sweep"));
      var reached = {};
      for (i = start[cur]; i <= cur; i++) for (j = 0; j < nodes[i].length; j++) reached[nodes[i][j]] = true;
      for (i = 0; i < lines.length; i++) {
        var on = lines[i][2] < sweep || (lines[i][2] === sweep && reached[lines[i][1]] === true);
        if (on !== lines[i][3]) { lines[i][0].classList.toggle("hidden", !on); lines[i][3] = on; }
      }
      count.textContent = "Step " + k + " of " + n;
      var h = rows[cur].closest("section").querySelector("h2");
      label.textContent = h ? h.textContent.split(":")[0] : "";
      now.textContent = text(rows[cur]);
      if (scroll) rows[cur].scrollIntoView({block: "nearest"});
      if (scroll && byNode[nodes[cur][0]] && byNode[nodes[cur][0]].scrollIntoView) {
        var box = picture.getBoundingClientRect(), el = byNode[nodes[cur][0]].getBoundingClientRect();
        if (el.left < box.left || el.right > box.right || el.top < box.top || el.bottom > box.bottom) {
          picture.scrollLeft += el.left - box.left - box.width / 2;
          picture.scrollTop += el.top - box.top - box.height / 2;
        }
      }
    }
    buttons.home.disabled = k === 1 || n === 0;
    buttons.prev.disabled = k <= 1;
    buttons.next.disabled = buttons.end.disabled = k >= n;
    buttons.all.disabled = k === 0;
    body.setAttribute("data-step", String(k));
  }

  buttons.next.addEventListener("click", function () { show(k + 1, true); });
  buttons.prev.addEventListener("click", function () { show(k > 1 ? k - 1 : k, true); });
  buttons.home.addEventListener("click", function () { show(1, true); });
  buttons.end.addEventListener("click", function () { show(n, true); });
  buttons.all.addEventListener("click", function () { show(0, false); });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var to = null;
    if (e.key === "ArrowRight") to = k + 1;
    else if (e.key === "ArrowLeft") to = k > 1 ? k - 1 : k;
    else if (e.key === "Home") to = 1;
    else if (e.key === "End") to = n;
    else if (e.key === "Escape") to = 0;
    if (to === null || n === 0) return;
    e.preventDefault();
    show(to, to !== 0);
  });
  show(0, false);
})();
"""
