"""The HTML page in a real browser (headless Chromium, driven by selenium): Next, Previous, the arrow keys,
Home and End walk the sweep row by row as the JSON output orders it, marking the row and its box on the
picture; the page asks for nothing over the network; its screenshot is a picture. Skipped where Chromium,
its driver or selenium is missing, unless GRADCLI_REQUIRE_BROWSER is set (then it fails)."""

from __future__ import annotations

import os
import shutil
import struct
import unicodedata
import zlib
from pathlib import Path

import pytest

from conftest import run, run_json

SEED = "exp(x1)*(x1**2+x2**2)**3"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def _browser() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    if os.environ.get("GRADCLI_REQUIRE_BROWSER"):
        pytest.fail("Chromium and chromedriver are required here (GRADCLI_REQUIRE_BROWSER is set) but "
                    f"chromium={chromium}, chromedriver={driver}")
    return None


if os.environ.get("GRADCLI_REQUIRE_BROWSER"):
    import selenium  # noqa: F401 - fails here rather than skip
else:
    pytest.importorskip("selenium", reason="selenium is not installed; pip install '.[test]' installs it "
                                           "(GRADCLI_REQUIRE_BROWSER=1 fails instead)")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    found = _browser()
    if found is None:
        pytest.skip("Chromium or chromedriver is not installed (CI installs both and sets GRADCLI_REQUIRE_BROWSER)")
    chromium, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1400,1000")
    d = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield d
    finally:
        d.quit()


def _page(tmp_path: Path, *args: str) -> str:
    result = run(*args, "--format", "html")
    assert result.exit_code == 0, result.output
    path = tmp_path / f"{args[0]}.html"
    path.write_text(result.stdout, encoding="utf-8")
    return path.as_uri()


def _load(d, url: str) -> None:
    """Open a page and wait until its script has run (it marks the body with the step shown, 0 at first): a
    big page can be read before its script is done, and a click before then does nothing."""
    from selenium.webdriver.support.ui import WebDriverWait

    d.get(url)
    WebDriverWait(d, 60).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && document.body.getAttribute('data-step') === '0'"))


def _state(d) -> tuple[list[str], list[str], str]:
    """The rows marked current (their data-step), the boxes marked current (their ids), the step counter."""
    rows = [e.get_attribute("data-step") for e in d.find_elements(By.CSS_SELECTOR, "tr.current")]
    boxes = [e.get_attribute("id") for e in d.find_elements(By.CSS_SELECTOR, "#picture g.node.current")]
    return rows, boxes, d.find_element(By.ID, "count").text


def _key(d, key: str, times: int = 1) -> None:
    body = d.find_element(By.TAG_NAME, "body")
    for _ in range(times):
        body.send_keys(key)


@pytest.mark.parametrize("command", ["reverse", "forward"])
def test_next_and_the_arrow_keys_walk_the_sweep_as_json_orders_it(browser, tmp_path, command) -> None:
    data = run_json(command, SEED, "--at", "0,2")
    ids = [n["id"] for n in data["nodes"]]
    if command == "reverse":
        order = list(data["adjoints"])
    else:
        order = [node for tangents in data["tangents"].values() for node in tangents]
    n = len(order)
    _load(browser, _page(tmp_path, command, SEED, "--at", "0,2"))
    assert _state(browser)[:2] == ([], [])  # at first the whole solution, nothing marked
    for k in range(1, n + 1):
        if k % 2:
            browser.find_element(By.ID, "next").click()
        else:
            _key(browser, Keys.ARROW_RIGHT)
        rows, boxes, count = _state(browser)
        assert rows == [str(k)], (k, rows)
        assert boxes == [f"node-{ids.index(order[k - 1])}"], (k, boxes)
        assert count == f"Step {k} of {n}"
        # the rows before are reached, the rows after dimmed with their numbers hidden
        assert len(browser.find_elements(By.CSS_SELECTOR, "tr.todo")) == n - k
        current = browser.find_element(By.CSS_SELECTOR, "tr.current")
        lhs = current.find_element(By.CSS_SELECTOR, "th").text
        assert "".join(c for c in unicodedata.normalize("NFD", lhs) if not unicodedata.combining(c)) == order[k - 1]
        assert browser.find_element(By.ID, "now").text.startswith(lhs)
    _key(browser, Keys.ARROW_RIGHT)  # past the end: stays
    assert _state(browser)[0] == [str(n)]
    browser.find_element(By.ID, "prev").click()
    assert _state(browser)[0] == [str(n - 1)]
    _key(browser, Keys.ARROW_LEFT, 2)
    assert _state(browser)[:2] == ([str(n - 3)], [f"node-{ids.index(order[n - 4])}"])
    _key(browser, Keys.HOME)
    assert _state(browser)[0] == ["1"] and browser.find_element(By.ID, "prev").get_attribute("disabled")
    _key(browser, Keys.END)
    assert _state(browser)[0] == [str(n)] and browser.find_element(By.ID, "next").get_attribute("disabled")
    _key(browser, Keys.ESCAPE)  # the whole solution again
    assert _state(browser)[:2] == ([], []) and not browser.find_elements(By.CSS_SELECTOR, "tr.todo")


def test_a_row_not_reached_hides_its_numbers(browser, tmp_path) -> None:
    _load(browser, _page(tmp_path, "reverse", SEED, "--at", "0,2"))
    _key(browser, Keys.ARROW_RIGHT, 2)
    last = browser.find_elements(By.CSS_SELECTOR, "tr[data-step]")[-1]  # c̄1 = c̄3·c3 + c̄4·2·c1 = … = 64
    assert "todo" in last.get_attribute("class")
    value = last.find_element(By.CSS_SELECTOR, "td.value")
    assert value.value_of_css_property("visibility") == "hidden"
    current = browser.find_element(By.CSS_SELECTOR, "tr.current th")
    assert last.find_element(By.CSS_SELECTOR, "th").value_of_css_property("color") != \
        current.value_of_css_property("color")  # dimmed
    _key(browser, Keys.END)
    assert value.value_of_css_property("visibility") == "visible" and value.text == "64"


def _shown_derivatives(d) -> list[str]:
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, "#picture text.d")
            if e.value_of_css_property("visibility") == "visible"]


def test_the_picture_shows_a_derivative_once_the_walk_reaches_it(browser, tmp_path) -> None:
    _load(browser, _page(tmp_path, "reverse", SEED, "--at", "0,2"))
    assert len(_shown_derivatives(browser)) == 8  # the whole solution
    _key(browser, Keys.ARROW_RIGHT, 3)
    assert sorted(_shown_derivatives(browser)) == ["adjoint 1", "adjoint 1", "adjoint 48"]  # c̄8, c̄7, c̄6
    _load(browser, _page(tmp_path, "forward", SEED, "--at", "0,2"))
    _key(browser, Keys.ARROW_RIGHT, 10)  # sweep 2 at ċ2: sweep 1 whole, sweep 2 on c1 and c2
    shown = _shown_derivatives(browser)
    assert len(shown) == 10 and sum("x2" in t for t in shown) == 2


def test_the_edges_of_the_current_row_are_marked(browser, tmp_path) -> None:
    _load(browser, _page(tmp_path, "reverse", SEED, "--at", "0,2"))
    _key(browser, Keys.ARROW_RIGHT, 6)  # c̄3 = c̄8·c7: the edge c3 -> c8
    edges = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "#picture g.edge.active")]
    assert edges == ["edge-2-7"]
    _load(browser, _page(tmp_path, "forward", SEED, "--at", "0,2"))
    _key(browser, Keys.ARROW_RIGHT, 8)  # ċ8 = c7·ċ3 + c3·ċ7: the edges into c8
    edges = {e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "#picture g.edge.active")}
    assert edges == {"edge-2-7", "edge-6-7"}


def test_the_page_makes_no_request(browser, tmp_path) -> None:
    _load(browser, _page(tmp_path, "reverse", SEED, "--at", "0,2"))
    _key(browser, Keys.END)
    requests = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert requests == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # a script blocked by the page's policy would say so here


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """The width, height and raw scanlines of a PNG, read with zlib."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(raw):
        size, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        chunk = raw[pos + 8:pos + 8 + size]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + size
    return width, height, zlib.decompress(idat)


def test_a_screenshot_is_a_picture(browser, tmp_path) -> None:
    _load(browser, _page(tmp_path, "forward", SEED, "--at", "0,2"))
    _key(browser, Keys.ARROW_RIGHT, 5)
    shot = tmp_path / "forward.png"
    assert browser.save_screenshot(str(shot))
    width, height, pixels = _png_pixels(shot)
    assert width >= 800 and height >= 600
    assert len(set(pixels)) > 32  # text, the picture and the marked row: far from one colour


@pytest.mark.parametrize("depth,max_rows,steps", [(10_000, "200", 200), (3_000, "0", 3_001)],
                         ids=["10^4 nodes", "3,000 rows"])
def test_a_long_walk_does_not_hang(browser, tmp_path, depth, max_rows, steps) -> None:
    """A chain 10^4 deep as the page is by default (200 rows shown, no picture), and 3,000 rows all shown: each
    step takes well under a second (an earlier page took seconds a step over 10^4 rows)."""
    _load(browser, _page(tmp_path, "reverse", "sin(" * depth + "x" + ")" * depth, "--at", "0.5", "--max-rows",
                      max_rows))
    took = browser.execute_script("""
        var out = [];
        ["next", "next", "next", "end", "prev", "home"].forEach(function (id) {
          var t = performance.now();
          document.getElementById(id).click();
          document.body.offsetHeight;  // the layout, done now
          out.push(performance.now() - t);
        });
        return out;""")
    assert _state(browser)[0] == ["1"] and _state(browser)[2] == f"Step 1 of {steps}"
    assert max(took) < 2000, took  # milliseconds
