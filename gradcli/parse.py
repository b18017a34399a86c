"""Tokenizer and parser: text -> statements, each a syntax tree in postfix order.

The parser is an operator-precedence (shunting-yard) loop with explicit stacks, so
nesting depth is limited only by memory. User text is never evaluated by Python.
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

from .errors import GradcliSyntaxError
from .ops import BINARY, CALLS, CONSTANTS, FUNCTION_NAMES, OPS, arities


class Item(NamedTuple):
    """One entry of a postfix syntax tree: a number, a name, or an op applied to the entries before it."""

    kind: str  # "num", "name" or "op"
    arg: object  # the number (float), the name (str) or the op's name in OPS (str)
    arity: int  # how many earlier entries an op takes
    start: int  # the subexpression's span in the source
    end: int


class Statement(NamedTuple):
    """``target = expr``, or a bare ``expr`` (target None)."""

    target: str | None
    target_start: int
    items: list[Item]
    start: int
    end: int


class Program(NamedTuple):
    source: str
    statements: list[Statement]


_TOKEN = re.compile(
    r"""
     (?P<ws>[ \t\r\f\v]+|\\\r?\n)
    |(?P<comment>\#[^\n]*)
    |(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>\*\*|[-+*/^(),=;\n])
    |(?P<bad>.)
    """,
    re.VERBOSE,
)

# what a user probably meant by a character the language does not have
_HINTS = {
    "×": "write * for a product", "·": "write * for a product", "⋅": "write * for a product",
    "÷": "write / for a division", "−": "write - (ASCII minus)", "–": "write - (ASCII minus)",
    "²": "write **2 for a square", "³": "write **3 for a cube", "√": "write sqrt(x)",
    "[": "use ( ) for grouping", "]": "use ( ) for grouping", "{": "use ( ) for grouping", "}": "use ( ) for grouping",
    "'": "there are no strings in expressions", '"': "there are no strings in expressions",
    ".": "attributes are not part of the language; names are plain identifiers",
    "!": "there is no factorial or negation; write -x for a minus", "%": "there is no remainder operator",
    "<": "there are no comparisons", ">": "there are no comparisons",
    "&": "there are no logical operators", "|": "write abs(x) for an absolute value",
    ":": "there are no slices or lambdas",
}

_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_SEP = (";", "\n")


class _Tok(NamedTuple):
    kind: str  # ws/comment removed; "num", "name", "op", "bad", "eof"
    text: str
    start: int
    end: int


def _tokens(source: str) -> Iterator[_Tok]:
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup
        if kind == "ws" or kind == "comment":
            continue
        yield _Tok(kind, m.group(), m.start(), m.end())
    yield _Tok("eof", "", len(source), len(source))


def _describe(tok: _Tok) -> str:
    if tok.kind == "eof":
        return "the end of the input"
    if tok.text == "\n":
        return "the end of the line"
    return f"'{tok.text}'"


class _Parser:
    def __init__(self, source: str, prefix: str = "") -> None:
        self.source = source
        self.prefix = prefix
        self.toks = _tokens(source)
        self.tok = next(self.toks)
        self.nxt = next(self.toks, self.tok)

    def error(self, message: str, start: int, end: int | None = None) -> GradcliSyntaxError:
        return GradcliSyntaxError(message, self.source, start, (end or start + 1) - start, self.prefix)

    def advance(self) -> None:
        self.tok = self.nxt
        if self.tok.kind != "eof":
            self.nxt = next(self.toks)

    def program(self) -> Program:
        statements = []
        while self.tok.kind != "eof":
            if self.tok.text in _SEP:
                self.advance()
                continue
            statements.append(self.statement())
        if not statements:
            raise self.error("the input is empty; write an expression such as exp(x1)*x2", 0)
        return Program(self.source, statements)

    def statement(self) -> Statement:
        tok = self.tok
        target = None
        if tok.kind == "name" and self.nxt.text == "=":
            self.check_name(tok)
            if tok.text in FUNCTION_NAMES:
                raise self.error(f"'{tok.text}' is a function; give this step another name", tok.start, tok.end)
            target = tok.text
            self.advance()
            self.advance()
        items = self.expression()
        return Statement(target, tok.start, items, tok.start, self.tok.start)

    def check_name(self, tok: _Tok) -> None:
        if tok.text.isidentifier():
            return
        i = next(i for i in range(1, len(tok.text) + 1) if not tok.text[:i].isidentifier())
        c = tok.text[i - 1]
        hint = _HINTS.get(c, "names are letters, digits and _")
        raise self.error(f"unexpected character '{c}' in a name: {hint}", tok.start + i - 1)

    def expression(self) -> list[Item]:
        """Shunting-yard over one statement: returns its items in postfix order."""
        out: list[Item] = []
        spans: list[tuple[int, int]] = []  # span of each operand on the output
        stack: list[list] = []  # [kind, op, start, argcount]; kind: "bin", "neg", "group", "call"
        depth = 0
        expect_operand = True
        last: _Tok | None = None

        def emit(op: str, arity: int, start: int, end: int | None = None) -> None:
            first = spans[-arity] if arity else (start, start)
            span = (min(start, first[0]), max(end or 0, spans[-1][1]))
            del spans[-arity:]
            spans.append(span)
            out.append(Item("op", op, arity, span[0], span[1]))

        def reduce_until(prec: int, right: bool) -> None:
            while stack and stack[-1][0] in ("bin", "neg"):
                top = stack[-1]
                p = _PREC[top[1]]
                if p > prec or (p == prec and not right):
                    stack.pop()
                    emit(top[1], 2 if top[0] == "bin" else 1, top[2])
                else:
                    break

        while True:
            tok = self.tok
            text = tok.text
            if tok.kind == "bad":
                hint = _HINTS.get(text, "")
                raise self.error(f"unexpected character '{text}'" + (f": {hint}" if hint else ""), tok.start)
            if text == "\n" and depth > 0:
                self.advance()
                continue
            if expect_operand:
                if tok.kind == "num":
                    value = float(text)
                    if value == float("inf"):
                        raise self.error(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large "
                                         "for a float (largest is about 1.8e308)", tok.start, tok.end)
                    out.append(Item("num", value, 0, tok.start, tok.end))
                    spans.append((tok.start, tok.end))
                    expect_operand = False
                elif tok.kind == "name":
                    self.check_name(tok)
                    if self.nxt.text == "(":
                        self.check_function(tok)
                        stack.append(["call", text, tok.start, 1])
                        depth += 1
                        self.advance()
                        if self.nxt.text == ")":
                            n = arities(text)[0]
                            raise self.error(f"{text}() needs {n} argument{'s' if n > 1 else ''}", self.nxt.start)
                    else:
                        if text in FUNCTION_NAMES and text not in CONSTANTS:
                            raise self.error(f"'{text}' is a function; write {text}(...) to call it",
                                             tok.start, tok.end)
                        out.append(Item("name", text, 0, tok.start, tok.end))
                        spans.append((tok.start, tok.end))
                        expect_operand = False
                elif text == "(":
                    stack.append(["group", None, tok.start, 0])
                    depth += 1
                elif text == "-":
                    stack.append(["neg", "neg", tok.start, 0])
                elif text == "+":
                    pass  # unary plus changes nothing
                else:
                    raise self.missing_operand(tok, last)
            else:
                if text in BINARY:
                    op = BINARY[text]
                    reduce_until(_PREC[op], right=op == "pow")
                    stack.append(["bin", op, tok.start, 0])
                    expect_operand = True
                elif text == ")":
                    self.close(stack, spans, emit, tok)
                    depth -= 1
                elif text == ",":
                    reduce_until(0, False)
                    if not stack or stack[-1][0] != "call":
                        raise self.error("',' outside a function call's parentheses", tok.start)
                    stack[-1][3] += 1
                    expect_operand = True
                elif tok.kind == "eof" or text in _SEP:
                    reduce_until(0, False)
                    if stack:
                        opening = stack[-1]
                        raise self.error(f"'(' is never closed; add ')' before {_describe(tok)}", opening[2])
                    return out
                elif text == "=":
                    raise self.error("'=' can only follow a step's name at the start of a step (name = expr)",
                                     tok.start)
                else:
                    raise self.missing_operator(tok, last)
            last = tok
            self.advance()

    def check_function(self, tok: _Tok) -> None:
        name = tok.text
        if name in FUNCTION_NAMES:
            return
        import difflib  # only on the error path

        close = difflib.get_close_matches(name.lower(), sorted(FUNCTION_NAMES), n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
        else:
            known = ", ".join(sorted(op.names[0] for op in OPS.values() if op.names))
            hint = f"for a product write {name}*(...); the functions are {known}"
        raise self.error(f"unknown function '{name}'; {hint}", tok.start, tok.end)

    def close(self, stack: list[list], spans: list[tuple[int, int]], emit, tok: _Tok) -> None:
        while stack and stack[-1][0] in ("bin", "neg"):
            top = stack.pop()
            emit(top[1], 2 if top[0] == "bin" else 1, top[2])
        if not stack:
            raise self.error("')' has no matching '('", tok.start)
        kind, name, start, argc = stack.pop()
        if kind == "group":
            # a group's span takes in its parentheses, so a constant's label reads "(1+2)"
            spans[-1] = (start, tok.end)
        elif kind == "call":
            op = CALLS.get((name, argc))
            if op is None:
                ns = " or ".join(str(n) for n in arities(name))
                raise self.error(f"{name} takes {ns} argument{'s' if ns != '1' else ''}, not {argc}",
                                 start, tok.end)
            emit(op, argc, start, tok.end)

    def missing_operand(self, tok: _Tok, last: _Tok | None) -> GradcliSyntaxError:
        after = f" after '{last.text}'" if last is not None and last.text not in _SEP else ""
        if tok.text == ")" and last is not None and last.text == "(":
            return self.error("empty parentheses; put an expression inside", last.start, tok.end)
        if tok.kind == "eof" or tok.text in _SEP:
            return self.error(f"the expression is incomplete{after}: expected a number, a name or '('", tok.start)
        if tok.text == "=":
            return self.error("a step needs a name before '=' (name = expr)", tok.start)
        return self.error(f"expected a number, a name or '('{after}, not '{tok.text}'", tok.start, tok.end)

    def missing_operator(self, tok: _Tok, last: _Tok | None) -> GradcliSyntaxError:
        prev = last.text if last is not None else ""
        if last is not None and last.kind == "num" and tok.kind == "name" and last.end == tok.start:
            if tok.text[0] in "eE" and (len(tok.text) == 1 or not tok.text[1:].isdigit()):
                return self.error(f"'{prev}{tok.text}' is not a number: an exponent needs digits, as in {prev}e-3; "
                                  f"for a product write {prev}*{tok.text}", last.start, tok.end)
            return self.error(f"missing operator: write {prev}*{tok.text} for a product", last.start, tok.end)
        if last is not None and last.kind == "name" and last.text in FUNCTION_NAMES:
            return self.error(f"a function needs parentheses: write {prev}({tok.text})", last.start, tok.end)
        return self.error(f"missing operator between '{prev}' and '{tok.text}'; for a product write "
                          f"{prev}*{tok.text}", tok.start, tok.end)


def parse(source: str) -> Program:
    """Parse a program (``name = expr`` steps) or a single expression."""
    return _Parser(source).program()


def parse_expression(source: str, prefix: str = "") -> list[Item]:
    """Parse one expression with no steps; ``prefix`` is shown before the source in errors."""
    parser = _Parser(source, prefix)
    if parser.tok.kind == "eof":
        raise parser.error("a value is empty", 0)
    items = parser.expression()
    if parser.tok.kind != "eof":
        raise parser.error(f"unexpected {_describe(parser.tok)} in a value", parser.tok.start)
    return items
