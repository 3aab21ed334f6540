"""Templates rendered in Jinja2's sandbox: a tenant's template can read the data it is
given and nothing else of the process, and cannot make a render run away.

The sandbox already refuses unsafe attributes and bounds one ``range()``; on top of it
every render has a budget of ``range()`` items (nested loops), ``*`` and ``**`` refuse
results past a size, and the rendered text is bounded too. A variable the data lacks is
an error (``StrictUndefined``), so nobody receives "Olá , seu convite".
"""

from __future__ import annotations

import contextvars
import operator
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

Part = Literal["subject", "html", "text"]
PARTS: tuple[Part, ...] = ("subject", "html", "text")

#: ``range()`` items one render may go through, over all its loops.
RANGE_BUDGET = 100_000
#: Longest string or sequence ``*`` may make, and the largest exponent of ``**``.
MAX_REPEAT = 100_000
MAX_EXPONENT = 100

_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("range_budget")


class RenderBudgetExceeded(SecurityError):
    """A render tried to do more work than a message needs."""


def _budgeted_range(*args: int) -> range:
    items = range(*args)
    budget = _budget.get(None)
    if budget is not None:
        budget[0] -= len(items)
        if budget[0] < 0:
            raise RenderBudgetExceeded(f"loops over more than {RANGE_BUDGET} items")
    return items


def _bounded_multiply(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        repeats = isinstance(seq, str | list | tuple) and isinstance(count, int)
        if repeats and len(seq) * count > MAX_REPEAT:
            raise RenderBudgetExceeded(f"'*' would make more than {MAX_REPEAT} items")
    return operator.mul(left, right)


def _bounded_power(left: Any, right: Any) -> Any:
    if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
        raise RenderBudgetExceeded(f"'**' with an exponent over {MAX_EXPONENT}")
    return operator.pow(left, right)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {"*": _bounded_multiply, "**": _bounded_power}


class MessageSandbox(SandboxedEnvironment):
    """The sandbox with bounded loops, repetitions and powers."""

    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=0,
        )
        self.globals["range"] = _budgeted_range

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator in _BINOPS:
            return _BINOPS[operator](left, right)
        return super().call_binop(context, operator, left, right)


_HTML = MessageSandbox(autoescape=True)
_PLAIN = MessageSandbox(autoescape=False)


def _environment(part: Part) -> MessageSandbox:
    return _HTML if part == "html" else _PLAIN


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """What is wrong with one part of a template, and where."""

    part: Part
    message: str
    line: int | None = None

    def describe(self) -> str:
        """``html, line 3: unexpected '}'``."""
        where = f"{self.part}, line {self.line}" if self.line else self.part
        return f"{where}: {self.message}"


class TemplateInvalid(Exception):
    """A template does not compile, or does not render with the data given."""

    def __init__(self, problem: TemplateProblem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


def check_syntax(part: Part, source: str) -> None:
    """Compile ``source``; ``TemplateInvalid`` names the line of a syntax error."""
    try:
        _environment(part).from_string(source)
    except TemplateSyntaxError as exc:
        problem = TemplateProblem(part, exc.message or "syntax error", exc.lineno)
        raise TemplateInvalid(problem) from None
    except TemplateError as exc:
        raise TemplateInvalid(TemplateProblem(part, str(exc) or type(exc).__name__)) from exc


def render_part(part: Part, source: str, data: Mapping[str, Any], *, max_chars: int) -> str:
    """``source`` rendered with ``data``; ``TemplateInvalid`` when it does not compile,
    uses a variable ``data`` lacks, breaks the sandbox's rules or renders too long."""
    check_syntax(part, source)
    token = _budget.set([RANGE_BUDGET])
    try:
        rendered = _environment(part).from_string(source).render(dict(data))
    except TemplateError as exc:
        line = _line_of(exc)
        raise TemplateInvalid(TemplateProblem(part, str(exc) or type(exc).__name__, line)) from exc
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        # The type only: the message of such an error may quote the data (a token).
        problem = TemplateProblem(part, f"{type(exc).__name__} while rendering", _line_of(exc))
        raise TemplateInvalid(problem) from exc
    finally:
        _budget.reset(token)
    if len(rendered) > max_chars:
        raise TemplateInvalid(TemplateProblem(part, f"renders to more than {max_chars} characters"))
    if part == "subject":
        # One header line: no line breaks a recipient's mail program would fold or break.
        rendered = " ".join(rendered.split())
    return rendered


def _line_of(exc: BaseException) -> int | None:
    """The template line a render failed on: Jinja2 rewrites tracebacks so that the
    template's own frames carry its line numbers (the innermost one is where it broke)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    lines = [n for frame, n in traceback.walk_tb(exc.__traceback__)
             if frame.f_code.co_filename == "<template>"]  # fmt: skip
    return lines[-1] if lines else None
