"""The HTML page (--format html) read as a browser's parser reads it: well formed, every row of the tables in
it, the step-through's rows in the order of the sweep as the JSON output has it, user text escaped, nothing
loaded from anywhere, and a graph of 10^4 nodes written at once without its picture."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest

import gradcli
from conftest import ROOT, clean_env, run, run_json

SEED = "exp(x1)*(x1**2+x2**2)**3"
ARRAYS = "h = relu(W1 @ x + b1); L = sum(h)"
ARRAYS_AT = "W1=[[1,-2],[3,4]],x=[1,2],b1=[0.5,-0.5]"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed"}
# SVG elements written self-closed (<path .../>)
SVG_EMPTY = {"path", "rect", "ellipse", "polygon", "polyline", "line", "circle", "stop"}


class Element:
    def __init__(self, tag: str, attrs: dict, parent: "Element | None") -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def text(self) -> str:
        out, todo = [], [self]
        while todo:  # a loop, in document order
            e = todo.pop()
            if isinstance(e, str):
                out.append(e)
            else:
                todo.extend(reversed(e.children))
        return "".join(out)

    def iter(self):
        todo = [self]
        while todo:
            e = todo.pop()
            if isinstance(e, Element):
                yield e
                todo.extend(reversed([c for c in e.children if isinstance(c, Element)]))

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class Tree(HTMLParser):
    """The page as elements; fails on a closing tag that closes nothing open."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.at = self.root
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        e = Element(tag, dict(attrs), self.at)
        self.at.children.append(e)
        if tag not in VOID:
            self.at = e

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Element(tag, dict(attrs), self.at))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.at.tag != tag:
            self.errors.append(f"</{tag}> closes <{self.at.tag}>")
            return
        self.at = self.at.parent

    def handle_data(self, data):
        self.at.children.append(data)


def parse(page: str) -> Element:
    tree = Tree()
    tree.feed(page)
    tree.close()
    assert not tree.errors, tree.errors[:5]
    assert tree.at is tree.root, f"<{tree.at.tag}> is never closed"
    return tree.root


def page(*args: str) -> str:
    result = run(*args, "--format", "html")
    assert result.exit_code == 0, result.output
    return result.stdout


def walked(root: Element) -> list[Element]:
    rows = [e for e in root.iter() if e.tag == "tr" and "data-step" in e.attrs]
    assert [int(r.attrs["data-step"]) for r in rows] == list(range(1, len(rows) + 1))
    return rows


def clean(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", ["forward", "reverse", "graph"])
def test_the_page_is_well_formed_and_whole(command) -> None:
    text = page(command, SEED, "--at", "0,2")
    assert text.startswith("<!DOCTYPE html>\n") and text.endswith("</html>\n")
    root = parse(text)
    tags = [e.tag for e in root.iter()]
    assert tags.count("html") == tags.count("head") == tags.count("body") == tags.count("svg") == 1
    assert tags.count("script") == 1 and tags.count("style") == 1
    body = next(e for e in root.iter() if e.tag == "body")
    assert int(body.attrs["data-steps"]) == len(walked(root)) > 0


def test_the_reverse_walk_is_the_adjoint_sweep_from_the_output_back() -> None:
    root = parse(page("reverse", SEED, "--at", "0,2"))
    data = run_json("reverse", SEED, "--at", "0,2")
    ids = [n["id"] for n in data["nodes"]]
    rows = walked(root)
    assert [ids[int(r.attrs["data-nodes"])] for r in rows] == list(data["adjoints"]) == \
        ["c8", "c7", "c6", "c5", "c4", "c3", "c2", "c1"]
    # each row says the adjoint the JSON has
    for row, (node, adjoint) in zip(rows, data["adjoints"].items()):
        cells = [c for c in row.children if isinstance(c, Element)]
        assert clean(cells[0].text()) == f"{node[0]}\u0304{node[1:]}"
        assert float(clean(cells[-1].text())) == adjoint


def test_the_forward_walk_is_each_sweep_in_order() -> None:
    root = parse(page("forward", SEED, "--at", "0,2"))
    data = run_json("forward", SEED, "--at", "0,2")
    ids = [n["id"] for n in data["nodes"]]
    rows = walked(root)
    expected = [(label, node, t) for label, tangents in data["tangents"].items() for node, t in tangents.items()]
    assert len(rows) == len(expected) == 16
    sections = []
    for row, (label, node, tangent) in zip(rows, expected):
        assert ids[int(row.attrs["data-nodes"])] == node
        cells = [c for c in row.children if isinstance(c, Element)]
        assert float(clean(cells[-1].text())) == tangent
        section = row
        while section.tag != "section":
            section = section.parent
        sections.append(section.attrs["data-sweep"])
    assert sections == ["0"] * 8 + ["1"] * 8


def test_every_row_of_the_terminal_tables_is_on_the_page() -> None:
    """The rows are the document's: the Markdown's cells (the same writer's text) are the page's cells."""
    for command in ("forward", "reverse"):
        markdown = run(command, SEED, "--at", "0,2", "--format", "markdown").stdout
        md_rows = [[c.strip("`").replace("\\|", "|") for c in re.split(r"\s*(?<!\\)\|\s*", line.strip())[1:-1]]
                   for line in markdown.splitlines() if line.startswith("| `")]
        root = parse(page(command, SEED, "--at", "0,2"))
        html_rows = []
        for tr in root.iter():
            if tr.tag == "tr" and tr.parent.tag == "table" and "eqs" in tr.parent.classes():
                cells = [clean(c.text()) for c in tr.children if isinstance(c, Element)]
                html_rows.append((cells[0], cells[-1]))
        assert html_rows == [(r[0], r[-1]) for r in md_rows] and len(html_rows) == (24 if command == "forward"
                                                                                      else 16)


def test_the_graph_picture_has_a_box_for_every_node_the_walk_names() -> None:
    root = parse(page("reverse", SEED, "--at", "0,2"))
    boxes = {e.attrs["id"] for e in root.iter() if e.tag == "g" and "node" in e.classes()}
    assert boxes == {f"node-{k}" for k in range(8)}
    edges = {e.attrs["id"] for e in root.iter() if e.tag == "g" and "edge" in e.classes()}
    assert "edge-2-7" in edges and "edge-6-7" in edges  # c3 -> c8, c7 -> c8


def test_the_pictures_derivatives_are_marked_for_the_walk() -> None:
    """Each box's tangent and adjoint lines are marked with their sweep, for the walk to show as it reaches
    them; the definition and value lines are not."""
    for command in ("reverse", "forward"):
        root = parse(page(command, SEED, "--at", "0,2"))
        box = next(e for e in root.iter() if e.attrs.get("id") == "node-7")  # c8 = c3*c7
        lines = {clean(t.text()): t.attrs for t in box.iter() if t.tag == "text"}
        assert "class" not in lines["c8 = c3*c7"] and "class" not in lines["value 64"]
        if command == "reverse":
            assert lines["adjoint 1"] == {**lines["adjoint 1"], "class": "d", "data-sweep": "0"}
        else:
            assert [(lines[k]["class"], lines[k]["data-sweep"]) for k in ("tangent \u2202/\u2202x1: 64",
                                                                         "tangent \u2202/\u2202x2: 192")] == \
                [("d", "0"), ("d", "1")]
        derivatives = [t for t in root.iter() if t.tag == "text" and "d" in t.classes()]
        assert len(derivatives) == (8 if command == "reverse" else 16)
        assert all(clean(t.text()).startswith(("adjoint ", "tangent ")) for t in derivatives)


def test_user_text_is_escaped(tmp_path) -> None:
    data = tmp_path / "<b>&'\"x.csv"
    data.write_text("x,y\n1,2\n3,4\n")
    text = page("reverse", "(w*x - y)**2", "--at", "w=0.5", "--data", str(data))
    assert "<b>" not in text and "&'\"x" not in text
    assert "&lt;b&gt;&amp;&#x27;&quot;x.csv" in text
    root = parse(text)
    assert any("<b>&'\"x.csv" in e.text() for e in root.iter() if e.tag == "p")
    assert not [e for e in root.iter() if e.tag == "b"]


def test_the_page_loads_nothing() -> None:
    text = page("reverse", SEED, "--at", "0,2")
    root = parse(text)
    # every URL in it is an XML namespace, which is a name and never fetched
    for m in re.finditer(r"\w+://[^\s\"'<>]*", text):
        before = text[max(0, m.start() - 7):m.start()]
        assert before == 'xmlns="' and m.group().startswith("http://www.w3.org/"), m.group()
    for e in root.iter():
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            assert attr not in e.attrs or e.tag == "svg", (e.tag, attr)
    csp = next(e.attrs["content"] for e in root.iter()
               if e.tag == "meta" and e.attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    script = next(e for e in root.iter() if e.tag == "script")
    assert not script.attrs  # inline, no src
    digest = base64.b64encode(hashlib.sha256(script.text().encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp  # the one script allowed, by its hash


def test_a_graph_of_arrays_walks_its_rows() -> None:
    for command, rows in (("reverse", 7), ("forward", None)):
        root = parse(page(command, ARRAYS, "--at", ARRAYS_AT))
        steps = walked(root)
        boxes = {e.attrs["data-node"] for e in root.iter() if e.tag == "g" and "node" in e.classes()}
        assert boxes == {str(k) for k in range(7)}  # W1, b1, x, c1, c2, h, L
        assert all(s.attrs["data-nodes"] in boxes for s in steps)
        if rows is not None:
            assert len(steps) == rows
            assert [s.attrs["data-nodes"] for s in steps] == ["6", "5", "4", "3", "2", "1", "0"]
            cells = [clean(c.text()) for c in steps[-1].children if isinstance(c, Element)]
            assert [c for c in cells if c] == ["W\u03041 (2\u00d72)", "=", "c\u03041 @ x\u1d40", "=",
                                               "[[0, 0], [1, 2]]"]


def test_a_deep_chain_is_written_quickly_without_its_picture() -> None:
    depth = 10_000
    source = "sin(" * depth + "x" + ")" * depth
    start = time.perf_counter()
    text = page("reverse", source, "--at", "0.5")
    took = time.perf_counter() - start
    assert took < 30, took
    root = parse(text)
    assert not [e for e in root.iter() if e.tag == "svg"]
    figure = next(e for e in root.iter() if e.attrs.get("id") == "picture")
    assert "10,001 nodes" in figure.text()
    assert len(walked(root)) == 200  # --max-rows: the first and last hundred
    assert any("rows left out" in e.text() for e in root.iter() if e.tag == "tr" and "gap" in e.classes())
    everything = parse(page("reverse", source, "--at", "0.5", "--max-rows", "0"))
    assert len(walked(everything)) == depth + 1


def test_a_warning_is_said_on_the_page() -> None:
    result = run("reverse", "relu(x)*y", "--at", "0,2", "--format", "html")
    assert result.exit_code == 0 and result.stderr == ""
    root = parse(result.stdout)
    warnings = [clean(e.text()) for e in root.iter() if e.tag == "p" and "warning" in e.classes()]
    assert len(warnings) == 1 and "relu'(0) = 0" in warnings[0]


def test_a_graphs_page_walks_its_nodes_and_draws_it_as_asked() -> None:
    root = parse(page("graph", SEED, "--at", "0,2", "--rankdir", "TB", "--no-edge-labels"))
    assert [r.attrs["data-nodes"] for r in walked(root)] == [str(k) for k in range(8)]
    svg = next(e for e in root.iter() if e.tag == "svg")
    assert float(svg.attrs["height"]) > float(svg.attrs["width"])  # top to bottom
    edge_texts = [t for e in root.iter() if e.tag == "g" and "edge" in e.classes() for t in e.iter()
                  if t.tag == "text"]
    assert edge_texts == []
    wide = next(e for e in parse(page("graph", SEED, "--at", "0,2")).iter() if e.tag == "svg")
    assert float(wide.attrs["width"]) > float(wide.attrs["height"])
    arrays = parse(page("graph", ARRAYS, "--at", ARRAYS_AT))
    assert [r.attrs["data-nodes"] for r in walked(arrays)] == [str(k) for k in range(7)]


def test_results_display_in_a_notebook_as_markdown_not_as_the_page() -> None:
    """A notebook shows text/html before Markdown; the page is a whole document with keys of its own, so a
    result offers it only when asked (render("html"))."""
    result = gradcli.reverse(SEED, at="0,2")
    assert not hasattr(result, "_repr_html_")
    assert result.render("html") == page("reverse", SEED, "--at", "0,2")


def test_html_is_for_forward_reverse_and_graph() -> None:
    result = run("jacobian", "x*y; x+y", "--at", "1,2", "--format", "html")
    assert result.exit_code == 2 and "html" not in result.output.split("Invalid value")[0]


def test_the_common_path_imports_no_page() -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gradcli", "forward", "x", "--at", "1"],
                          capture_output=True, text=True, env=clean_env(), cwd=ROOT, check=True)
    assert "gradcli.render.html" not in done.stderr and "gradcli.render.svg" not in done.stderr
