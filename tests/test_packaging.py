"""The installed command's shell completion, as the guide and the man page set it up; the licence metadata."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig

import click
import pytest

from conftest import ROOT
from gradcli.cli import cli
from test_docs import man_text

SOURCE = re.compile(r"(_\w+_COMPLETE)=(bash|zsh|fish)_source gradcli")


def installed_script() -> str | None:
    """The console script that installing gradcli put beside this Python, if it did."""
    return shutil.which("gradcli", path=sysconfig.get_path("scripts"))


def launcher(kind: str) -> list[str]:
    if kind == "module":
        return [sys.executable, "-m", "gradcli"]
    script = installed_script()
    if script is None:
        pytest.skip("gradcli is not installed beside this Python (the Quick start installs it)")
    return [script]


def complete(command: list[str], line: str) -> list[str]:
    """What click's bash completion offers for the last word of ``line``, as the bash script asks for it."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_GRADCLI_COMPLETE": "bash_complete",
           "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    proc = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    offers = [row.split(",", 1) for row in proc.stdout.splitlines()]
    return [value for kind, value in offers if kind == "plain"]


def format_choices(command: str) -> set[str]:
    (fmt,) = [p for p in cli.commands[command].params if isinstance(p, click.Option) and p.name == "fmt"]
    return set(fmt.type.choices)


@pytest.mark.parametrize("kind", ["module", "script"])
def test_completion_offers_commands_options_and_formats(kind: str) -> None:
    command = launcher(kind)
    commands = complete(command, "gradcli rev")
    assert "reverse" in commands and "forward" not in commands
    options = complete(command, "gradcli reverse --fo")
    assert "--format" in options and "--at" not in options
    assert set(complete(command, "gradcli graph --format ")) == format_choices("graph")


def guide_completion_lines() -> dict[str, str]:
    """The guide's start-up line for each shell, from its Shell completion section."""
    guide = (ROOT / "docs" / "guide.md").read_text()
    block = re.search(r"^### Shell completion\n.*?^```sh\n(.*?)^```", guide, re.S | re.M).group(1)
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    found = {m.group(2): line for line in lines if (m := SOURCE.search(line))}
    assert len(found) == len(lines), f"each line should run _NAME_COMPLETE=<shell>_source gradcli: {lines}"
    return found


def test_guide_and_man_page_give_the_same_completion_lines() -> None:
    lines = guide_completion_lines()
    assert set(lines) == {"bash", "zsh", "fish"}
    man = man_text().replace("\\(ti", "~")
    for shell, line in lines.items():
        assert line in man, shell


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_documented_variable_gives_a_completion_script(shell: str) -> None:
    variable, _ = SOURCE.search(guide_completion_lines()[shell]).groups()
    proc = subprocess.run(launcher("module"), env={**os.environ, "PYTHONPATH": str(ROOT), variable: f"{shell}_source"},
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "_gradcli_completion" in proc.stdout and f"{variable}={shell}_complete" in proc.stdout


def test_bash_completion_script_completes_in_bash() -> None:
    """The guide's line for ~/.bashrc, then the call bash makes when Tab is pressed."""
    eval_line = guide_completion_lines()["bash"]
    assert re.fullmatch(r'eval "\$\(_\w+_COMPLETE=bash_source gradcli\)"', eval_line), eval_line
    bash, script = shutil.which("bash"), installed_script()
    if bash is None or script is None:
        pytest.skip("needs bash and the installed gradcli script")
    version = subprocess.run([bash, "-c", "echo $((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1]))"],
                             capture_output=True, text=True).stdout
    if int(version) < 404:
        pytest.skip("click's bash completion needs bash 4.4 or newer")
    env = {**os.environ, "PATH": os.path.dirname(script) + os.pathsep + os.environ.get("PATH", "")}

    def offers(words: str) -> list[str]:
        program = (f'{eval_line} && complete -p gradcli >/dev/null && '
                   f'COMP_WORDS=({words}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && '
                   '_gradcli_completion gradcli && printf "%s\\n" "${COMPREPLY[@]}"')
        proc = subprocess.run([bash, "-c", program], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        return proc.stdout.split()

    assert "reverse" in offers("gradcli rev")
    assert "--format" in offers("gradcli reverse --fo")


def test_license_file_and_metadata_agree() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and newer
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["license"] == "MIT"  # an SPDX expression (PEP 639), not a table
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith(f"{project['license']} License\n")
    assert re.search(r"^Copyright \(c\) \d{4} \S", text, re.M)
    assert "Permission is hereby granted, free of charge" in text
    # PEP 639: a license expression rules out License classifiers, and setuptools reads it from 77 on
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert "setuptools>=77" in pyproject["build-system"]["requires"]


def test_python_classifiers_start_at_requires_python() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lowest = re.fullmatch(r">=3\.(\d+)", project["requires-python"]).group(1)
    minors = [int(c.rsplit(".", 1)[1]) for c in project["classifiers"]
              if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert minors and minors == list(range(int(lowest), int(lowest) + len(minors))), minors


def test_the_wheel_installs_the_man_page(tmp_path) -> None:
    """``man gradcli`` works after ``pip install``: the wheel puts man/gradcli.1 under share/man/man1."""
    import zipfile

    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel, = tmp_path.glob("gradcli-*.whl")
    with zipfile.ZipFile(wheel) as z:
        pages = [n for n in z.namelist() if n.endswith("/data/share/man/man1/gradcli.1")]
        assert pages, z.namelist()
        assert z.read(pages[0]) == (ROOT / "man" / "gradcli.1").read_bytes()


def test_metadata_says_what_gradcli_is() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "automatic differentiation" in project["keywords"]
    assert [c for c in project["classifiers"] if c.startswith("Development Status ::")]
