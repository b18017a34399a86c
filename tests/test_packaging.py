"""The installed command's shell completion, as the guide and the man page set it up; the licence metadata;
the wheel and the sdist."""

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


def test_the_lowest_versions_ci_installs_are_the_declared_floors() -> None:
    """.ci/lowest.txt pins each dependency at the floor pyproject.toml declares, so CI tests what it promises."""
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = dict(re.fullmatch(r"([\w-]+)>=([\d.]+)", d).groups() for d in declared)
    lines = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "lowest.txt").read_text().splitlines()]
    pins = dict(line.split("==") for line in lines if line)
    assert set(pins) == set(floors)

    def release(v: str) -> list[int]:  # 13 is 13.0.0
        parts = [int(p) for p in v.split(".")]
        while parts[-1] == 0 and len(parts) > 1:
            parts.pop()
        return parts

    for name, floor in floors.items():
        assert release(pins[name]) == release(floor), name


def test_ci_runs_the_suite_on_every_python_the_classifiers_name() -> None:
    """The main run is on 3.11 (.ci/run); .ci/other-pythons runs the fast subset on the others."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = {c.rsplit(" ", 1)[1] for c in project["classifiers"]
             if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    script = (ROOT / ".ci" / "other-pythons").read_text()
    others = re.search(r"^VERSIONS=\(([^)]*)\)", script, re.M).group(1).split()
    lowest = re.search(r"^LOWEST=(\S+)", script, re.M).group(1)
    assert named == {"3.11", *others} and len(others) == len(named) - 1
    assert lowest == min(named, key=lambda v: int(v.split(".")[1])) in others
    assert "bash .ci/other-pythons" in (ROOT / ".ci" / "run").read_text()


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


def _needs() -> set[str]:
    """The files and folders of the checkout that the tests read, as they name them: ``ROOT / "bench"``."""
    chain = re.compile(r'\bROOT((?: / "[^"]+")+)')
    found = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for m in chain.finditer(path.read_text()):
            found.add("/".join(re.findall(r'"([^"]+)"', m.group(1))))
    return found


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """What a copy of the checkout leaves out: what builds, tests and git keep, and virtual environments."""
    kept = {".git", "build", "dist", "__pycache__", ".hypothesis", ".pytest_cache"}
    return {n for n in names
            if n in kept or n.endswith(".egg-info") or os.path.exists(os.path.join(folder, n, "pyvenv.cfg"))}


def test_the_sdist_holds_what_its_tests_read_and_they_pass_in_it(tmp_path) -> None:
    """An sdist runs its own tests: built as ``python -m build --sdist`` builds it, unpacked, it has every file
    the tests name, and the tests of the recorded outputs and of the benchmark programs pass in it."""
    import tarfile
    from importlib import metadata

    try:
        metadata.version("build")  # in the test extra; a folder build/ of the checkout is no such package
    except metadata.PackageNotFoundError:
        pytest.skip("needs the build package (pip install build)")
    # built from a copy: setuptools adds the files of an earlier build's gradcli.egg-info/SOURCES.txt, which
    # would hide a file MANIFEST.in leaves out
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=_not_sources)
    proc = subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(checkout)],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    sdist, = (tmp_path / "dist").glob("gradcli-*.tar.gz")
    with tarfile.open(sdist) as tar:  # the "data" filter where this Python has it (3.14 makes it the default)
        tar.extractall(tmp_path / "src", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    tree, = (tmp_path / "src").iterdir()
    needs = _needs()
    assert {"bench", "examples", "man", "README.md"} <= {n.split("/")[0] for n in needs}, needs
    needs |= {"tests/golden", "tests/cases/public.json"} | set(readme_links())  # and what the README links to
    missing = sorted(n for n in needs if (ROOT / n).exists() and not (tree / n).exists())  # docs/, once written
    assert not missing, f"the sdist lacks {missing}"
    git = shutil.which("git")
    tracked = subprocess.run([git, "ls-files", "tests", "bench", "examples", "man"], cwd=ROOT, capture_output=True,
                             text=True) if git else None
    if tracked and tracked.returncode == 0:  # a checkout, not itself an unpacked sdist: every file of those folders
        left_out = sorted(n for n in tracked.stdout.splitlines() if not (tree / n).exists())
        assert not left_out, f"the sdist lacks {left_out}"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    tests = ["tests/test_golden.py", "tests/test_bench.py::test_generated_programs_are_the_same_each_time_and_agree_"
             "with_the_tape"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary


def test_the_project_urls_lead_to_its_home() -> None:
    tomllib = pytest.importorskip("tomllib")
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert set(urls) >= {"Homepage", "Documentation", "Issues", "Source"}
    home = urls["Homepage"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", home), home
    assert all(u == home or u.startswith(home + "/") or u.startswith(home + "#") for u in urls.values()), urls
    assert urls["Issues"] == home + "/issues"


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)[^)]*\)|^\[[^\]]+\]:\s*(\S+)", re.M)  # [text](target), [label]: target


def readme_links() -> dict[str, set[str]]:
    """The links of README.md and docs/*.md to files of the project: target (from the checkout's top) -> where."""
    found: dict[str, set[str]] = {}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)  # code holds no links
        text = re.sub(r"`[^`\n]*`", "", text)
        for m in LINK.finditer(text):
            target = (m.group(1) or m.group(2)).split("#")[0]
            if not target or re.match(r"[a-z][a-z0-9+.-]*:", target):  # an anchor, https:, mailto:
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(page.relative_to(ROOT)), target))
            found.setdefault(path, set()).add(page.name)
    return found


def test_readme_links_to_the_project_are_relative_and_lead_to_its_files() -> None:
    """Relative links work in a checkout and an unpacked sdist, off GitHub, as a link into github.com would
    not; each must lead to a file or folder that is there."""
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for page in pages:
        text = page.read_text()
        assert not re.search(r"\]\(https://github\.com/gradcli/gradcli/(blob|tree)/", text), page.name
    missing = {target: where for target, where in readme_links().items() if not (ROOT / target).exists()}
    assert not missing, missing

