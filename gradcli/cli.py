"""The command line: parse options, call the engine, hand the trace to a renderer. No maths here."""

from __future__ import annotations

import errno
import contextvars
import functools
import io
import math
import os
import sys
from typing import Callable, NamedTuple, NoReturn

import click

from . import __version__
from .errors import GradcliError, GradcliSyntaxError, OutputError, escape, visible
from .graph import Graph, graph_of

SLICE = 1 << 16  # characters per write of a long output
EXAMPLE = 'gradcli reverse "exp(x1)*(x1**2+x2**2)**3" --at 0,2'


class _Path(click.Path):
    """click's Path, with a name the system refuses to look up (one holding a NUL byte, which only a program
    calling gradcli in process can pass) told as a bad value, not raised."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except ValueError as e:
            self.fail(f"'{visible(str(value))}' is not a file name: {e}", param, ctx)


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


class View(NamedTuple):
    """How to show a result: the shared display options of every command."""

    fmt: str = "table"
    width: int | None = None
    ascii: bool = False
    max_rows: int = 200
    digits: int = 0
    cost: bool = False
    edge_labels: bool = True


def _options(formats: tuple[str, ...]) -> Callable:
    """The options every command shares; the display options reach the command as one ``view``."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def command(fmt, width, ascii_, max_rows, digits, outputs, let, **kwargs):
            OUTPUTS.set(outputs)
            LET.set(let)
            COLUMNS.set(())
            AT_NAMES.set(None)
            return fn(view=View(fmt, width, ascii_, max_rows, digits or 0), **kwargs)

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
            click.option("--width", type=click.IntRange(20, 10000), metavar="COLUMNS",
                         help="Width of the tables, 20 to 10000 (default: $COLUMNS, else the terminal's)."),
            click.option("--ascii", "ascii_", is_flag=True,
                         help="Plain ASCII: c3_dot, c3_bar, * and grad instead of ċ3, c̄3, · and ∇."),
            click.option("--max-rows", type=click.IntRange(0), default=200, show_default=True, metavar="N",
                         help="Show at most N rows of a table, the first and the last (0: all)."),
            click.option("--let", "let", metavar="VALUES",
                         help="Hold these names constant at these values, e.g. --let x=2,y=3: shown by name, never "
                              "differentiated."),
            click.option("--output", "outputs", metavar="NAMES",
                         help="The output, a named step, where the program has several (jacobian: the outputs, "
                              "e.g. s1,s2)."),
            click.option("--digits", type=click.IntRange(1, 17), metavar="N",
                         help="Round the numbers shown to N significant digits, 1 to 17 (default: every digit; "
                              "JSON always has every digit)."),
        ]
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
    if expr is not None and file is not None:
        raise click.UsageError("give the expression either as EXPR or with -f FILE, not both")
    if file is not None and file != "-":
        try:
            with open(file, "rb") as f:
                return _decode(f.read())
        except OSError as e:  # it passed click's checks, yet reading it failed: /proc/self/mem, a vanished file
            raise GradcliError(f"cannot read {file}: {e.strerror or e}") from None
    if expr is None and file is None:
        raise click.UsageError(f"give an expression, for example: {EXAMPLE}")
    if expr == "-" or file == "-":
        stdin = sys.stdin
        if stdin is None:  # gradcli reverse - <&-
            raise GradcliError("cannot read standard input: it is closed")
        try:
            return _decode(stdin.buffer.read()) if hasattr(stdin, "buffer") else stdin.read()
        except OSError as e:  # gradcli reverse - < /proc/self/mem, a disk that fails
            raise GradcliError(f"cannot read standard input: {e.strerror or e}") from None
    return expr


def _decode(data: bytes) -> str:
    """Text from a file or standard input; bytes that are not UTF-8 become U+FFFD, which the parser
    then points at with a caret."""
    return data.decode("utf-8-sig", errors="replace")


OUTPUTS: contextvars.ContextVar[str | None] = contextvars.ContextVar("outputs", default=None)  # --output
LET: contextvars.ContextVar[str | None] = contextvars.ContextVar("let", default=None)  # --let
COLUMNS: contextvars.ContextVar[tuple] = contextvars.ContextVar("columns", default=())  # --data's columns
AT_NAMES: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("at_names", default=None)  # --wrt holds


def _held_names() -> tuple[str, ...]:
    """The names --let holds constant."""
    from .parse import normal_name
    from .point import split_top

    names: list[str] = []
    text = LET.get()
    if text is not None:
        for start, part in split_top(text):
            name, eq, _ = part.partition("=")
            if not eq or not name.strip():
                raise GradcliSyntaxError("--let takes name=value pairs, e.g. --let x=2,y=3", text, start,
                                         max(1, len(part)), "--let ")
            names.append(normal_name(name.strip()))
    return tuple(names)


def _point(at: str | None, graph: Graph, option: str = "--at") -> dict[str, float]:
    """The point: --at for the inputs, --let for the constants held."""
    from .point import bind

    names = AT_NAMES.get() or graph.names  # with reverse --wrt, --at still gives every input of the expression
    _not_held(at, graph, option)
    try:
        point = bind(at, names, option)
    except GradcliSyntaxError as e:
        columns = COLUMNS.get()
        if columns and any(n not in columns for n in names):
            unread = [c for c in columns if c not in graph.data_names]
            e.message += (f"; the data's columns are {', '.join(columns)}"
                          + (f" ({', '.join(unread)} not read by the expression)" if unread else ""))
            e.args = (e.message,)
        raise
    return {**point, **_let(graph)}


def _not_held(text: str | None, graph: Graph, option: str) -> None:
    """A name given with --at (or --let) that a data file's column already gives, or --let holds: one clear error."""
    from .parse import normal_name
    from .point import split_top

    if text is None:
        return
    columns = COLUMNS.get()
    lets = _let_names(graph) if option == "--at" else ()
    for start, part in split_top(text):
        name, eq, _ = part.partition("=")
        name = normal_name(name.strip())
        if not eq:
            continue
        if name in columns and name in graph.data_names:
            raise GradcliSyntaxError(f"'{name}' is a column of the data: each sample gives its value; rename the "
                                     f"column or the name in the expression", text, start, max(1, len(part)),
                                     option + " ")
        if name in lets:
            raise GradcliSyntaxError(f"'{name}' is held constant by --let: give it there or here, not both", text,
                                     start, max(1, len(part)), option + " ")


def _let(graph: Graph) -> dict[str, float]:
    """The values --let gives the constants it holds."""
    from .point import bind

    let = LET.get()
    if let is None:
        return {}
    _not_held(let, graph, "--let")
    return bind(let, _let_names(graph), "--let")


def _let_names(graph: Graph) -> tuple[str, ...]:
    """The names --let holds: the held names that are neither a data file's columns nor inputs --wrt left out."""
    at = AT_NAMES.get() or ()
    return tuple(n for n in graph.data_names if n not in COLUMNS.get() and n not in at)


def _graph(expr: str | None, file: str | None, prefix: str, no_share: bool, several: bool = False,
           wrt: str | None = None) -> Graph:
    """The graph of the expression or program; where it has several outputs and the command takes one, an
    error that says which to pick. With ``wrt``, the other inputs are held at their values (--at gives them)."""
    source = _read_source(expr, file)
    held = _held_names()
    graph = graph_of(source, prefix, share=not no_share, outputs=OUTPUTS.get(), held=held, columns=COLUMNS.get())
    if wrt is not None:
        chosen = _wrt(wrt, graph.names)
        AT_NAMES.set(graph.names)
        others = tuple(n for n in graph.names if n not in chosen)
        graph = graph_of(source, prefix, share=not no_share, outputs=OUTPUTS.get(), held=held + others,
                         columns=COLUMNS.get())
    if not graph.names:
        columns = [n for n in graph.data_names if n in COLUMNS.get()]
        why = [f"{', '.join(columns)} {'is a column' if len(columns) == 1 else 'are columns'} of the data"] \
            if columns else []
        lets = [n for n in graph.data_names if n not in columns]
        why += [f"--let holds {', '.join(lets)}"] if lets else []
        raise GradcliError(f"every name the expression reads is held constant ({'; '.join(why)}): nothing is left "
                           "to differentiate; rename a column, or give the variables with --at instead of --let")
    if not several and len(graph.outputs) > 1:
        names = ", ".join(graph.nodes[o].id for o in graph.outputs)
        raise GradcliError(f"this program has {len(graph.outputs)} outputs ({names}): gradcli jacobian shows them "
                           f"all; pick one here with --output {graph.nodes[graph.outputs[0]].id}")
    return graph


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


def _table(data: str | None, file: str | None, expr: str | None):
    """The data file read, its columns set to be held constant; None without --data."""
    if data is None:
        return None
    from .data import read_table

    if data == "-" and (file == "-" or expr == "-"):
        raise click.UsageError("only one of the expression and --data can come from standard input")
    if data == "-":
        text = _read_source("-", None)
        source = "standard input"
    else:
        text = _read_source(None, data)
        source = data
    table = read_table(text, source)
    COLUMNS.set(table.columns)
    return table


def _over_data(trace, table, reduce: str, row: int | None, mode: str, at: dict[str, float], wrt=None):
    """The trace of one sample (--row), with every sample's loss and gradient and their total."""
    from .data import column_notes, summed

    notes: list[str] = column_notes(table, trace.graph)
    total = summed(trace.graph, at, table, reduce, row, mode, wrt, notes)
    return trace._replace(summed=total, warnings=[*trace.warnings, *notes])


def _sample(run: Callable, table, k: int):
    """The worked trace of sample k; a math error there says which sample it is."""
    from .data import at_sample
    from .errors import MathError

    try:
        return run()
    except MathError as e:
        raise at_sample(e, table, k) from None


def _notation(view: View):
    """The text style for this output: Unicode where the output takes it, else ASCII; --digits."""
    from .printer import TextStyle

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return TextStyle(unicode=not view.ascii and encoding.startswith("utf"), digits=view.digits)


def _show(trace, view: View) -> None:
    """Hand the trace to the renderer of the chosen format; only here does output reach the terminal."""
    _flush_stdout()  # fails at once if there is no stdout at all
    out = _Visible(_json_escape if view.fmt == "json" else escape)
    try:
        _render(trace, out, view)
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


def _render(trace, out: _Visible, view: View) -> None:
    fmt = view.fmt
    if fmt == "json":
        from .render import json

        if trace.command == "check":
            json.write_check(trace, out)
        elif trace.command == "descend":
            json.write_descent(trace, out)
        else:
            json.write(trace, out)
        return
    if fmt == "dot":
        from .render import dot

        dot.write(trace, out, _notation(view), view.edge_labels)
        for w in trace.warnings:
            _err(f"warning: {w}")
        return
    from . import result

    blocks = result.COMMANDS[trace.command](trace, view.max_rows, cost=view.cost)
    unicode = _notation(view).unicode
    if fmt == "markdown":
        from .render import markdown

        out.write(markdown.render(blocks, unicode, view.digits))
        return
    if fmt == "latex":
        from .render import latex

        out.write(latex.render(blocks, trace.command, view.digits))
        return
    from rich.console import Console

    from .render import table

    columns = _width(view.width)
    # a height too, or rich ignores the width on a terminal it takes for dumb (TERM=dumb)
    console = Console(file=sys.stdout, width=columns, height=25, highlight=False, emoji=False, markup=False,
                      safe_box=True)
    lines = table.render(blocks, unicode, view.digits, columns)
    if not console.is_terminal:  # a pipe or a file: plain text, through _Visible like every other format
        for line in lines:
            out.write("".join(text for text, _ in line) + "\n")
        return
    # rich writes colour codes of its own to a terminal, so the styled table cannot pass through _Visible; its
    # user text is the source with the comments left out and the blanks collapsed, and names, which are
    # identifiers
    from rich.text import Text

    console.on_broken_pipe = _reader_left  # rich's own handler exits 1
    for line in lines:
        console.print(Text.assemble(*line), soft_wrap=True)  # laid out already: rich must not wrap or crop


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
        except click.Abort:
            _err("Aborted!")
            code = 1
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


def _typed(at: str | None, graph: Graph) -> dict:
    """The values typed with --at and --let, by name, as the Exprs they were typed as (for --exact)."""
    from .point import bind

    names = AT_NAMES.get() or graph.names
    typed = bind(at, names, "--at", trees=True) if at is not None else {}
    let = LET.get()
    if let is not None:
        typed.update(bind(let, _let_names(graph), "--let", trees=True))
    return typed


def _worked(trace, symbolic_: bool, exact: bool, at: str):
    """The trace with its rows in symbols (--symbolic) and its exact numbers (--exact); sympy is imported
    only here, when one of them is asked for."""
    if symbolic_:
        from .symbolic import symbolic

        trace = trace._replace(symbolic=symbolic(trace))
    if exact:
        from .exact import exact_trace

        trace = trace._replace(exact=exact_trace(trace, _typed(at, trace.graph)))
    return trace


_SYMBOLIC = click.option("--symbolic", "symbolic_", is_flag=True,
                         help="Also each row in symbols: in the nodes' names, then in the inputs, simplified; and "
                              "the gradient in closed form.")
_EXACT = click.option("--exact", is_flag=True,
                      help="Also each value, tangent and adjoint exactly (the point's decimals as fractions, pi and "
                           "e as symbols), beside the float.")


@cli.command(cls=ExprCommand, short_help="Forward mode: one tangent table per input, then ∇f.")
@_at_option(required=True)
@_options(("table", "json", "markdown", "latex"))
@click.option("--wrt", metavar="NAMES", help="Seed only these inputs, e.g. --wrt x1,x2 (default: all).")
@click.option("--cost", is_flag=True, help="Also count the sweeps and the products of local partials they made.")
@click.option("--direction", metavar="VECTOR",
              help="One sweep along this direction instead, e.g. --direction 1,0: gives ∇f·d.")
@_SYMBOLIC
@_EXACT
@_data_options
@_reports_errors
def forward(expr, file, prefix, no_share, view, at, wrt, cost, direction, symbolic_, exact, data, reduce,
            row) -> None:
    """Forward mode: the evaluation trace, then one tangent table per input (or one along --direction). With
    --data, the tables of one sample, then every sample's loss and gradient, and their sum."""
    from .point import bind
    from .trace import run_forward

    table = _table(data, file, expr)
    graph = _graph(expr, file, prefix, no_share)
    point = _point(at, graph)
    if wrt is not None and direction is not None:
        raise click.UsageError("--wrt and --direction do not go together: a direction seeds every input")
    chosen = _wrt(wrt, graph.names) if wrt is not None else None
    d = bind(direction, graph.names, "--direction") if direction is not None else None
    if table is None:
        _no_data(reduce, row)
        _show(_worked(run_forward(graph, point, chosen, d), symbolic_, exact, at), view._replace(cost=cost))
        return
    if d is not None:
        raise click.UsageError("--direction and --data do not go together: --data sums the gradient")
    from .data import pick_row, sample_point

    k = pick_row(row, table)
    trace = _sample(lambda: run_forward(graph, sample_point(table, k, graph, point), chosen), table, k)
    trace = _worked(trace, symbolic_, exact, at)
    _show(_over_data(trace, table, reduce, k, "forward", point, chosen), view._replace(cost=cost))


def _no_data(reduce: str, row: int | None) -> None:
    """--reduce and --row say how to use --data: without it they are a mistake."""
    if row is not None:
        raise click.UsageError("--row picks a sample of --data: add --data FILE")
    if reduce != "sum":
        raise click.UsageError("--reduce says how to total the samples of --data: add --data FILE")


def _wrt(text: str, names: tuple[str, ...]) -> list[str]:
    chosen = []
    offset = 0
    from .parse import normal_name

    for part in text.split(","):
        name = normal_name(part.strip())
        if name not in names:
            raise GradcliSyntaxError(f"'{name}' is not an input; the inputs are {', '.join(names)}",
                                     text, offset + (len(part) - len(part.lstrip())), max(1, len(name)), "--wrt ")
        if name not in chosen:
            chosen.append(name)
        offset += len(part) + 1
    return sorted(chosen, key=names.index)


@cli.command(cls=ExprCommand, short_help="Reverse mode: the adjoint table, then ∇f from one sweep.")
@_at_option(required=True)
@_options(("table", "json", "markdown", "latex"))
@click.option("--cost", is_flag=True, help="Also count the sweep and the products of local partials it made.")
@click.option("--wrt", metavar="NAMES",
              help="Only these inputs are variables, the others held at their values from --at, e.g. --wrt w,b.")
@_SYMBOLIC
@_EXACT
@_data_options
@_reports_errors
def reverse(expr, file, prefix, no_share, view, at, cost, wrt, symbolic_, exact, data, reduce, row) -> None:
    """Reverse mode: the evaluation trace, then the adjoint table from the output back to the inputs. With
    --data, the tables of one sample, then every sample's loss and gradient, and their sum."""
    from .trace import run_reverse

    table = _table(data, file, expr)
    graph = _graph(expr, file, prefix, no_share, wrt=wrt)
    point = _point(at, graph)
    if table is None:
        _no_data(reduce, row)
        _show(_worked(run_reverse(graph, point), symbolic_, exact, at), view._replace(cost=cost))
        return
    from .data import pick_row, sample_point

    k = pick_row(row, table)
    trace = _worked(_sample(lambda: run_reverse(graph, sample_point(table, k, graph, point)), table, k), symbolic_,
                    exact, at)
    _show(_over_data(trace, table, reduce, k, "reverse", point), view._replace(cost=cost))


@cli.command(cls=ExprCommand, short_help="The computational graph: nodes and edges, or Graphviz DOT.")
@_at_option(required=False)
@_options(("table", "json", "dot", "markdown", "latex"))
@click.option("--dot", "as_dot", is_flag=True, help="Graphviz DOT (the same as --format dot).")
@click.option("--adjoints/--no-adjoints", default=None,
              help="With --at, also show each node's adjoint (default: on for tables and DOT, off for JSON).")
@click.option("--wrt", metavar="NAMES",
              help="With --at, also show each node's tangent for these inputs, one forward sweep each, "
                   "e.g. --wrt x1,x2.")
@click.option("--tangents", is_flag=True, help="With --at, also show each node's tangent for every input "
                                                "(or for those of --wrt).")
@click.option("--no-edge-labels", "no_edge_labels", is_flag=True,
              help="DOT without the local partial on each edge (shown by default).")
@_reports_errors
def graph(expr, file, prefix, no_share, view, at, as_dot, adjoints, wrt, tangents, no_edge_labels) -> None:
    """The computational graph: nodes and edges, or Graphviz DOT with --dot; with --at, values and adjoints,
    and tangents with --wrt or --tangents. Each DOT edge carries its local partial."""
    from .point import bind
    from .trace import run_graph

    if as_dot:
        view = view._replace(fmt="dot")
    fmt = view.fmt
    for given, option in ((wrt is not None, "--wrt"), (tangents, "--tangents")):
        if given and at is None:
            raise GradcliError(f"{option} needs a point to take tangents at: add --at, e.g. --at 0,2")
    if no_edge_labels and fmt != "dot":
        raise GradcliError("--no-edge-labels is for DOT output: add --dot")
    g = _graph(expr, file, prefix, no_share, several=True)
    point = _point(at, g) if at is not None else None
    if len(g.outputs) > 1:
        if adjoints:
            raise GradcliError(f"adjoints are of one output; this program has {len(g.outputs)}: pick one with "
                               f"--output {g.nodes[g.outputs[0]].id}")
        adjoints = False
    chosen = _wrt(wrt, g.names) if wrt is not None else list(g.names) if tangents else None
    if adjoints is None:
        adjoints = fmt != "json"
    _show(run_graph(g, point, adjoints, chosen), view._replace(edge_labels=not no_edge_labels))


@cli.command(cls=ExprCommand, short_help="The Jacobian of several outputs: forward by columns or reverse by rows.")
@_at_option(required=True)
@_options(("table", "json", "markdown", "latex"))
@click.option("--mode", type=click.Choice(("forward", "reverse")), default="reverse", show_default=True,
              help="forward: one sweep per input, a column each; reverse: one sweep per output, a row each.")
@click.option("--cost", is_flag=True, help="Also count the sweeps and the products of local partials they made.")
@_reports_errors
def jacobian(expr, file, prefix, no_share, view, at, mode, cost) -> None:
    """The Jacobian of a program's outputs (a last step s1, s2, s3, or --output): forward mode builds it column
    by column, one sweep per input; reverse mode row by row, one sweep per output; each sweep's table shown."""
    from .point import bind
    from .second import run_jacobian

    graph = _graph(expr, file, prefix, no_share, several=True)
    _show(run_jacobian(graph, _point(at, graph), mode), view._replace(cost=cost))


@cli.command(cls=ExprCommand, short_help="The Hessian by forward over reverse, its eigenvalues and what they say.")
@_at_option(required=True)
@_options(("table", "json", "markdown", "latex"))
@click.option("--direction", metavar="VECTOR", help="One direction only, e.g. --direction 1,0: the Hessian times d.")
@click.option("--wrt", metavar="NAMES", help="Only these inputs, the others held at their values (a loss's data), "
                                             "e.g. --wrt phi0,phi1.")
@_SYMBOLIC
@_EXACT
@_data_options
@_reports_errors
def hessian(expr, file, prefix, no_share, view, at, direction, wrt, symbolic_, exact, data, reduce, row) -> None:
    """The Hessian by forward over reverse: the adjoints, then along each input the tangents and the tangent of
    every adjoint; the matrix, its symmetry, its eigenvalues, and whether the point is a minimum, a maximum
    or a saddle. With --data, those of one sample, then the Hessian of the loss summed over the samples."""
    from .point import bind
    from .second import run_hessian

    if wrt is not None and direction is not None:
        raise click.UsageError("--wrt and --direction do not go together: a direction seeds every input")
    table = _table(data, file, expr)
    graph = _graph(expr, file, prefix, no_share, wrt=wrt)
    d = bind(direction, graph.names, "--direction") if direction is not None else None
    point = _point(at, graph)
    if table is None:
        _no_data(reduce, row)
        trace = run_hessian(graph, point, d)
    else:
        from .data import column_notes, pick_row, sample_point, summed_hessian

        if d is not None:
            raise click.UsageError("--direction and --data do not go together: --data sums the whole Hessian")
        k = pick_row(row, table)
        trace = _sample(lambda: run_hessian(graph, sample_point(table, k, graph, point)), table, k)
        notes: list[str] = column_notes(table, graph)
        trace = trace._replace(summed=summed_hessian(graph, point, table, reduce, k, None, notes),
                               warnings=[*trace.warnings, *notes])
    if symbolic_ or exact:
        from .symbolic import hessian_forms

        trace = trace._replace(forms=hessian_forms(trace, symbolic_, exact, _typed(at, graph)))
    _show(trace, view)


@cli.command(cls=ExprCommand, short_help="Check a derived formula for a derivative: proved, different or undecided.")
@_options(("table", "json", "markdown", "latex"))
@click.option("--claim", "claims", multiple=True, required=True, metavar="FORMULA",
              help="The derived derivative, one per input in order ([a, b] or a, b, or --claim repeated); names "
                   "are the inputs and the program's steps.")
@click.option("--wrt", metavar="NAMES", help="The inputs, or named steps, the claims are derivatives in "
                                              "(default: every input, in order).")
@_at_option(required=False)
@_reports_errors
def check(expr, file, prefix, no_share, view, claims, wrt, at) -> None:
    """Check derived formulas for derivatives against the true ones: exit 0 when sympy proves each equal, 1 with
    a counterexample when one is different, 3 when sympy cannot decide and random points agree."""
    from .check import check as run_check, parse_claims, wrt_names
    from .point import bind
    from .result import Checked

    graph = _graph(expr, file, prefix, no_share)
    point = bind(at, graph.names) if at is not None else None
    verdicts = run_check(graph, parse_claims(list(claims), graph), wrt_names(wrt, graph), point, _let(graph),
                         _typed(None, graph))
    checked = Checked(graph, verdicts, point)
    _show(checked, view)
    sys.exit(checked.exit_code)


@cli.command(cls=ExprCommand, short_help="Gradient descent step by step: SGD, momentum, weight decay.")
@_at_option(required=True)
@_options(("table", "json", "markdown", "latex"))
@click.option("--lr", type=float, default=0.1, show_default=True, metavar="ALPHA", help="The learning rate α.")
@click.option("--steps", type=click.IntRange(0, 1_000_000), default=10, show_default=True, metavar="N",
              help="How many steps to take.")
@click.option("--momentum", type=click.FloatRange(0, 1, max_open=True), default=0.0, metavar="BETA",
              help="Momentum β, as m ← β·m + (1 − β)·∇L, φ ← φ − α·m (m starts at 0; default 0: none).")
@click.option("--weight-decay", "decay", type=click.FloatRange(0, 1, max_open=True), default=0.0, metavar="LAMBDA",
              help="Weight decay λ: φ ← (1 − λ)·φ − α·∇L, the steps of an L2 term λ/(2α)·Σφ² in the loss.")
@click.option("--until-grad", "until", type=click.FloatRange(0, min_open=True), metavar="EPS",
              help="Stop early where the gradient's length falls to EPS, e.g. 1e-8.")
@click.option("--wrt", metavar="NAMES",
              help="Only these inputs are parameters, the others held at their values from --at, e.g. --wrt w,b.")
@click.option("--batch", type=click.IntRange(1), metavar="K",
              help="With --data: each step's loss is over the next K samples, in the file's order (K = 1: SGD).")
@functools.partial(_data_options, row=False)
@_reports_errors
def descend(expr, file, prefix, no_share, view, at, lr, steps, momentum, decay, until, wrt, batch, data,
            reduce) -> None:
    """Gradient descent from --at: a row per step with the parameters, the loss, its gradient, the momentum and
    the update; the loss is the expression, or its sum (--reduce mean: its mean) over the rows of --data."""
    from .descend import descend as run_descend

    if not math.isfinite(lr) or lr <= 0:
        raise click.BadParameter("the learning rate must be a positive number", param_hint="'--lr'")
    for value, option in ((momentum, "--momentum"), (decay, "--weight-decay"), (until, "--until-grad")):
        if value is not None and not math.isfinite(value):
            raise click.BadParameter("must be a number", param_hint=f"'{option}'")
    table = _table(data, file, expr)
    if table is None:
        _no_data(reduce, None)
    graph = _graph(expr, file, prefix, no_share, wrt=wrt)
    descent = run_descend(graph, _point(at, graph), lr, steps, momentum, decay, until, table, reduce, batch=batch)
    if table is not None:
        from .data import column_notes

        descent = descent._replace(warnings=[*column_notes(table, graph), *descent.warnings])
    _show(descent, view)


def main() -> None:
    # a terminal that cannot show a character (θ on a Latin-1 console) gets an escape, not a crash
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    cli(prog_name="gradcli")
