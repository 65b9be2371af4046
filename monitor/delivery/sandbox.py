"""Jinja's sandbox with bounds: a template cannot build a huge value or run unbounded.

Jinja's `SandboxedEnvironment` keeps a template away from Python internals and caps
`range()`, but `{{ 'a' * 10**9 }}`, `{{ 'x'|center(10**9) }}` or `{{ 9**9**9 }}` still
allocate gigabytes or spin. Here every operator that can grow a value (`*`, `**`, `+`,
`%`), every method call and every filter is checked before it runs, so that no string or
list a template makes can exceed `RENDER_MAX_CHARS` and no integer `INT_MAX_BITS`; the
checks raise Jinja's `SecurityError`. The rendered output itself is cut at the same size
(templates.py stops reading the render there).
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Callable, Iterator, Sized
from typing import Any

from jinja2 import Environment, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from monitor.limits import RENDER_MAX_CHARS

INT_MAX_BITS = 4096  # a score or count needs a few; 4096 bits is a 1,233-digit number
# A %-conversion's flags, width and precision, read after its '%' and its mapping key.
# A format is read once, left to right, as Python reads it: the patterns that read it whole
# tried each colon of `{::::…` as the spec's start, n^3 tries with the GIL held (0.1 s at
# 400 characters, minutes at a feed text's length).
PRINTF_SPEC_RE = re.compile(r"[-#0 +]*+(\*|\d*+)(?:\.(\*|\d*+))?[hlL]*+")
_PARENS_RE = re.compile(r"[()]")
_DIGITS_RE = re.compile(r"\d+")
# Filters and str methods whose integer arguments are a width or a count of what they make.
SIZING_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "truncate"})
SIZING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _size(value: Any) -> int:
    return len(value) if isinstance(value, Sized) and not isinstance(value, dict) else 0


def _refuse(what: str, size: int) -> None:
    raise SecurityError(f"template value too large: {what} would make {size:,} "
                        f"(limit {RENDER_MAX_CHARS:,} characters or items)")


def check_result(value: Any, what: str = "a value") -> Any:
    """Refuse a string or list beyond the limit, and an integer beyond INT_MAX_BITS."""
    if isinstance(value, int) and value.bit_length() > INT_MAX_BITS:
        raise SecurityError(f"template value too large: {what} has {value.bit_length()} bits")
    if _size(value) > RENDER_MAX_CHARS:
        _refuse(what, _size(value))
    return value


def check_args(args: tuple[Any, ...], kwargs: dict[str, Any], what: str) -> None:
    """A width, count or length argument beyond the limit would build a value as large."""
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > RENDER_MAX_CHARS:
            _refuse(what, abs(arg))


def _key_end(fmt: str, at: int) -> int:
    """Where a %-format's mapping key opened at `at` ends (Python counts nested parentheses
    in it); -1 for a key left open, a format Python refuses itself."""
    depth = 0
    for paren in _PARENS_RE.finditer(fmt, at):
        depth += 1 if paren[0] == "(" else -1
        if depth == 0:
            return paren.end()
    return -1


def _printf_widths(fmt: str) -> Iterator[str]:
    """The width and precision of each conversion of a %-format ('' where none, '*' where an
    argument gives it); '%%' is a percent sign."""
    at = fmt.find("%")
    while at != -1:
        at += 1
        if fmt.startswith("(", at) and (at := _key_end(fmt, at)) < 0:
            return
        spec = PRINTF_SPEC_RE.match(fmt, at)
        assert spec is not None  # every part of it may be empty
        if not fmt.startswith("%", at):
            yield from (spec[1], spec[2] or "")
        at = fmt.find("%", spec.end() + 1)  # past the conversion's type


def _brace_widths(fmt: str) -> Iterator[str]:
    """Each number in each field's format spec (`{:>10.2f}`: 10 and 2; a fill digit too, which
    only errs towards refusing), '*' for a field nested in a spec (`{:>{w}}`)."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:  # not a {}-format: str.format refuses it itself
        return
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            yield "*"
        yield from _DIGITS_RE.findall(spec or "")


def _check_format(fmt: str, what: str) -> None:
    """`'%999999999d' % 1` or `'{:>999999999}'.format(1)`: a width in the format itself.
    Both readings apply, as `|format` is a %-format and `.format()` a {}-format."""
    widths = [*_printf_widths(fmt), *_brace_widths(fmt)]
    if "*" in widths:
        raise SecurityError(f"template value too large: {what} takes a width from an argument "
                            "('*' or a nested '{...}'), which templates may not")
    widest = max((int(n) for n in widths if n), default=0)
    if widest > RENDER_MAX_CHARS:
        _refuse(what, widest)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    what = f"'{operator}'"
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if _size(seq) and isinstance(times, int):
                check_args((_size(seq) * times,), {}, what)
    elif operator == "**" and isinstance(left, int | float) and isinstance(right, int | float):
        if abs(left) > 1 and right > 0 and right * math.log2(abs(left)) > INT_MAX_BITS:
            raise SecurityError(f"template value too large: {left} ** {right}")
    elif operator == "+":
        check_args((_size(left) + _size(right),), {}, what)
    elif operator == "%" and isinstance(left, str):
        _check_format(left, what)


def _check_join(items: Any, what: str) -> None:
    """Joining many references to one large string: count before building it."""
    if isinstance(items, list | tuple):
        check_args((sum(_size(i) for i in items),), {}, what)


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    name = getattr(obj, "__name__", "a call")
    # The sandbox hands out str.format wrapped (its __wrapped__ is the bound method).
    owner = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
    if isinstance(owner, str) and name in SIZING_METHODS:
        check_args(args, kwargs, f"{name}()")
    if isinstance(owner, str) and name in ("format", "format_map"):
        _check_format(owner, f"{name}()")
    if isinstance(owner, str) and name == "join" and args:
        _check_join(args[0], "join()")
    if isinstance(owner, str) and name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        grows = max(len(new) - len(old), 0) * (owner.count(old) if old else len(owner) + 1)
        check_args((len(owner) + grows,), {}, "replace()")


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja still passes the context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        plain = tuple(a for a in args if not isinstance(a, Context | EvalContext | Environment))
        if name in SIZING_FILTERS:
            check_args(plain[1:], kwargs, f"|{name}")  # plain[0] is the filtered value
        if name in ("format", "replace") and plain:
            _check_call(getattr(str(plain[0]), name), plain[1:], kwargs)
        if name == "join" and plain:
            _check_join(plain[0], "|join")
        return check_result(func(*args, **kwargs), f"|{name}")

    return bounded


class _CheckedConcat(CodeGenerator):
    """`a ~ b` compiled as a call the sandbox sizes first. Jinja compiles `~` to a plain
    join that no sandbox hook sees, not to a binary operator: a macro doubling its argument
    (`f(s ~ s)`) took 3 GB in 0.4 s, `{% set %}`s of `a ~ a` 2.8 GB."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # Jinja's, parts checked
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"{join}(environment.concat_parts((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write(")))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox (no list.append: values cannot grow in place), with values,
    operators, concatenations, calls and filters size-checked."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CheckedConcat

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        # lipsum builds its text before any check sees it: lipsum(1, min=10**8) took 296 s
        # and 4.4 GB; an alert's template has no use for filler text
        self.globals.pop("lipsum", None)

    def concat_parts(self, parts: tuple[Any, ...]) -> tuple[Any, ...]:
        """The parts of a `~`, refused before they are joined when the whole would be too large."""
        total = 0
        for part in parts:
            total += len(part) if isinstance(part, str) else len(str(part))
            if total > RENDER_MAX_CHARS:
                _refuse("'~'", total)
        return parts

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return check_result(super().call_binop(context, operator, left, right), f"'{operator}'")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_call(__obj, args, kwargs)
        return check_result(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Every read is checked: a value grown in a loop (`ns.s ~ ns.s`) stops at twice the limit."""
        return check_result(super().getattr(obj, attribute), f".{attribute}")

    def getitem(self, obj: Any, argument: Any) -> Any | Undefined:
        return check_result(super().getitem(obj, argument), "an item")
