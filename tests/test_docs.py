"""The man page, the README and the pages under docs/ document every option and every function, and their
examples run as shown."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata

import click
import pytest

from conftest import ROOT
from gradcli.cli import cli
from gradcli.core.ops import OPS

MAN = ROOT / "man" / "gradcli.1"
# the README, then the guide's pages: every example in them runs
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SEED = "exp(x1)*(x1**2+x2**2)**3"


def man_text() -> str:
    """The man page's source with fonts, hyphens and \\[uXXXX] characters read back."""
    text = re.sub(r"\\f[BIRP]", "", MAN.read_text()).replace("\\-", "-")
    return re.sub(r"\\\[u([0-9A-F]{4})\]", lambda m: chr(int(m.group(1), 16)), text)


def all_options() -> list[tuple[str, str]]:
    out = []
    for name, command in cli.commands.items():
        for p in command.params:
            if isinstance(p, click.Option):
                out += [(name, o) for o in p.opts + p.secondary_opts]
    return out


@pytest.mark.parametrize("command,option", all_options())
def test_man_page_documents_every_option(command: str, option: str) -> None:
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", man_text()), f"{command} {option} not in man page"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_man_page_documents_every_command(command: str) -> None:
    assert f".B {command}" in man_text()


@pytest.mark.parametrize("name", sorted({n for op in OPS.values() for n in op.names}))
def test_every_function_is_documented(name: str) -> None:
    assert re.search(rf"\b{name}\b", man_text()), f"{name} not in man page"
    # the README's table of functions, and the language's page in depth
    for page in (ROOT / "README.md", ROOT / "docs" / "language.md"):
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", page.read_text()), f"{name} not in {page.name}"


def test_man_page_source_is_ascii() -> None:
    # groff reads Latin-1 unless preconv (groff -k) runs first, and mandoc has its own rules: anything
    # beyond ASCII is a groff escape such as \[pd] or \[u0304]
    bad = [(n, line) for n, line in enumerate(MAN.read_bytes().splitlines(), 1) if not line.isascii()]
    assert not bad, f"non-ASCII bytes in {MAN.name}, write them as groff escapes: {bad[:5]}"


def _groff() -> str:
    path = shutil.which("groff")
    if path is None:
        if os.environ.get("GRADCLI_REQUIRE_GROFF"):
            pytest.fail("groff is required here (GRADCLI_REQUIRE_GROFF is set) but is not installed")
        pytest.skip("groff is not installed (CI installs it and sets GRADCLI_REQUIRE_GROFF)")
    return path


def render_man(*device: str) -> subprocess.CompletedProcess:
    """The man page as plain text: one line per paragraph (no breaks, no hyphens), no overstriking."""
    return subprocess.run([_groff(), "-man", "-ww", "-rLL=2000n", "-P-cbou", *device, str(MAN)],
                          capture_output=True, text=True, encoding="utf-8")


@pytest.mark.parametrize("device", [[], ["-k", "-Tutf8"], ["-Tascii"], ["-Tlatin1"]],
                         ids=["ps", "utf8", "ascii", "latin1"])
def test_man_page_renders_without_warnings(device: list[str]) -> None:
    proc = subprocess.run([_groff(), "-man", "-ww", "-z", *device, str(MAN)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_man_page_shows_the_notation_in_utf8_and_falls_back_to_ascii() -> None:
    utf8 = render_man("-k", "-Tutf8")
    assert utf8.returncode == 0 and utf8.stderr == "", utf8.stderr
    text = " ".join(utf8.stdout.split())
    for shown in ("(ċi = ∂ci/∂x,", "(c̄i = ∂f/∂ci,", "derivative ∇f·d.",
                  "c3_dot for ċ3, c3_bar for c̄3, * for · and grad for ∇."):
        assert shown in text, shown
    ascii_ = render_man("-Tascii")
    assert ascii_.returncode == 0 and ascii_.stderr == "", ascii_.stderr
    assert ascii_.stdout.isascii()
    text = " ".join(ascii_.stdout.split())
    for shown in ("(ci_dot = dci/dx,", "(ci_bar = df/dci,", "derivative grad f*d.",
                  "c3_dot for c3 with a dot above, c3_bar for c3 with a bar above, * for a middle dot"):
        assert shown in text, shown


def test_man_page_and_docs_name_every_format() -> None:
    formats = {c for command in cli.commands.values() for p in command.params
               if isinstance(p, click.Option) and p.name == "fmt" for c in p.type.choices}
    assert formats >= {"table", "json", "dot", "markdown", "latex"}
    docs = "\n".join(page.read_text() for page in DOC_FILES)
    for f in formats:
        assert re.search(rf"\b{f}\b", man_text()), f
        assert f"--format {f}" in docs or f"`{f}`" in docs, f


def test_width_range_is_documented() -> None:
    (width,) = [p for p in cli.commands["reverse"].params if p.name == "width"]
    stated = f"from {width.type.min} to {width.type.max} columns"
    assert stated in " ".join(man_text().split())
    assert stated in (ROOT / "docs" / "guide.md").read_text()


def gradcli(env: dict[str, str], *args: str) -> str:
    """Standard output of ``python -m gradcli`` in a pipe, with no terminal anywhere and only these
    of the variables that ENVIRONMENT documents."""
    documented = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE", "PYTHONIOENCODING")
    base = {k: v for k, v in os.environ.items() if k not in documented}
    proc = subprocess.run([sys.executable, "-m", "gradcli", *args], env={**base, "PYTHONPATH": str(ROOT), **env},
                          stdin=subprocess.DEVNULL, capture_output=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode()


def columns(text: str) -> int:
    return max(sum(not unicodedata.combining(c) for c in line) for line in text.splitlines())


def test_environment_section_holds() -> None:
    section = man_text()[man_text().index(".SH ENVIRONMENT"):]
    for name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TERM", "PYTHONIOENCODING"):
        assert f".B {name}\n" in section, name
    kink = ("reverse", "sqrt(x1)*(x1**2+x2**2)**3", "--at", "0,2")  # a table and a warning
    plain = gradcli({}, *kink)
    assert "\x1b[" not in plain and columns(plain) == 80
    assert columns(gradcli({"COLUMNS": "40"}, *kink)) <= 40 < columns(plain)
    forced = gradcli({"FORCE_COLOR": "1"}, *kink)
    assert "\x1b[1m" in forced and "\x1b[33mwarning:" in forced
    no_color = gradcli({"FORCE_COLOR": "1", "NO_COLOR": "1"}, *kink)
    assert "\x1b[1m" in no_color and "\x1b[33m" not in no_color
    assert "\x1b[" not in gradcli({"FORCE_COLOR": "1", "TERM": "dumb"}, *kink)
    ascii_ = gradcli({"PYTHONIOENCODING": "ascii"}, *kink)
    assert ascii_.isascii() and "c1_bar = " in ascii_
    for fmt in ("json", "markdown"):
        args = (*kink, "--format", fmt)
        assert gradcli({"COLUMNS": "25", "FORCE_COLOR": "1"}, *args) == gradcli({}, *args), fmt


def doc_commands(pages=DOC_FILES) -> list[tuple[str, list[str], int]]:
    """Every gradcli command in the sh blocks of the README and of docs/, with the exit code its comment states (0 unless it says
    "exit N"); lines continued with a backslash or inside quotes are one command; a pipe or a redirection ends it.
    Placeholders (EXPR, POINT) and files the reader would have to write are left out."""
    import shlex

    out = []
    blocks = [(page.name, block) for page in pages for block in re.findall(r"```sh\n(.*?)```", page.read_text(), re.S)]
    for name, block in blocks:
        block = block.replace("\\\n", " ")
        pending = ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on on the next line
                continue
            line_text, pending = pending, ""
            if not words or words[0] != "gradcli" or words[1:2] == ["--version"]:
                continue
            cut = next((k for k, w in enumerate(words) if w in ("|", ">")), len(words))
            words = words[1:cut]
            if any(w in ("EXPR", "-f") for w in words):
                continue
            m = re.search(r"#.*\bexit (\d)", line_text)
            out.append((f"{name}: {line_text.split('#')[0].strip()[:60]}", words, int(m.group(1)) if m else 0))
    return out


@pytest.mark.parametrize("label,words,code", doc_commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_documented_command_runs_as_shown(label: str, words: list[str], code: int, monkeypatch) -> None:
    from conftest import run

    monkeypatch.chdir(ROOT)  # the docs' paths (examples/…) are from the repository's root
    result = run(*words)
    assert result.exit_code == code, result.output


def test_the_readme_has_an_example_of_every_command_and_the_guide_a_section() -> None:
    commands = [w[0] for _, w, _ in doc_commands([ROOT / "README.md"])]
    assert set(commands) == set(cli.commands)
    guide = (ROOT / "docs" / "guide.md").read_text()
    assert all(f"\n### {name}\n" in guide for name in cli.commands)
    assert len(doc_commands()) > 2 * len(commands)  # the guide's examples are found too


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", DOC_FILES, ids=lambda p: p.name)
def test_every_link_is_relative_and_leads_somewhere(page) -> None:
    """A link is a plain relative path (it works on GitHub, in a clone and in the sdist) to a file that exists,
    and its #anchor is a heading of that file."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links, page.name
    for link in links:
        assert not re.match(r"[a-z]+:|/", link), f"{page.name}: {link} is not a relative path"
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link} leads nowhere"
        if anchor:
            headings = re.findall(r"^#+ (.*)$", re.sub(r"```.*?```", "", target.read_text(), flags=re.S), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{page.name}: {link}: no such heading"
