"""The man page and README document every option and every function."""

from __future__ import annotations

import re
import shutil
import subprocess

import click
import pytest

from conftest import ROOT
from gradcli.cli import cli
from gradcli.ops import OPS

MAN = ROOT / "man" / "gradcli.1"


def man_text() -> str:
    return re.sub(r"\\f[BIRP]", "", MAN.read_text()).replace("\\-", "-")


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
    assert re.search(rf"\b{name}\b", (ROOT / "README.md").read_text()), f"{name} not in README"


def test_man_page_renders_without_warnings() -> None:
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed")
    proc = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", str(MAN)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_man_page_and_readme_name_every_format() -> None:
    formats = {c for command in cli.commands.values() for p in command.params
               if isinstance(p, click.Option) and p.name == "fmt" for c in p.type.choices}
    assert formats >= {"table", "json", "dot", "markdown", "latex"}
    readme = (ROOT / "README.md").read_text()
    for f in formats:
        assert re.search(rf"\b{f}\b", man_text()), f
        assert f"--format {f}" in readme or f"`{f}`" in readme, f
