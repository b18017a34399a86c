"""Tokenizer and parser: text -> statements, each a syntax tree in postfix order.

The parser is one operator-precedence (shunting-yard) loop over the regex's matches, with
explicit stacks, so nesting depth is limited only by memory and a megabyte parses in well
under a second. User text is never evaluated by Python.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import GradcliSyntaxError, visible
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


# one token per match, classified afterwards by its first character: findall runs in C
_TOKEN = re.compile(r"\*\*|[-+*/^(),=;\n]|[^\W\d]\w*|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                    r"|[ \t\r\f\v]+|\\\r?\n|\#[^\n]*|.")
NUM, NAME, PUNCT, BAD, EOF = 2, 3, 4, 5, 6
_PUNCT = frozenset("-+*/^(),=;\n")
_DIGITS = frozenset("0123456789")
_BLANK = frozenset(" \t\r\f\v#")
_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__

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
    "\ufffd": "the input is not valid UTF-8 text", "\ufeff": "remove the byte-order mark",
}

MAX_OPERATIONS = 250_000  # bounds the time and memory any input can take

_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_SEP = (";", "\n")
_INF = float("inf")

# operator-stack entries are lists [kind, op, start, argcount]
_BIN, _NEG, _GROUP, _CALL = 0, 1, 2, 3


class _Tok(NamedTuple):
    kind: int
    text: str
    start: int
    end: int


def _describe(tok: _Tok) -> str:
    if tok.kind == EOF:
        return "the end of the input"
    if tok.text == "\n":
        return "the end of the line"
    return f"'{tok.text}'"


class _Parser:
    def __init__(self, source: str, prefix: str = "") -> None:
        self.source = source
        self.prefix = prefix

    def error(self, message: str, start: int, end: int | None = None) -> GradcliSyntaxError:
        return GradcliSyntaxError(message, self.source, start, (end or start + 1) - start, self.prefix)

    def run(self, single: bool) -> list[Statement]:
        """Every statement of the source; with ``single``, exactly one bare expression."""
        source = self.source
        statements: list[Statement] = []
        out: list[Item] = []
        spans: list[tuple[int, int]] = []  # the span of each operand on the output
        stack: list[list] = []
        depth = 0
        expect_operand = True
        target: str | None = None
        target_start = stmt_start = -1
        last: _Tok | None = None  # the previous token of this statement
        pending: _Tok | None = None  # a name whose meaning (call or operand) the next token decides

        operations = 0

        def emit(op: str, arity: int, start: int, end: int) -> None:
            nonlocal operations
            operations += 1
            if operations > MAX_OPERATIONS:
                raise self.error(f"more than {MAX_OPERATIONS:,} operations: gradcli's tables and sweeps are made for "
                                 "graphs up to that size", start, end)
            if arity:
                del spans[-arity:]
            spans.append((start, end))
            out.append(_new(Item, ("op", op, arity, start, end)))

        def reduce(prec: int, right: bool) -> None:
            while stack and stack[-1][0] <= _NEG:
                top = stack[-1]
                p = _PREC[top[1]]
                if p > prec or (p == prec and not right):
                    stack.pop()
                    if top[0] == _BIN:
                        emit(top[1], 2, spans[-2][0], spans[-1][1])
                    else:
                        emit("neg", 1, top[2], spans[-1][1])
                else:
                    break

        tokens = _TOKEN.findall(source)
        tokens.append("")  # the end of the input
        pos = 0
        for text in tokens:
            start = pos
            pos += len(text)
            c = text[:1]
            if c in _PUNCT:
                kind = PUNCT
            elif c in _DIGITS or (c == "." and len(text) > 1):
                kind = NUM
            elif c in _BLANK or (c == "\\" and len(text) > 1):
                continue
            elif not text:
                kind = EOF
            elif (c.isalnum() or c == "_") and not c.isdecimal():
                kind = NAME
            else:
                kind = BAD
            tok = _new(_Tok, (kind, text, start, pos))

            if pending is not None:
                name, pending = pending, None
                if text == "(":
                    self.check_function(name)
                    stack.append([_CALL, name.text, name.start, 1])
                    depth += 1
                    last = tok
                    continue
                if text == "=" and last is None and not single:
                    if name.text in FUNCTION_NAMES:
                        raise self.error(f"'{name.text}' is a function; give this step another name",
                                         name.start, name.end)
                    target, target_start = name.text, name.start
                    last = tok
                    continue
                if name.text in FUNCTION_NAMES and name.text not in CONSTANTS:
                    raise self.error(f"'{name.text}' is a function; write {name.text}(...) to call it",
                                     name.start, name.end)
                out.append(_new(Item, ("name", name.text, 0, name.start, name.end)))
                spans.append((name.start, name.end))
                expect_operand = False
                last = name

            if kind == BAD:
                hint = _HINTS.get(text[0], "")
                raise self.error(f"unexpected character '{visible(text[0])}'" + (f": {hint}" if hint else ""), start)
            if text == "\n" and depth > 0:
                continue
            if stmt_start < 0 and kind != EOF and text not in _SEP:
                stmt_start = start

            if expect_operand:
                if kind == NUM:
                    value = float(text)
                    if value == _INF:
                        raise self.error(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large "
                                         "for a float (largest is about 1.8e308)", start, pos)
                    out.append(_new(Item, ("num", value, 0, start, pos)))
                    spans.append((start, pos))
                    expect_operand = False
                elif kind == NAME:
                    self.check_name(tok)
                    pending = tok
                    continue  # the next token says whether it is a call
                elif text == "(":
                    stack.append([_GROUP, None, start, 0])
                    depth += 1
                elif text == "-":
                    stack.append([_NEG, "neg", start, 0])
                elif text == "+":
                    pass  # unary plus changes nothing
                elif (kind == EOF or text in _SEP) and last is None and target is None:
                    # an empty statement: a blank line, ";;", the end after a separator
                    if kind == EOF:
                        break
                    continue
                else:
                    raise self.missing_operand(tok, last, stack)
            else:
                op = BINARY.get(text)
                if op is not None:
                    reduce(_PREC[op], op == "pow")
                    stack.append([_BIN, op, start, 0])
                    expect_operand = True
                elif text == ")":
                    self.close(stack, spans, emit, reduce, tok)
                    depth -= 1
                elif text == ",":
                    reduce(0, False)
                    if not stack or stack[-1][0] != _CALL:
                        raise self.error("',' outside a function call's parentheses", start)
                    stack[-1][3] += 1
                    expect_operand = True
                elif kind == EOF or text in _SEP:
                    reduce(0, False)
                    if stack:
                        raise self.error(f"'(' is never closed; add ')' before {_describe(tok)}", stack[-1][2])
                    if single and kind != EOF:
                        raise self.error(f"unexpected {_describe(tok)} in a value", start)
                    statements.append(Statement(target, target_start, out, stmt_start, start))
                    if kind == EOF:
                        break
                    out, spans = [], []
                    expect_operand, target, target_start, stmt_start, last = True, None, -1, -1, None
                    continue
                elif text == "=":
                    raise self.error("'=' can only follow a step's name at the start of a step (name = expr)",
                                     start)
                else:
                    raise self.missing_operator(tok, last)
            last = tok
        if not statements:
            if single:
                raise self.error("a value is empty", 0)
            raise self.error("the input is empty; write an expression such as exp(x1)*x2", 0)
        return statements

    def check_name(self, tok: _Tok) -> None:
        if tok.text.isidentifier():
            return
        i = next(i for i in range(1, len(tok.text) + 1) if not tok.text[:i].isidentifier())
        c = tok.text[i - 1]
        hint = _HINTS.get(c, "names are letters, digits and _")
        raise self.error(f"unexpected character '{visible(c)}' in a name: {hint}", tok.start + i - 1)

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

    def close(self, stack: list[list], spans: list[tuple[int, int]], emit, reduce, tok: _Tok) -> None:
        reduce(0, False)
        if not stack:
            raise self.error("')' has no matching '('", tok.start)
        kind, name, start, argc = stack.pop()
        if kind == _GROUP:
            # a group's span takes in its parentheses, so a constant's label reads "(1+2)"
            spans[-1] = (start, tok.end)
            return
        op = CALLS.get((name, argc))
        if op is None:
            ns = " or ".join(str(n) for n in arities(name))
            raise self.error(f"{name} takes {ns} argument{'s' if ns != '1' else ''}, not {argc}", start, tok.end)
        emit(op, argc, start, tok.end)

    def missing_operand(self, tok: _Tok, last: _Tok | None, stack: list[list]) -> GradcliSyntaxError:
        after = f" after '{last.text}'" if last is not None and last.text not in _SEP else ""
        if tok.text == ")" and last is not None and last.text == "(":
            if stack and stack[-1][0] == _CALL:
                n = arities(stack[-1][1])[0]
                return self.error(f"{stack[-1][1]}() needs {n} argument{'s' if n > 1 else ''}", tok.start)
            return self.error("empty parentheses; put an expression inside", last.start, tok.end)
        if tok.kind == EOF or tok.text in _SEP:
            return self.error(f"the expression is incomplete{after}: expected a number, a name or '('", tok.start)
        if tok.text == "=":
            return self.error("a step needs a name before '=' (name = expr)", tok.start)
        return self.error(f"expected a number, a name or '('{after}, not '{tok.text}'", tok.start, tok.end)

    def missing_operator(self, tok: _Tok, last: _Tok | None) -> GradcliSyntaxError:
        prev = last.text if last is not None else ""
        if last is not None and last.kind == NUM and tok.kind == NAME and last.end == tok.start:
            if tok.text[0] in "eE" and (len(tok.text) == 1 or not tok.text[1:].isdigit()):
                return self.error(f"'{prev}{tok.text}' is not a number: an exponent needs digits, as in {prev}e-3; "
                                  f"for a product write {prev}*{tok.text}", last.start, tok.end)
            return self.error(f"missing operator: write {prev}*{tok.text} for a product", last.start, tok.end)
        return self.error(f"missing operator between '{prev}' and '{tok.text}'; for a product write "
                          f"{prev}*{tok.text}", tok.start, tok.end)


def parse(source: str) -> Program:
    """Parse a program (``name = expr`` steps) or a single expression."""
    return Program(source, _Parser(source).run(single=False))


def parse_expression(source: str, prefix: str = "") -> list[Item]:
    """Parse one expression with no steps; ``prefix`` is shown before the source in errors."""
    return _Parser(source, prefix).run(single=True)[0].items
