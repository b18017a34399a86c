"""Every command's --help: its own options before the ones every command takes, examples that run as shown, and
lines that fit the terminal."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import unicodedata

import click
import pytest

from conftest import ROOT, clean_env, run
from gradcli.cli import cli

COMMANDS = sorted(cli.commands)


def options(command: click.Command) -> set[str]:
    """The command's options, each by its first name (-f for -f, --file), --help (-h) too."""
    ctx = click.Context(command, parent=click.Context(cli, **cli.context_settings))  # -h as gradcli has it
    return {p.opts[0] for p in command.get_params(ctx) if isinstance(p, click.Option)}


# the options every command takes: what a command's own options come before
EVERYWHERE = set.intersection(*(options(c) for c in cli.commands.values()))


def help_text(command: str) -> str:
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    return result.output


def section(text: str, title: str) -> str:
    """The lines of a help section, from its heading to the next blank line before a heading."""
    return re.search(rf"^{re.escape(title)}:\n(.*?)(?=\n\n\S|\Z)", text, re.S | re.M).group(1)


def listed(text: str) -> list[str]:
    """The options a help section lists, in order: the first of each row's names."""
    return [m.group(1) for m in re.finditer(r"^  (-[-\w]+)", text, re.M)]


def examples(text: str) -> list[tuple[str, list[str], int]]:
    """The commands of a help's Examples section: each as typed, its words up to a pipe or a redirection (without
    "gradcli"), and the exit code the line above it states ("exit N"; 0 unless it says). A line ending in a
    backslash goes on on the next."""
    out = []
    says, typed = "", None
    for line in section(text, "Examples").splitlines():
        if not line.strip():
            continue
        if typed is not None:
            typed += " " + line.strip()
        elif line.startswith("    "):
            typed = line.strip()
        else:
            says += " " + line.strip()
            continue
        if typed.endswith("\\"):
            typed = typed[:-1].rstrip()
            continue
        words = shlex.split(typed)
        cut = next((k for k, w in enumerate(words) if w in ("|", ">")), len(words))
        code = re.search(r"\bexit (\d+)", says)
        out.append((typed, words[:cut], int(code.group(1)) if code else 0))
        says, typed = "", None
    assert typed is None, f"a command goes on past the end: {typed}"
    return out


def every_example() -> list[tuple[str, str, list[str], int]]:
    return [(name, typed, words, code) for name in COMMANDS for typed, words, code in examples(help_text(name))]


def test_the_options_every_command_takes_are_found() -> None:
    assert {"--format", "--width", "--digits", "--let", "-f", "-h"} <= EVERYWHERE
    assert "--at" not in EVERYWHERE  # plot has --x and --y instead


@pytest.mark.parametrize("name", COMMANDS)
def test_help_lists_the_commands_own_options_first(name: str) -> None:
    text = help_text(name)
    own, shared = listed(section(text, "Options")), listed(section(text, "Input and display options"))
    assert own and own[0] not in EVERYWHERE, own[:3]
    assert not EVERYWHERE & set(own) and EVERYWHERE <= set(shared), (own, shared)
    assert sorted(own + shared) == sorted(options(cli.commands[name]))  # every option is listed, once


@pytest.mark.parametrize("name", COMMANDS)
def test_help_ends_with_examples_of_the_command(name: str) -> None:
    text = help_text(name)
    assert text.rstrip().endswith(examples(text)[-1][0].split()[-1])
    for typed, words, _ in examples(text):
        assert words[:2] == ["gradcli", name], typed


@pytest.mark.parametrize("name,typed,words,code", every_example(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_help_example_runs_as_shown(name: str, typed: str, words: list[str], code: int, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples' files (examples/…) are the repository's
    result = run(*words[1:])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("name", COMMANDS)
def test_help_fits_the_terminal(name: str, width: int) -> None:
    """As a terminal of that width shows it (click's test runner fixes the width of help at 80)."""
    proc = subprocess.run([sys.executable, "-m", "gradcli", name, "--help"], env=clean_env(COLUMNS=str(width)),
                          capture_output=True, text=True, encoding="utf-8", stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "\nExamples:\n" in text
    wide = [line for line in text.splitlines() if sum(not unicodedata.combining(c) for c in line) > width]
    assert not wide, wide
