"""The command line: parse options, call the engine, hand the trace to a renderer. No maths here."""

from __future__ import annotations

import errno
import functools
import io
import os
import sys
from typing import Callable, NamedTuple, NoReturn

import click

from . import __version__, api, limits
from .errors import GradcliError, OutputError, UsageError, escape, visible
from .render import DRAWN, PICTURES, View, formats, render, table_lines

SLICE = 1 << 16  # characters per write of a long output
EXAMPLE = 'gradcli reverse "exp(x1)*(x1**2+x2**2)**3" --at 0,2'


class _Path(click.Path):
    """click's Path, with a name the system refuses to look up (one holding a NUL byte, which only a program
    calling gradcli in process can pass) told as a bad value, not raised, in words of our own: Python's own
    message differs between versions and calls ("embedded null byte", "stat: embedded null character in
    path")."""

    def convert(self, value, param, ctx):
        name = os.fsdecode(value) if isinstance(value, bytes) else str(value)
        if "\0" in name:
            self.fail(f"'{visible(name)}' is not a file name: it holds a NUL byte", param, ctx)
        try:
            return super().convert(value, param, ctx)
        except ValueError as e:
            self.fail(f"'{visible(name)}' is not a file name: {e}", param, ctx)


class ExprCommand(click.Command):
    """A command whose expression may start with a minus: ``gradcli reverse "-x**2" --at 1``. A short option
    with its value attached stays that option (``-fprog.txt``); an expression such as ``-f*x`` goes after ``--``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self.protect(args))

    def protect(self, args: list[str]) -> list[str]:
        takes_value = set()
        flags = set()
        for p in self.params:
            if isinstance(p, click.Option):
                (flags if p.is_flag or p.count else takes_value).update(p.opts + p.secondary_opts)
        flags.update(("-h", "--help"))
        out: list[str] = []
        expression = None
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                out.extend(args[i:])
                break
            if a in takes_value:
                out.extend(args[i:i + 2])
                i += 2
                continue
            if a[:2] in takes_value and not a.startswith("--"):
                out.append(a)  # -fFILE: a short option with its value attached, as getopt reads it
                i += 1
                continue
            if expression is None and a.startswith("-") and len(a) > 1 and not a.startswith("--") and a not in flags:
                expression = a  # "-x**2" or "-1": an expression, not an option
            else:
                out.append(a)
            i += 1
        if expression is not None:
            if "--" in out:
                out.insert(out.index("--") + 1, expression)
            else:
                out += ["--", expression]
        return out

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command's own options first, as declared, then the input and display options every command shares,
        in _SHARED's order, and --help."""
        options = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        own = [p for p in options if p.name not in _SHARED and "--help" not in p.opts]
        shared = sorted((p for p in options if p not in own), key=lambda p: _SHARED.index(p.name) if p.name in _SHARED
                        else len(_SHARED))
        for title, params in (("Options", own), ("Input and display options", shared)):
            rows = [r for r in (p.get_help_record(ctx) for p in params) if r is not None]
            if rows:
                with formatter.section(title):
                    # a narrow terminal keeps two thirds of its width for the help: a longer option goes on a
                    # line of its own
                    formatter.write_dl(rows, col_max=min(30, formatter.width // 3))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command's examples: a line on what each shows, then the command as it is typed."""
        examples = _EXAMPLES.get(self.name, ())
        if examples:
            with formatter.section("Examples"):
                for k, (says, typed) in enumerate(examples):
                    if k:
                        formatter.write_paragraph()
                    formatter.write_text(says)
                    with formatter.indentation():
                        for line in typed.splitlines():
                            formatter.write(f"{'':>{formatter.current_indent}}{line}\n")
        super().format_epilog(ctx, formatter)


class Shown(NamedTuple):
    """How to show a result: the display options every command shares."""

    fmt: str = "table"
    width: int | None = None
    ascii: bool = False
    max_rows: int = 200
    digits: int = 0
    brief: bool = False


class Given(NamedTuple):
    """What every command is given: the expression (or -f FILE) and the options on how to read it."""

    expr: str | None
    file: str | None
    prefix: str
    share: bool
    let: str | None
    output: str | None
    shape: str | None = None
    as_written: bool = False

    def source(self) -> str:
        return _read_source(self.expr, self.file)

    def problem(self) -> dict:
        """The keyword arguments of the Python API that say how to read the source."""
        return {"prefix": self.prefix, "share": self.share, "let": self.let, "output": self.output,
                "shape": self.shape, "as_written": self.as_written}


# the parameters _options adds: in a command's --help they come after its own options, in this order (how to read
# the input, then how to show the result), then --help
_SHARED = ("file", "let", "outputs", "shape", "prefix", "no_share", "as_written",
           "fmt", "digits", "brief", "width", "ascii_", "max_rows")


def _options(formats: tuple[str, ...], brief: bool = False) -> Callable:
    """The options every command shares; the display options reach the command as one ``view``. ``brief``:
    the command also takes --brief."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def command(expr, file, prefix, no_share, as_written, fmt, width, ascii_, max_rows, digits, outputs, let,
                    shape, **kwargs):
            given = Given(expr, file, prefix, not no_share, let, outputs, shape, as_written)
            shown = Shown(fmt, width, ascii_, max_rows, digits or 0, bool(kwargs.pop("brief", False)))
            return fn(given=given, shown=shown, **kwargs)

        decorators = [
            click.argument("expr", required=False, metavar="EXPR"),
            click.option("-f", "--file", "file", type=_Path(exists=True, dir_okay=False, allow_dash=True),
                         help="Read the expression or program from FILE ('-' for standard input)."),
            click.option("--format", "fmt", type=click.Choice(formats), default="table", show_default=True,
                         help="Output format."),
            click.option("--prefix", default="c", show_default=True, metavar="NAME",
                         help="Letter of the generated node ids (c1, c2, ...)."),
            click.option("--no-share", "no_share", is_flag=True,
                         help="Do not merge identical subexpressions: the tree form, each occurrence its own node."),
            click.option("--as-written", "as_written", is_flag=True,
                         help="Keep each named step of a program as one node, as written (c4 = c1**2 + c2**2), its "
                              "local partials derived from its body (∂c4/∂c1 = 2·c1)."),
            click.option("--width", type=click.IntRange(20, 10000), metavar="COLUMNS",
                         help="Width of the tables, 20 to 10000 (default: $COLUMNS, else the terminal's)."),
            click.option("--ascii", "ascii_", is_flag=True,
                         help="Plain ASCII: c3_dot, c3_bar, * and grad instead of ċ3, c̄3, · and ∇."),
            click.option("--max-rows", type=click.IntRange(0), default=200, show_default=True, metavar="N",
                         help="Show at most N rows of a table, the first and the last (0: all)."),
            click.option("--let", "let", metavar="VALUES",
                         help="Hold these names constant at these values, e.g. --let x=2,y=3: shown by name, never "
                              "differentiated."),
            click.option("--shape", "shape", metavar="SHAPES",
                         help="Inputs that are arrays, without values (graph without --at), e.g. --shape "
                              "W=2x3,x=3; a value in brackets, --at x=[1,2], gives its shape itself."),
            click.option("--output", "outputs", metavar="NAMES",
                         help="The output, a named step, where the program has several (jacobian: the outputs, "
                              "e.g. s1,s2)."),
            click.option("--digits", type=click.IntRange(1, 17), metavar="N",
                         help="Round the numbers shown to N significant digits, 1 to 17 (default: every digit; "
                              "JSON always has every digit)."),
        ]
        if brief:
            decorators.append(click.option(
                "--brief", "brief", is_flag=True,
                help="Only the answer and the tables a sheet asks for: no evaluation trace, no prose on the method "
                     "(JSON is the same with or without it)."))
        for d in reversed(decorators):
            command = d(command)
        return command

    return decorate


def _at_option(required: bool) -> Callable:
    help_ = ("The point: values in the inputs' order (--at 0,2) or by name (--at x1=0,x2=2); "
             "constant expressions such as pi/4 are allowed.")
    return click.option("--at", "at", metavar="POINT", help=help_ + (" Required." if required else ""))


def _reports_errors(fn: Callable) -> Callable:
    """Print a GradcliError as its message (with a caret) and exit with its code: never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as e:  # click's own words for options that do not go together or a value out of range
            if e.option is None:
                raise click.UsageError(str(e)) from None
            raise click.BadParameter(str(e), param_hint=f"'{e.option}'") from None
        except GradcliError as e:
            _fail(e)

    return wrapper


def _fail(e: GradcliError) -> NoReturn:
    if isinstance(e, OutputError):
        _discard(sys.stdout)
    if not (isinstance(e, OutputError) and e.broken_pipe):  # the reader left: nobody wants to hear about it
        _err(e.render())
    sys.exit(e.exit_code)


def _err(text: str) -> None:
    """Write a message to standard error, user text in it escaped; if that fails too, nobody is left to tell
    and the exit code says it."""
    try:
        click.echo(visible(text, "\n"), err=True)
    except OSError:
        _discard(sys.stderr)


def _discard(stream) -> None:
    """Point a stream that cannot be written at /dev/null, so the flush at exit neither fails nor prints
    "Exception ignored"; what is still buffered for it is dropped there."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no stream, or one in memory (tests run in-process)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _flush_stdout() -> None:
    """Write what is still buffered now, while a failure can be reported, rather than at interpreter exit."""
    if sys.stdout is None:  # the shell closed it: gradcli reverse ... >&-
        raise OutputError("standard output is closed")
    try:
        sys.stdout.flush()
    except OSError as e:
        raise OutputError.of(e) from None


def _read_source(expr: str | None, file: str | None) -> str:
    text = _read_bytes(expr, file)
    return text if isinstance(text, str) else _decode(text)


def _read_bytes(expr: str | None, file: str | None, limit: str = "source_bytes", what: str = "-f"):
    """The expression's text as given, or the bytes of -f FILE or of standard input, read within ``limit``."""
    if expr is not None and file is not None:
        raise click.UsageError("give the expression either as EXPR or with -f FILE, not both")
    if file is not None and file != "-":
        try:
            with open(file, "rb") as f:
                return limits.read(f, f"{what} {file}", limit)
        except OSError as e:  # it passed click's checks, yet reading it failed: /proc/self/mem, a vanished file
            raise GradcliError(f"cannot read {file}: {e.strerror or e}") from None
    if expr is None and file is None:
        raise click.UsageError(f"give an expression, for example: {EXAMPLE}")
    if expr == "-" or file == "-":
        stdin = sys.stdin
        if stdin is None:  # gradcli reverse - <&-
            raise GradcliError("cannot read standard input: it is closed")
        what = "standard input" if what == "-f" else f"{what} - (standard input)"
        try:
            if hasattr(stdin, "buffer"):
                return limits.read(stdin.buffer, what, limit)
            return limits.text(stdin.read(limits.value(limit) + 1), what, limit).encode()
        except OSError as e:  # gradcli reverse - < /proc/self/mem, a disk that fails
            raise GradcliError(f"cannot read standard input: {e.strerror or e}") from None
    return expr


def _decode(data: bytes) -> str:
    """Text from a file or standard input; bytes that are not UTF-8 become U+FFFD, which the parser
    then points at with a caret."""
    return data.decode("utf-8-sig", errors="replace")


def _data_options(fn: Callable, row: bool = True) -> Callable:
    """--data, --reduce and --row: the expression is one sample's loss, summed over a data file's rows."""
    decorators = [
        click.option("--data", "data", type=_Path(exists=True, dir_okay=False, allow_dash=True), metavar="FILE",
                     help="A CSV file with a header ('-': standard input): each row is one sample, its columns "
                          "constants the expression reads; the loss is summed over the rows."),
        click.option("--reduce", type=click.Choice(("sum", "mean")), default="sum", show_default=True,
                     help="With --data: the total loss is the sum of the samples' losses, or their mean."),
        click.option("--row", "row", type=click.IntRange(1), metavar="K",
                     help="With --data: show the tables for sample K, from 1 (default: the first)."),
    ][: 3 if row else 2]
    for d in reversed(decorators):
        fn = d(fn)
    return fn


def _data(data: str | None, given: Given):
    """--data: the path for the Python API to read, or the table read from standard input; None without it."""
    if data == "-":
        if given.file == "-" or given.expr == "-":
            raise click.UsageError("only one of the expression and --data can come from standard input")
        from .api import decode_data, read_data

        return read_data("standard input", decode_data(_read_bytes("-", None, "data_bytes", "--data"),
                                                       "standard input"))
    return data


def _unicode(shown: Shown) -> bool:
    """Unicode where the output takes it (ċ3, c̄3, ∇), else ASCII."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return not shown.ascii and encoding.startswith("utf")


def _show(result, shown: Shown) -> None:
    """Hand the result to the renderer of the chosen format; only here does output reach the terminal."""
    _flush_stdout()  # fails at once if there is no stdout at all
    out = _Visible(_json_escape if shown.fmt == "json" else escape)
    view = result.view._replace(fmt=shown.fmt, unicode=_unicode(shown), max_rows=shown.max_rows, digits=shown.digits,
                                brief=shown.brief)
    try:
        _render(result, out, view, shown.width)
        out.flush()
    except OSError as e:  # a write failed halfway: the disk filled up or the reader left
        raise OutputError.of(e) from None
    _flush_stdout()


class _Visible:
    """Standard output for the renderers that write plain text: user text in it (a comment in JSON's
    "source") shows its control characters escaped, in the format's own escapes where it has them.

    Writes are gathered and passed on in slices of SLICE characters: many small writes cost an append each,
    and a pipe's reader that leaves in the middle of one long write makes it return a short count, which
    Python's buffered streams do not report; the next slice then raises BrokenPipeError."""

    def __init__(self, escape: Callable[[str], str]) -> None:
        self.escape = escape
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= SLICE:
            self.flush()
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        text = visible("".join(self.parts), "\n", self.escape)
        self.parts, self.size = [], 0
        for i in range(0, len(text), SLICE):
            sys.stdout.write(text[i:i + SLICE])


def _json_escape(c: str) -> str:
    """A character as a JSON string escape: \\u009b."""
    from json.encoder import encode_basestring_ascii

    return encode_basestring_ascii(c)[1:-1]


def _reader_left() -> NoReturn:
    raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def _render(result, out: _Visible, view: View, width: int | None) -> None:
    if view.fmt != "table":
        render(result, out, view)
        if view.fmt in PICTURES:  # a drawing has no place for prose: the warnings go to standard error
            for w in result.warnings:
                _err(f"warning: {w}")
        return
    view = view._replace(width=_width(width))
    if _surely_plain():  # a pipe or a file: plain text, through _Visible like every other format
        render(result, out, view)
        return
    from rich.console import Console

    # a height too, or rich ignores the width on a terminal it takes for dumb (TERM=dumb)
    console = Console(file=sys.stdout, width=view.width, height=25, highlight=False, emoji=False, markup=False,
                      safe_box=True)
    if not console.is_terminal:
        render(result, out, view)
        return
    # rich writes colour codes of its own to a terminal, so the styled table cannot pass through _Visible; its
    # user text is the source with the comments left out and the blanks collapsed, and names, which are
    # identifiers
    from rich.text import Text

    console.on_broken_pipe = _reader_left  # rich's own handler exits 1
    for line in table_lines(result, view):
        console.print(Text.assemble(*line), soft_wrap=True)  # laid out already: rich must not wrap or crop


def _surely_plain() -> bool:
    """Whether standard output is a pipe or a file that rich too would take for no terminal: nothing forces
    one (FORCE_COLOR, TTY_COMPATIBLE=1). The table then goes out as plain text without importing rich, which
    is about a fifth of a small command's whole process (BENCHMARKS.md); anything less sure is left to rich."""
    if "FORCE_COLOR" in os.environ or os.environ.get("TTY_COMPATIBLE") == "1":
        return False
    try:
        return not sys.stdout.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream: rich says no terminal too
        return True


def _width(option: int | None) -> int:
    """The width of the tables: --width, else $COLUMNS, else the terminal's, else 80; at least 20."""
    if option is not None:
        return option
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return max(20, min(10000, int(text)))
    try:
        return max(20, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (AttributeError, OSError, ValueError):
        return 80


class _Captured(io.StringIO):
    """Where click writes its error message for _err to show it."""

    def isatty(self) -> bool:
        return True  # or click would strip escape sequences in the user's text rather than let _err show them


class Gradcli(click.Group):
    """The group of commands; it also reports click's own errors and the failure to write help or version."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
            _flush_stdout()
        except GradcliError as e:
            _fail(e)
        except click.ClickException as e:
            text = _Captured()
            e.show(text)
            _err(text.getvalue().rstrip("\n"))
            code = e.exit_code
        except click.Abort as e:  # click's own reading of Ctrl-C (KeyboardInterrupt) or of an end of input
            interrupted = isinstance(e.__cause__ or e.__context__, KeyboardInterrupt)
            _err("interrupted" if interrupted else "Aborted!")
            code = 130 if interrupted else 1
        except KeyboardInterrupt:  # Ctrl-C outside click's call of the command: 130, as a shell reports SIGINT
            _err("interrupted")
            code = 130
        except OSError as e:  # click's own output (--help) could not be written
            _fail(OutputError.of(e))
        sys.exit(code if isinstance(code, int) else 0)

    # click turns a broken pipe while it prints --help or --version into exit 1; these two calls are where
    # it prints them (options of the group, and of a command)
    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError as e:
            raise OutputError.of(e) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError as e:
            raise OutputError.of(e) from None


@click.group(cls=Gradcli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="gradcli")
def cli() -> None:
    """Check a gradient by hand: computational graph, forward-mode tangents and reverse-mode adjoints,
    every step shown.

    \b
      gradcli forward "exp(x1)*(x1**2+x2**2)**3" --at 0,2
      gradcli reverse "exp(x1)*(x1**2+x2**2)**3" --at 0,2
      gradcli graph   "exp(x1)*(x1**2+x2**2)**3" --dot | dot -Tsvg > graph.svg
    """


# each command's --help ends with these: what an example shows, then the command as typed (a line ending in a
# backslash goes on on the next); "exit N" in the first says the exit code. A test runs every one.
_SEED = '"exp(x1)*(x1**2+x2**2)**3" --at 0,2'
_EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "forward": (
        ("The evaluation trace, then a tangent table for each input:", f"gradcli forward {_SEED}"),
        ("One sweep along the direction d = (1, 1), giving ∇f·d:",
         'gradcli forward "x*y + sin(x)" --at 1,2 --direction 1,1'),
    ),
    "reverse": (
        ("The evaluation trace, then the adjoint table and the whole gradient:", f"gradcli reverse {_SEED}"),
        ("A program keeps its names; --symbolic adds each row in symbols:",
         'gradcli reverse "z = w*x; L = -log(sigmoid(z))" \\\n    --at w=1,x=2 --symbolic'),
    ),
    "graph": (
        ("Every node with its operands, value and adjoint:", f"gradcli graph {_SEED}"),
        ("Graphviz DOT, each edge with its local partial, drawn as a PNG:",
         'gradcli graph "x*y + sin(x)" --at 1,2 --dot \\\n    | dot -Tpng > g.png'),
    ),
    "jacobian": (
        ("Two outputs, one reverse sweep (a row of J) per output:", 'gradcli jacobian "x*y, x + y" --at 1,2'),
        ("softmax's Jacobian, diag(s) − s·sᵀ, column by column:",
         'gradcli jacobian "s = softmax(z)" --at "z=[1,2,3]" \\\n    --mode forward'),
    ),
    "hessian": (
        ("A saddle: the eigenvalues have both signs:", 'gradcli hessian "x**2 - y**2" --at 0,0'),
        ("Rosenbrock's function at its minimum, positive definite:",
         'gradcli hessian "(1 - x)**2 + 100*(y - x**2)**2" \\\n    --at 1,1 --brief'),
    ),
    "check": (
        ("A derived derivative, proved equal (exit 0):", 'gradcli check "s = sig(g)" --claim "s*(1 - s)"'),
        ("A chain rule stopped one edge early: different, with a counterexample and the likely mistake (exit 1):",
         'gradcli check "sin(x**2)" --claim "cos(x**2)"'),
    ),
    "gradcheck": (
        ("Central differences beside reverse mode's gradient:", f"gradcli gradcheck {_SEED}"),
        ("A gradient derived by hand, one partial wrong (exit 1: ∂f/∂y is x² = 1):",
         'gradcli gradcheck "x**2*y" --at 1,2 --claim 2,2'),
    ),
    "descend": (
        ("Ten steps of gradient descent with α = 0.05:", 'gradcli descend "x**2 + 10*y**2" --at 1,1 --lr 0.05'),
        ("Adam, 20 steps, only the parameters and the loss:",
         'gradcli descend "x**2 + 10*y**2" --at 1,1 \\\n    --optimizer adam --steps 20 --brief'),
    ),
    "grade": (
        ("Grade a filled reverse-mode table (from the repository's examples/; exit 1: 15 of 16):",
         f"gradcli grade {_SEED} \\\n    examples/grade/ada-mfml3.txt"),
        ("Several students: a gradebook row (CSV) each (exit 1):",
         f"gradcli grade {_SEED} \\\n    examples/grade/ada-mfml3.txt \\\n    examples/grade/eve-renumbered.txt"),
    ),
    "worksheet": (
        ("A blank reverse-mode table to fill, as grade reads it back:", f"gradcli worksheet {_SEED}"),
        ("Its answer key, as LaTeX:", 'gradcli worksheet "x*y + sin(x)" --at 1,2 --key \\\n    --format latex'),
    ),
    "plot": (
        ("A heatmap with contour lines over x and y:", 'gradcli plot "x**2 + 3*y**2" --x x=-2:2 --y y=-1:1'),
        ("A curve for each value of a:", 'gradcli plot "a*x**2" --x x=-2:2 --vary a=0.5,1,2'),
    ),
}


_SYMBOLIC = click.option("--symbolic", "symbolic_", is_flag=True,
                         help="Also each row in symbols: in the nodes' names, then in the inputs, simplified; and "
                              "the gradient in closed form.")
_TIME_LIMIT = click.option("--time-limit", "time_limit", type=click.FloatRange(0), default=10.0, show_default=True,
                           metavar="SECONDS",
                           help="Give sympy at most SECONDS (0: no limit); what it has not finished by then stays "
                                "numeric, and a warning says which.")
_STANDALONE = click.option("--standalone", is_flag=True,
                           help="With --format latex: a whole document that compiles (a title, the problem, the "
                                "graph as a figure, the tables), not a fragment.")


def _standalone(standalone: bool, shown: Shown) -> dict:
    """--standalone for the Python API; only LaTeX has it."""
    if standalone and shown.fmt != "latex":
        raise GradcliError("--standalone is for LaTeX output: add --format latex")
    return {"standalone": True} if standalone else {}


_EXACT = click.option("--exact", is_flag=True,
                      help="Also each value, tangent and adjoint exactly (the point's decimals as fractions, pi and "
                           "e as symbols), beside the float.")


@cli.command(cls=ExprCommand, short_help="Forward mode: one tangent table per input, then ∇f.")
@_at_option(required=True)
@_options(formats("forward"), brief=True)
@click.option("--wrt", metavar="NAMES", help="Seed only these inputs, e.g. --wrt x1,x2 (default: all).")
@click.option("--cost", is_flag=True, help="Also count the sweeps and the products of local partials they made.")
@click.option("--direction", metavar="VECTOR",
              help="One sweep along this direction instead, e.g. --direction 1,0: gives ∇f·d.")
@click.option("--scalar", is_flag=True,
              help="With arrays, one row per entry (W1[1,2]) instead of one per array (ċ1 (2×1) = …).")
@_SYMBOLIC
@_EXACT
@_TIME_LIMIT
@_STANDALONE
@_data_options
@_reports_errors
def forward(given, shown, at, wrt, cost, direction, scalar, symbolic_, exact, time_limit, standalone, data, reduce,
            row) -> None:
    """Forward mode: the evaluation trace, then one tangent table per input (or one along --direction). With
    arrays, one row per array in matrix notation (--scalar: one per entry). With --data, the tables of one
    sample, then every sample's loss and gradient, and their sum."""
    data = _data(data, given)
    _show(api.forward(given.source(), at, wrt=wrt, direction=direction, symbolic=symbolic_, exact=exact, data=data,
                      reduce=reduce, row=row, cost=cost, scalar=scalar, time_limit=time_limit,
                      **_standalone(standalone, shown), **given.problem()), shown)


@cli.command(cls=ExprCommand, short_help="Reverse mode: the adjoint table, then ∇f from one sweep.")
@_at_option(required=True)
@_options(formats("reverse"), brief=True)
@click.option("--cost", is_flag=True, help="Also count the sweep and the products of local partials it made.")
@click.option("--wrt", metavar="NAMES",
              help="Only these inputs are variables, the others held at their values from --at, e.g. --wrt w,b.")
@click.option("--scalar", is_flag=True,
              help="With arrays, one row per entry (W1[1,2]) instead of one per array (W̄1 (2×2) = …).")
@_SYMBOLIC
@_EXACT
@_TIME_LIMIT
@_STANDALONE
@_data_options
@_reports_errors
def reverse(given, shown, at, cost, wrt, scalar, symbolic_, exact, time_limit, standalone, data, reduce, row) -> None:
    """Reverse mode: the evaluation trace, then the adjoint table from the output back to the inputs. With
    arrays, one row per array in matrix notation (--scalar: one per entry). With --data, the tables of one
    sample, then every sample's loss and gradient, and their sum."""
    data = _data(data, given)
    _show(api.reverse(given.source(), at, wrt=wrt, symbolic=symbolic_, exact=exact, data=data, reduce=reduce,
                      row=row, cost=cost, scalar=scalar, time_limit=time_limit, **_standalone(standalone, shown),
                      **given.problem()), shown)


@cli.command(cls=ExprCommand, short_help="The computational graph: nodes and edges, or a drawing (DOT, Mermaid, SVG).")
@_at_option(required=False)
@_options(formats("graph"))
@click.option("--dot", "as_dot", is_flag=True, help="Graphviz DOT (the same as --format dot).")
@click.option("--adjoints/--no-adjoints", default=None,
              help="With --at, also show each node's adjoint (default: on for tables and DOT, off for JSON).")
@click.option("--wrt", metavar="NAMES",
              help="With --at, also show each node's tangent for these inputs, one forward sweep each, "
                   "e.g. --wrt x1,x2.")
@click.option("--tangents", is_flag=True, help="With --at, also show each node's tangent for every input "
                                                "(or for those of --wrt).")
@click.option("--no-edge-labels", "no_edge_labels", is_flag=True,
              help="DOT, Mermaid or SVG without the local partial on each edge (shown by default).")
@click.option("--scalar", is_flag=True,
              help="With arrays, the table and the drawings with a node per entry (W1[1,2]) instead of one per "
                   "array (h (2×1) = …).")
@click.option("--rankdir", type=click.Choice(("LR", "TB")), default="LR", show_default=True,
              help="DOT, Mermaid, SVG: the graph drawn left to right (LR) or top to bottom (TB), inputs first.")
@_STANDALONE
@_reports_errors
def graph(given, shown, at, as_dot, adjoints, wrt, tangents, no_edge_labels, scalar, rankdir, standalone) -> None:
    """The computational graph: nodes and edges, or Graphviz DOT with --dot (--format mermaid: a Mermaid
    flowchart; --format svg: an SVG gradcli draws itself); with --at, values and adjoints, and tangents with
    --wrt or --tangents. Each edge of a drawing carries its local partial."""
    if as_dot:
        shown = shown._replace(fmt="dot")
    for given_, option in ((wrt is not None, "--wrt"), (tangents, "--tangents")):
        if given_ and at is None:
            raise GradcliError(f"{option} needs a point to take tangents at: add --at, e.g. --at 0,2")
    if no_edge_labels and shown.fmt not in DRAWN:
        raise GradcliError("--no-edge-labels is for a drawing of the graph: add --dot, or --format mermaid, svg "
                           "or html")
    if adjoints is None:
        adjoints = None if shown.fmt != "json" else False
    if rankdir != "LR" and shown.fmt not in DRAWN:
        raise GradcliError("--rankdir is for a drawing of the graph: add --dot, or --format mermaid, svg or "
                           "html")
    _show(api.graph(given.source(), at, adjoints=adjoints, wrt=wrt, tangents=tangents,
                    edge_labels=not no_edge_labels, scalar=scalar, rankdir=rankdir, **_standalone(standalone, shown),
                    **given.problem()), shown)


@cli.command(cls=ExprCommand, short_help="The Jacobian of several outputs: forward by columns or reverse by rows.")
@_at_option(required=True)
@_options(formats("jacobian"), brief=True)
@click.option("--mode", type=click.Choice(("forward", "reverse")), default="reverse", show_default=True,
              help="forward: one sweep per input, a column each; reverse: one sweep per output, a row each.")
@click.option("--cost", is_flag=True, help="Also count the sweeps and the products of local partials they made.")
@_reports_errors
def jacobian(given, shown, at, mode, cost) -> None:
    """The Jacobian of a program's outputs (a last step s1, s2, s3, or --output): forward mode builds it column
    by column, one sweep per input; reverse mode row by row, one sweep per output; each sweep's table shown."""
    _show(api.jacobian(given.source(), at, mode=mode, cost=cost, **given.problem()), shown)


@cli.command(cls=ExprCommand, short_help="The Hessian by forward over reverse, its eigenvalues and what they say.")
@_at_option(required=True)
@_options(formats("hessian"), brief=True)
@click.option("--direction", metavar="VECTOR", help="One direction only, e.g. --direction 1,0: the Hessian times d.")
@click.option("--wrt", metavar="NAMES", help="Only these inputs, the others held at their values (a loss's data), "
                                             "e.g. --wrt phi0,phi1.")
@_SYMBOLIC
@_EXACT
@_TIME_LIMIT
@_data_options
@_reports_errors
def hessian(given, shown, at, direction, wrt, symbolic_, exact, time_limit, data, reduce, row) -> None:
    """The Hessian by forward over reverse: the adjoints, then along each input the tangents and the tangent of
    every adjoint; the matrix, its symmetry, its eigenvalues, and whether the point is a minimum, a maximum
    or a saddle. With --data, those of one sample, then the Hessian of the loss summed over the samples."""
    data = _data(data, given)
    _show(api.hessian(given.source(), at, direction=direction, wrt=wrt, symbolic=symbolic_, exact=exact, data=data,
                      reduce=reduce, row=row, time_limit=time_limit, **given.problem()), shown)


@cli.command(cls=ExprCommand, short_help="Check a derived formula for a derivative: proved, different or undecided.")
@_options(formats("check"))
@click.option("--claim", "claims", multiple=True, required=True, metavar="FORMULA",
              help="The derived derivative, one per input in order ([a, b] or a, b, or --claim repeated); names "
                   "are the inputs and the program's steps.")
@click.option("--wrt", metavar="NAMES", help="The inputs, or named steps, the claims are derivatives in "
                                              "(default: every input, in order).")
@_at_option(required=False)
@click.option("--time-limit", "time_limit", type=click.FloatRange(0), default=10.0, show_default=True,
              metavar="SECONDS", help="Give sympy at most SECONDS (0: no limit); a claim it has not decided by then "
                                      "is compared at random points in doubles: undecided, or different.")
@_reports_errors
def check(given, shown, claims, wrt, at, time_limit) -> None:
    """Check derived formulas for derivatives against the true ones: exit 0 when sympy proves each equal, 1 with
    a counterexample when one is different, 3 when sympy cannot decide and random points agree."""
    checked = api.check(given.source(), list(claims), wrt=wrt, at=at, time_limit=time_limit, **given.problem())
    _show(checked, shown)
    sys.exit(checked.exit_code)


@cli.command(cls=ExprCommand, short_help="A finite-difference check of the gradient, or of one derived by hand.")
@_at_option(required=True)
@_options(formats("gradcheck"), brief=True)
@click.option("--claim", metavar="NUMBERS",
              help="A gradient derived by hand, checked instead of reverse mode's: numbers in the inputs' order or "
                   "by name, e.g. --claim 64,192 or --claim x2=192.")
@click.option("--wrt", metavar="NAMES", help="Only these inputs (default: every input).")
@click.option("--step", type=click.FloatRange(0, 0.1, min_open=True), metavar="H",
              help="The relative step h, as h·max(1, |x|) (default: ε^(1/3) ≈ 6.06e-6, where a central difference "
                   "is most accurate).")
@_reports_errors
def gradcheck(given, shown, at, claim, wrt, step) -> None:
    """Central differences (f(x + h) − f(x − h))/2h beside reverse mode's partials (or --claim's), their
    relative error |a − n|/max(|a|, |n|) and CS231n's reading of it; a step that crosses a kink is told. Exit 0,
    or 1 where a partial is probably wrong (relative error above 1e-2)."""
    checked = api.gradcheck(given.source(), at, claim=claim, wrt=wrt, step=step, **given.problem())
    _show(checked, shown)
    sys.exit(checked.exit_code)


@cli.command(cls=ExprCommand, short_help="Gradient descent step by step: SGD, momentum, Nesterov, Adam.")
@_at_option(required=True)
@_options(formats("descend"), brief=True)
@click.option("--lr", type=float, default=0.1, show_default=True, metavar="ALPHA", help="The learning rate α.")
@click.option("--steps", type=click.IntRange(0), default=10, show_default=True, metavar="N",
              help="How many steps to take.")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "nesterov", "adam"]),
              help="sgd: φ ← φ − α·∇L. momentum: m ← β·m + (1 − β)·∇L, φ ← φ − α·m. nesterov: the same with the "
                   "gradient at φ − α·β·m. adam: m as momentum, v ← γ·v + (1 − γ)·(∇L)², "
                   "φ ← φ − α·m̂/(√v̂ + ε) with m̂ = m/(1 − β^(t+1)), v̂ = v/(1 − γ^(t+1)). Default: sgd, or "
                   "momentum with --momentum.")
@click.option("--momentum", type=click.FloatRange(0, 1, max_open=True), metavar="BETA",
              help="β of momentum, nesterov and adam (default 0.9; m starts at 0). Alone it means --optimizer "
                   "momentum.")
@click.option("--gamma", type=click.FloatRange(0, 1, max_open=True), default=0.999, show_default=True,
              metavar="GAMMA", help="Adam's γ, the decay of the mean squared gradient v.")
@click.option("--epsilon", type=click.FloatRange(0, min_open=True), default=1e-8, show_default=True, metavar="EPS",
              help="Adam's ε, added to √v̂.")
@click.option("--weight-decay", "decay", type=click.FloatRange(0, 1, max_open=True), default=0.0, metavar="LAMBDA",
              help="Weight decay λ: φ ← (1 − λ)·φ − α·∇L, the steps of an L2 term λ/(2α)·Σφ² in the loss; "
                   "with the other optimizers decoupled from m and v.")
@click.option("--until-grad", "until", type=click.FloatRange(0, min_open=True), metavar="EPS",
              help="Stop early where the gradient's length falls to EPS, e.g. 1e-8.")
@click.option("--wrt", metavar="NAMES",
              help="Only these inputs are parameters, the others held at their values from --at, e.g. --wrt w,b.")
@click.option("--batch", type=click.IntRange(1), metavar="K",
              help="With --data: each step's loss is over the next K samples, in the file's order (K = 1: SGD).")
@click.option("--shuffle", type=click.IntRange(0), metavar="SEED",
              help="With --batch: each pass over the samples in a new order, drawn from SEED (the same on every "
                   "run).")
@click.option("--plot", "plot_", is_flag=True,
              help="After the table, the path drawn over the loss's surface (one or two parameters) and the loss "
                   "per step; the table format only (gradcli plot --path draws a descent's JSON, and to a file).")
@functools.partial(_data_options, row=False)
@_reports_errors
def descend(given, shown, at, lr, steps, optimizer, momentum, gamma, epsilon, decay, until, wrt, batch, shuffle,
            plot_, data, reduce) -> None:
    """Gradient descent from --at: a row per step with the parameters, the loss, its gradient, the optimizer's
    moments and the update; the loss is the expression, or its sum (--reduce mean: its mean) over the rows of
    --data. A descent that runs for more than a second shows its progress on stderr, where that is a terminal."""
    data = _data(data, given)
    result = api.descend(given.source(), at, lr=lr, steps=steps, optimizer=optimizer, momentum=momentum, gamma=gamma,
                         epsilon=epsilon, weight_decay=decay, until_grad=until, wrt=wrt, batch=batch, shuffle=shuffle,
                         data=data, reduce=reduce, progress=_progress(), **given.problem())
    picture = None
    if plot_ and shown.fmt == "table":
        names = result.inputs
        if len(names) > 2:
            raise click.UsageError(f"--plot draws one or two parameters; this descent has {len(names)} "
                                   f"({', '.join(names)}): choose two with --wrt")
        from .render.plot import picture_size

        cols, lines = picture_size(_width(shown.width), len(names) == 1)
        problem = dict(given.problem(), shape=None)
        picture = api.plot(given.source(), names[0], names[1] if len(names) > 1 else None, path=result,
                           grid=f"{cols}x{lines * 2}", data=data, reduce=reduce, **problem)
    _show(result, shown)
    if picture is not None:
        click.echo()
        _show_picture(picture, shown)


@cli.command(cls=ExprCommand, short_help="Grade a student's filled table cell by cell, with follow-through.")
@_at_option(required=True)
@_options(formats("grade"))
@click.argument("submissions", nargs=-1, metavar="SUBMISSION...")
@click.option("--mode", type=click.Choice(("forward", "reverse")),
              help="Grade the table as forward mode (tangents) or reverse mode (adjoints); default: the mode the "
                   "cells are written in.")
@click.option("--wrt", metavar="NAMES", help="Forward mode: the sweeps graded, e.g. --wrt x1 (default: the "
                                              "[sweep x1] headings, else every input).")
@click.option("--follow-through", "follow", type=click.Choice(("full", "half", "none")), default="full",
              show_default=True, help="Credit for a cell right given the student's own earlier, wrong, cells.")
@click.option("--points", type=click.FloatRange(0, min_open=True), metavar="TOTAL",
              help="Scale the score to TOTAL points (default: one point per cell).")
@click.option("--tolerance", type=click.FloatRange(0, 1, min_open=True), metavar="REL",
              help="A relative tolerance for every number (default: half a unit of the last digit written).")
@click.option("--map", "mapping", metavar="PAIRS",
              help="The student's names for the problem's cells, e.g. --map a=c3,b=c4, where the definitions "
                   "written do not match them.")
@click.option("--student", metavar="NAME", help="The student's name (default: a '# student: NAME' comment, "
                                                 "else the file's name).")
@_TIME_LIMIT
@_reports_errors
def grade(given, shown, at, submissions, mode, wrt, follow, points, tolerance, mapping, student, time_limit) -> None:
    """Grade a student's filled forward or reverse table: each value, tangent or adjoint and the gradient
    against the key and against the cell recomputed from the student's own earlier cells. Only a cell wrong
    given the student's own inputs is charged, and diagnosed; one that follows from an earlier mistake is
    marked so. SUBMISSION is a file ('-': standard input), one cell per line (c6 = c4 + c5 = 0 + 4 = 4), or CSV
    cell,rule,value. A program in vectors and matrices (--shape) is graded in reverse mode a row of its tables
    at a time (h = [2, 4], W_bar = [[1, 0.5], [-2, -1]]). Several files: one gradebook row (CSV) each, or a JSON
    object per line. Exit 0 for full marks, 1 otherwise, 2 for an unreadable submission."""
    paths = list(submissions)
    if given.file is not None and given.expr is not None:
        paths.insert(0, given.expr)
        given = given._replace(expr=None)
    if not paths:
        raise click.UsageError("give the student's submission: a file, or - for standard input")
    source = given.source()
    options = dict(mode=mode, wrt=wrt, follow_through=follow, points=points, tolerance=tolerance, map=mapping,
                   time_limit=time_limit, **given.problem())
    if len(paths) == 1:
        result = _graded(source, at, paths[0], student, options)
        _show(result, shown)
        sys.exit(result.exit_code)
    import json

    code = 0
    out = _Visible(_json_escape if shown.fmt == "json" else escape)
    first = True
    for path in paths:
        try:
            result = _graded(source, at, path, student, options)
        except GradcliError as e:
            if isinstance(e, UsageError):
                raise
            _err(e.render())
            code = 2
            continue
        if shown.fmt == "json":
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            text = result.render("csv")
            out.write(text if first else text.split("\n", 1)[1])
        first = False
        code = max(code, result.exit_code)
    try:
        out.flush()
    except OSError as e:
        raise OutputError.of(e) from None
    _flush_stdout()
    sys.exit(code)


@cli.command(cls=ExprCommand, short_help="A worksheet to fill by hand, with the cell names grade reads; or its key.")
@_at_option(required=False)
@_options(formats("worksheet"))
@click.option("--mode", type=click.Choice(("forward", "reverse")), default="reverse", show_default=True,
              help="The table to fill: reverse mode (adjoints) or forward mode (tangents).")
@click.option("--wrt", metavar="NAMES", help="Forward mode: the sweeps on the sheet, e.g. --wrt x1 (default: every "
                                              "input).")
@click.option("--given", "handed", metavar="WHAT", help="What the sheet gives away: values (the evaluation trace's numbers), "
                                               "rules (every row's rule), or both: --given values,rules.")
@click.option("--names", metavar="PAIRS", help="The sheet's names for the problem's nodes, e.g. --names a=c3,b=c4 "
                                                "(grade reads them back with --map a=c3,b=c4).")
@click.option("--seed", type=click.IntRange(0), metavar="N",
              help="Draw the point from N instead of --at: a different point per student, the same on every run.")
@click.option("--key", is_flag=True, help="The answer key: every cell filled, with its rule and numbers.")
@_STANDALONE
@_reports_errors
def worksheet(given, shown, at, mode, wrt, handed, names, seed, key, standalone) -> None:
    """A worksheet for forward or reverse mode: the problem, its graph, and every cell grade reads (values,
    tangents or adjoints, the gradient), blank, named as grade reads them; --key fills them in. The text format
    (the default) is a submission: fill it in and grade it with gradcli grade. A program in vectors and
    matrices (--shape) gets a cell per row of its tables, in reverse mode."""
    problem = given.problem()
    _show(api.worksheet(given.source(), at, mode=mode, wrt=wrt, given=handed, names=names, seed=seed, key=key,
                        **_standalone(standalone, shown), **problem), shown)


def _graded(source: str, at, path: str, student, options: dict):
    """One submission graded; a line of it that cannot be read is shown with the file's name."""
    from .errors import GradcliSyntaxError

    text = _submission(path)
    try:
        return api.grade(source, at, text, student=student, named=_student(path), **options)
    except GradcliSyntaxError as e:
        if e.source == text.lstrip("\ufeff"):
            e.prefix = f"{'standard input' if path == '-' else path}, "
        raise


def _submission(path: str) -> str:
    """A submission's text; where it cannot be read, an error naming it."""
    data = _read_bytes(None, path, "source_bytes", "SUBMISSION")
    return data if isinstance(data, str) else _decode(data)


def _student(path: str) -> str | None:
    """The student's name from the file's: ada.txt is ada; None for standard input (a comment may name them)."""
    if path == "-":
        return None
    return os.path.splitext(os.path.basename(path))[0] or None


_PICTURE_FILES = (".png", ".svg", ".pdf")


@cli.command(cls=ExprCommand, short_help="The function over a grid: a heatmap with contours, or curves; a file too.")
@_options(formats("plot"))
@click.option("--x", "x", metavar="NAME=LO:HI", help="The input along the x axis and its range, e.g. --x phi0=-3:3 "
                                                    "(with --path the range may be left out: the path's).")
@click.option("--y", "y", metavar="NAME=LO:HI", help="The input along the y axis and its range, e.g. --y phi1=-3:3; "
                                                    "without it, a curve along --x.")
@click.option("--vary", metavar="NAME=V1,V2,...", help="Without --y: a curve for each value of this input, e.g. "
                                                       "--vary phi1=0.5,1,2.")
@click.option("--grid", "grid", metavar="N[xM]", help="Points per axis for --format json and --save (default 200); "
                                                      "the terminal picture has one per character.")
@click.option("--path", "path", type=_Path(exists=True, dir_okay=False, allow_dash=True), metavar="FILE",
              help="A descent's JSON (gradcli descend --format json): its path drawn over the surface, and the "
                   "loss per step.")
@click.option("-o", "--save", "save", metavar="FILE", help="Also write the picture to FILE, .png, .svg or .pdf "
                                                           "(needs matplotlib: pip install 'gradcli[plot]').")
@functools.partial(_data_options, row=False)
@_reports_errors
def plot(given, shown, x, y, vary, grid, path, save, data, reduce) -> None:
    """The function over a grid of two inputs (--x, --y) as a heatmap with contour lines, the grid's minimum
    marked X, or along one input (--x) as a curve, a family of them with --vary; every other input held with
    --let. With --data, the loss summed (--reduce mean: averaged) over the rows at each point. In colour where
    the terminal has it, else in characters; --save FILE writes a PNG, SVG or PDF. A point where the function is
    undefined is a gap."""
    problem = given.problem()
    if given.output is not None and given.output.lower().endswith(_PICTURE_FILES):
        if save is not None:
            raise click.UsageError("give the picture's file once: --save FILE")
        save, problem["output"] = given.output, None  # --output loss.png: the file, not a named step
    if x is None:
        raise click.UsageError("--x NAME=LO:HI is required, e.g. --x phi0=-3:3")
    descent = None
    if path is not None:
        import json

        text = _decode(_read_bytes(None, path, "data_bytes", "--path"))
        try:
            descent = json.loads(text)
        except ValueError as e:
            raise click.UsageError(f"--path {path}: not JSON ({e})") from None
    data = _data(data, given)
    width = _width(shown.width)
    if grid is None and shown.fmt == "table" and save is None:
        from .render.plot import picture_size

        cols, lines = picture_size(width, y is None)
        grid = f"{cols}x{lines * 2}"
    result = api.plot(given.source(), x, y, vary=vary, grid=grid, path=descent, data=data, reduce=reduce,
                      **problem)
    if save is not None:
        result.save(save)
    _show_picture(result, shown)


def _show_picture(result, shown: Shown) -> None:
    """A plot in the terminal: in colour where the console has it (half blocks), else in characters."""
    if shown.fmt != "table":
        _show(result, shown)
        return
    width = _width(shown.width)
    if _surely_plain():
        console = None
    else:
        from rich.console import Console

        console = Console(file=sys.stdout, width=width, height=25, highlight=False, emoji=False, markup=False)
    if console is None or not console.is_terminal or console.no_color or console.color_system is None:
        # a pipe, a file, NO_COLOR or a dumb terminal: the character ramp, as plain text
        _flush_stdout()
        out = _Visible(escape)
        view = result.view._replace(width=width, unicode=_unicode(shown))
        try:
            render(result, out, view)
            out.flush()
        except OSError as e:
            raise OutputError.of(e) from None
        _flush_stdout()
        return
    from rich.text import Text

    from .render.plot import terminal

    console.on_broken_pipe = _reader_left
    _flush_stdout()
    try:
        for line in terminal(result.record, width, True, _unicode(shown)):
            console.print(Text.assemble(*line), soft_wrap=True)
    except OSError as e:
        raise OutputError.of(e) from None


def _progress():
    """A callback that keeps one line on stderr up to date, "step 4,096 of 100,000", where stderr is a terminal;
    None elsewhere (a pipe or a file gets nothing)."""
    if not sys.stderr.isatty():
        return None

    def show(t, steps) -> None:
        if t is None:
            sys.stderr.write("\r\033[K")
        else:
            sys.stderr.write(f"\rstep {t:,} of {steps:,}")
        sys.stderr.flush()

    return show


def main() -> None:
    # a terminal that cannot show a character (θ on a Latin-1 console) gets an escape, not a crash
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    cli(prog_name="gradcli")
