"""Streams and signals: a full disk, a closed or broken stdout, unreadable input, control characters in
echoed text. Each runs gradcli as its own process with real file descriptors, as a shell would."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import ROOT, clean_env, run
from gradcli.errors import visible

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file descriptors, pipes and signals")

SEED = "exp(x1)*(x1**2+x2**2)**3"
# about 2,100 nodes: with --max-rows 0 every format prints well over a 64 KiB pipe buffer
BIG = "+".join(f"sin({i}*x)" for i in range(1, 700))


def env() -> dict[str, str]:
    """The caller's environment without its terminal settings, and UTF-8 streams: the same bytes anywhere."""
    return clean_env(PYTHONIOENCODING="utf-8")


def gradcli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gradcli", *args]


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_text(BIG)
    return path


def outputs(big: Path) -> list[list[str]]:
    """Small and large outputs in every format."""
    return [
        ["reverse", SEED, "--at", "0,2"],
        ["reverse", SEED, "--at", "0,2", "--format", "json"],
        ["graph", SEED, "--at", "0,2", "--dot"],
        ["forward", "-f", str(big), "--at", "1", "--max-rows", "0"],
        ["forward", "-f", str(big), "--at", "1", "--format", "json"],
        ["forward", "-f", str(big), "--at", "1", "--format", "markdown", "--max-rows", "0"],
        ["reverse", "-f", str(big), "--at", "1", "--format", "latex", "--max-rows", "0"],
        ["graph", "-f", str(big), "--at", "1", "--format", "dot"],
    ]


def test_the_large_outputs_exceed_a_pipe_buffer(big: Path) -> None:
    for args in outputs(big)[3:]:
        proc = subprocess.run(gradcli(*args), capture_output=True, env=env(), cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert len(proc.stdout) > 4 * 65536, args


def assert_one_clean_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert len(text.splitlines()) == 1, text
    return text.strip()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_is_one_line_and_exit_1(big: Path) -> None:
    for args in outputs(big) + [["--help"], ["--version"], ["reverse", "--help"]]:
        with open("/dev/full", "wb") as full:
            proc = subprocess.run(gradcli(*args), stdout=full, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
        assert proc.returncode == 1, (args, proc.stderr)
        assert assert_one_clean_line(proc.stderr) == f"error: cannot write the output: {os.strerror(28)}", args


def test_a_reader_that_leaves_early_ends_gradcli_quietly_with_141(big: Path) -> None:
    for args in outputs(big):
        proc = subprocess.Popen(gradcli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
        first = proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        stderr = proc.stderr.read()
        proc.wait()
        assert first, args
        assert stderr == b"", (args, stderr.decode())
        # a small output may be written whole before the reader leaves; a large one cannot
        assert proc.returncode in ((0, 141) if "-f" not in args else (141,)), args


def test_a_reader_that_left_before_anything_was_written(big: Path) -> None:
    """The output is then written when Python flushes stdout at exit, or at the end of the command."""
    for args in outputs(big)[:3] + [["--help"], ["--version"], ["reverse", "--help"]]:
        read, write = os.pipe()
        os.close(read)
        try:
            proc = subprocess.run(gradcli(*args), stdout=write, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
        finally:
            os.close(write)
        assert proc.stderr == b"", (args, proc.stderr.decode())
        assert proc.returncode == 141, args


def test_a_broken_pipe_on_stdout_and_stderr_together() -> None:
    """``gradcli ... 2>&1 | head -1``, with a warning on stderr after the output."""
    proc = subprocess.Popen(gradcli("graph", "abs(x)+" + BIG, "--at", "0", "--dot"), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env(), cwd=ROOT)
    assert proc.stdout.readline().startswith(b"digraph")
    proc.stdout.close()
    assert proc.wait() == 141


def test_errors_keep_their_exit_code_when_stderr_is_gone() -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        for args, code in ((["reverse", "2x", "--at", "1"], 2), (["reverse", "log(x)", "--at", "-1"], 1),
                           (["reverse", "x", "--at", "1", "--format", "xml"], 2)):
            proc = subprocess.run(gradcli(*args), stdout=subprocess.PIPE, stderr=write, env=env(), cwd=ROOT)
            assert proc.returncode == code, args
    finally:
        os.close(write)


def closed(redirect: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """gradcli run by the shell with one stream closed: ``>&-``, ``<&-`` or ``2>&-``."""
    script = f'exec "$@" {redirect}'
    return subprocess.run(["sh", "-c", script, "sh", *gradcli(*args)], env=env(), cwd=ROOT, **kwargs)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "latex", "dot", "mermaid", "svg"])
def test_a_closed_stdout_is_one_line_and_exit_1(fmt: str) -> None:
    command = "graph" if fmt in ("dot", "mermaid", "svg") else "reverse"
    proc = closed(">&-", command, SEED, "--at", "0,2", "--format", fmt, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert assert_one_clean_line(proc.stderr) == "error: cannot write the output: standard output is closed"


def test_help_and_version_to_a_closed_stdout_fail_too() -> None:
    for args in (["--version"], ["reverse", "--help"]):
        proc = closed(">&-", *args, stderr=subprocess.PIPE)
        assert proc.returncode == 1, args
        assert assert_one_clean_line(proc.stderr) == "error: cannot write the output: standard output is closed"


def test_errors_still_win_over_a_closed_stdout() -> None:
    proc = closed(">&-", "reverse", "2x", "--at", "1", stderr=subprocess.PIPE)
    assert proc.returncode == 2 and b"write 2*x" in proc.stderr and b"Traceback" not in proc.stderr


def test_a_closed_stderr_changes_nothing_else() -> None:
    proc = closed("2>&-", "graph", "abs(x)", "--at", "0", "--dot", stdout=subprocess.PIPE)
    assert proc.returncode == 0 and proc.stdout.startswith(b"digraph")
    assert closed("2>&-", "reverse", "2x", "--at", "1", stdout=subprocess.PIPE).returncode == 2


def assert_read_error(proc: subprocess.CompletedProcess, says: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert assert_one_clean_line(proc.stderr) == f"error: {says}"


def test_a_closed_stdin_is_a_clean_exit_2() -> None:
    for args in (["reverse", "-", "--at", "1"], ["reverse", "-f", "-", "--at", "1"]):
        proc = closed("<&-", *args, capture_output=True)
        assert_read_error(proc, "cannot read standard input: it is closed")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="no /proc/self/mem")
def test_a_file_that_fails_to_read_is_a_clean_exit_2() -> None:
    """/proc/self/mem opens, and reading it at offset 0 fails (EIO): the error comes from read(), not open()."""
    proc = subprocess.run(gradcli("reverse", "-f", "/proc/self/mem", "--at", "1"), capture_output=True, env=env(),
                          cwd=ROOT)
    assert_read_error(proc, f"cannot read /proc/self/mem: {os.strerror(5)}")
    memory = os.open("/proc/self/mem", os.O_RDONLY)  # as stdin: gradcli reverse - < /proc/self/mem
    try:
        proc = subprocess.run(gradcli("reverse", "-", "--at", "1"), stdin=memory, capture_output=True, env=env(),
                              cwd=ROOT)
    finally:
        os.close(memory)
    assert_read_error(proc, f"cannot read standard input: {os.strerror(5)}")


def test_a_directory_is_a_clean_exit_2(tmp_path) -> None:
    proc = subprocess.run(gradcli("reverse", "-f", str(tmp_path), "--at", "1"), capture_output=True, env=env(),
                          cwd=ROOT)
    assert proc.returncode == 2
    assert str(tmp_path) in assert_one_clean_line(proc.stderr.splitlines()[-1]) and b"directory" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_a_file_without_read_permission_is_a_clean_exit_2(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x**2")
    secret.chmod(0)
    proc = subprocess.run(gradcli("reverse", "-f", str(secret), "--at", "1"), capture_output=True, env=env(),
                          cwd=ROOT)
    assert proc.returncode == 2
    assert str(secret) in assert_one_clean_line(proc.stderr.splitlines()[-1]) and b"readable" in proc.stderr


def test_a_fifo_and_dev_stdin_still_work(tmp_path) -> None:
    expected = subprocess.run(gradcli("reverse", "x*y**2", "--at", "3,2", "--format", "json"), capture_output=True,
                              env=env(), cwd=ROOT).stdout
    assert b'"gradient": {"x": 4.0, "y": 12.0}' in expected
    fifo = tmp_path / "program"
    os.mkfifo(fifo)
    proc = subprocess.Popen(gradcli("reverse", "-f", str(fifo), "--at", "3,2", "--format", "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:  # wait for gradcli to open the FIFO, but not forever if it never does
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:
            if e.errno != errno.ENXIO or proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    os.set_blocking(writer, True)
    os.write(writer, b"x*y**2")
    os.close(writer)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == expected
    if os.path.exists("/dev/stdin"):
        proc = subprocess.run(gradcli("reverse", "-f", "/dev/stdin", "--at", "3,2", "--format", "json"),
                              input=b"x*y**2", capture_output=True, env=env(), cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected


# control sequences a terminal obeys: set the window title, red background, clear the screen (CSI as one C1
# character), a carriage return that overwrites the line, a bell, and a right-to-left override
TITLE, RED, CLEAR, BIDI = "\x1b]0;pwned\x07", "\x1b[41m", "\u009b2J", "\u202e"


def invisible(text: str) -> set[str]:
    """The characters a terminal would not simply print."""
    return {c for c in text if not c.isprintable() and c != "\n"}


@pytest.fixture
def mem_link(tmp_path) -> Path:
    """A file name with a control sequence in it, naming a file that opens but fails to read."""
    if not os.path.exists("/proc/self/mem"):
        pytest.skip("no /proc/self/mem")
    link = tmp_path / f"mem{TITLE}"
    link.symlink_to("/proc/self/mem")
    return link


@pytest.mark.parametrize("args,shown", [
    (["forward", "x**2", "--at", "1", "--wrt", f"x,{TITLE}"], r"'\x1b]0;pwned\x07' is not an input"),
    (["forward", "x**2", "--at", "1", "--wrt", RED], r"'\x1b[41m' is not an input"),
    (["reverse", f"x**2 + {TITLE}", "--at", "1"], r"x**2 + \x1b]0;pwned\x07"),
    (["reverse", f"x**2 +{BIDI} x", "--at", "1"], r"x**2 +\u202e x"),
    (["reverse", "x*y", "--at", "x=1,y=log(\r-1)"], r"the value log(\r-1) is undefined"),
    (["reverse", "x*y", "--at", f"1{CLEAR}"], r"--at 1\x9b2J"),
    (["reverse", "x", "--at", "1", f"extra{TITLE}"], r"extra\x1b]0;pwned\x07"),
    (["reverse", "x", "--at", "1", "--format", TITLE], r"\x1b]0;pwned\x07"),
    (["reverse", "x", "--at", "1", f"--wat{TITLE}"], r"--wat\x1b]0;pwned\x07"),
    (["reverse", "x", "--at", "1", "-f", f"/nonexistent{TITLE}"], r"/nonexistent\x1b]0;pwned\x07"),
    ([f"reverse{TITLE}", "x", "--at", "1"], r"reverse\x1b]0;pwned\x07"),
])
def test_user_text_in_error_messages_is_shown_escaped(args: list[str], shown: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert invisible(result.output) == set(), result.output
    assert shown in result.output


def test_file_names_in_read_errors_are_shown_escaped(mem_link: Path) -> None:
    result = run("reverse", "-f", str(mem_link), "--at", "1")
    assert result.exit_code == 2 and invisible(result.output) == set()
    folder = str(mem_link.parent)
    assert result.stderr == rf"error: cannot read {folder}/mem\x1b]0;pwned\x07: {os.strerror(5)}" + "\n"


def test_the_caret_stays_under_an_escaped_character() -> None:
    result = run("reverse", f"x\x07 + 1{RED}", "--at", "1")
    assert result.stderr.splitlines()[:3] == [
        r"  x\x07 + 1\x1b[41m",
        r"   ^^^^",
        r"error: unexpected character '\x07' (at column 2)",
    ]
    result = run("reverse", f"(x + 1{BIDI}) * y", "--at", "1")
    line, caret = result.stderr.splitlines()[:2]
    assert line[caret.index("^"):].startswith(r"\u202e") and caret.count("^") == len(r"\u202e")


def pty_run(*args: str) -> bytes:
    """gradcli with stdout and stderr on a terminal, where click strips nothing and rich writes colour."""
    pty = pytest.importorskip("pty")
    tty = pytest.importorskip("tty")
    master, slave = pty.openpty()
    tty.setraw(slave)  # no \n -> \r\n translation: the bytes as gradcli wrote them
    try:
        proc = subprocess.Popen(gradcli(*args), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env(),
                                cwd=ROOT)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=60)
    finally:
        os.close(master)
    return out


@pytest.mark.parametrize("args", [
    ["forward", "x**2", "--at", "1", "--wrt", f"x,{RED}{TITLE}"],
    ["reverse", "x", "--at", "1", f"extra{RED}"],
    ["reverse", "x", "--at", "1", f"--wat{RED}"],
    ["reverse", f"x**2 + {RED}", "--at", "1"],
    ["reverse", f"y = x**2 # {RED}{TITLE}{CLEAR}\nz = y\r", "--at", "1"],  # a result: the table leaves comments out
])
def test_a_terminal_gets_no_control_sequence_from_user_text(args: list[str]) -> None:
    out = pty_run(*args)
    assert out, "nothing was written"
    for raw in (RED, TITLE, "\x07", "\r", CLEAR):
        assert raw.encode() not in out, (raw, out)
    if "#" not in args[1]:  # an error message: it shows what was typed, escaped
        assert rb"\x1b[41m" in out, out


SOURCES = [
    f"y = x**2 # {TITLE} {RED} {CLEAR} {BIDI} \u2028 \x85\nz = y + x",
    "x**2 \r+\tx\f-\v1",
]


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "latex", "dot", "mermaid", "svg"])
@pytest.mark.parametrize("source", SOURCES)
def test_results_show_no_control_characters(fmt: str, source: str) -> None:
    drawing = fmt in ("dot", "mermaid", "svg")
    result = run("graph" if drawing else "reverse", source, "--at", "2", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert invisible(result.stdout) == set(), result.stdout
    if fmt == "json":
        import json

        assert json.loads(result.stdout)["source"] == source


@given(st.text())
def test_visible_text_has_nothing_a_terminal_would_obey(text: str) -> None:
    shown = visible(text)
    assert shown.isprintable()
    assert shown == text if text.isprintable() else shown != text
    assert visible(text, "\n").split("\n") == [visible(line) for line in text.split("\n")]
    # each invisible character becomes the escape Python writes for it in a string literal
    if not set(text) & set("\\'\""):
        assert shown == repr(text)[1:-1]


def test_the_file_option_with_its_value_attached(tmp_path) -> None:
    program = tmp_path / "prog.txt"
    program.write_text("y = x*w**2\n")
    separate = run("reverse", "-f", str(program), "--at", "w=3,x=2", "--format", "json")
    assert separate.exit_code == 0, separate.output
    for args in (["-f" + str(program)], ["--file=" + str(program)], ["--file", str(program)]):
        result = run("reverse", *args, "--at", "w=3,x=2", "--format", "json")
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout == separate.stdout
    assert run("reverse", "-f-", "--at", "w=3,x=2", "--format", "json", input="y = x*w**2\n").stdout \
        == separate.stdout
    both = run("reverse", "x", "-f" + str(program), "--at", "1")
    assert both.exit_code == 2 and "not both" in both.output


def test_an_expression_that_starts_with_minus_f_follows_a_double_dash() -> None:
    result = run("reverse", "--at", "f=2,x=3", "--format", "json", "--", "-f*x")
    assert result.exit_code == 0, result.output
    assert '"gradient": {"f": -3.0, "x": -2.0}' in " ".join(result.stdout.split())
    assert "does not exist" in run("reverse", "-f*x", "--at", "f=2,x=3").output  # -fFILE, as for any program


def test_the_docs_list_these_exit_codes() -> None:
    text = (ROOT / "docs" / "json.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert any(f"`error: cannot write the output: {os.strerror(28)}`" in row for row in rows)
    assert "| 141 |" in text


@pytest.mark.parametrize("args", [["reverse", "-fa\x00b", "--at", "1"],
                                  ["reverse", "x*y", "--at", "x=1", "--data", "a\x00b"]])
def test_a_file_name_with_a_nul_byte_is_a_bad_value(args: list[str]) -> None:
    """Only a program calling gradcli in process can pass one (the system refuses it in argv): exit 2, no
    traceback."""
    from click.testing import CliRunner

    from gradcli.cli import cli

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and result.exception is not None and isinstance(result.exception, SystemExit)
    *_, error = result.output.splitlines()  # the same words on every Python, whose own message differs
    assert error.startswith("Error: Invalid value for") and "Traceback" not in result.output
    assert error.endswith("'a\\x00b' is not a file name: it holds a NUL byte")
