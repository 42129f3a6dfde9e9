"""Node settings as templates over the run's context, rendered in Jinja2's sandbox.

Never `eval`: templates run in an ImmutableSandboxedEnvironment (no attribute access to
dunders, no mutating methods) with StrictUndefined, so a typo is an error naming the missing
name rather than an empty string. A template is also bounded: its source length, its output
size, the items `range` may produce, the size of `*` / `**` results, and its running time
(checked on every line the compiled template executes, so loops without output stop too).

Those checks refuse the known ways to build a huge value before it is built (with a message
naming the operation). Behind them, every rendering runs under two limits it cannot walk
around: a CPU deadline delivered by a signal (SIGPROF through `setitimer`, which interrupts
any Python code, the filters' own generators included) and an address-space ceiling
(`RLIMIT_AS` lowered to what the process holds plus MAX_MEMORY, so an allocation past it
raises MemoryError instead of growing the worker). Both need the main thread of a process,
which is where django-q2 workers run tasks; a rendering in another thread (a threaded web
server running tasks inline) falls back to tracing every line of every frame for the deadline,
and has the argument checks but no address-space ceiling. str methods are an allow-list.
A template that only reads (lookups, constants, comparisons, and/or/not, literals: no call,
filter, arithmetic, slice or loop; `_READS_ONLY`) cannot run long or allocate beyond the data
it reads, and renders without those two limits (still in the sandbox).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import signal
import sys
import threading
import time
from functools import lru_cache
from typing import Any

try:
    import resource
except ImportError:  # not on Windows: no address-space ceiling there
    resource = None  # type: ignore[assignment]

from jinja2 import StrictUndefined, TemplateError, nodes, pass_eval_context
from jinja2.compiler import CodeGenerator
from jinja2.filters import do_join, sync_do_slice
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

from flows.errors import NodeError

MAX_SOURCE = 20_000  # characters in one template string
MAX_OUTPUT = 64 * 1024  # characters rendered from one template string
MAX_RANGE = 1_000  # items in one range()
MAX_RANGE_TOTAL = 10_000  # items all range() calls of one rendering may produce
MAX_SECONDS = 1.0  # time of one rendering: CPU time in a main thread (signal), wall time elsewhere
MAX_DEPTH = 20  # nesting of a JSON value rendered by render_value
MAX_VALUE = 256 * 1024  # JSON size of the list or object one lone expression may produce
MAX_MEMORY = 64 * 1024 * 1024  # bytes of address space one rendering may add to its process
MAX_ITEMS = 1_000  # slices / batch sizes a filter may be asked for

# The str methods a template may call. Everything else (translate, maketrans, encode, ...) is
# refused: each method allowed here either cannot grow its input or is checked first.
STR_METHODS = frozenset(
    [
        "capitalize",
        "casefold",
        "center",
        "count",
        "endswith",
        "expandtabs",
        "find",
        "format",
        "format_map",
        "index",
        "isalnum",
        "isalpha",
        "isascii",
        "isdecimal",
        "isdigit",
        "isidentifier",
        "islower",
        "isnumeric",
        "isprintable",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "ljust",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rjust",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        "zfill",
    ]
)

# A string that is exactly one expression keeps its value's type ("{{ vars.n }}" -> 3, not "3"),
# so JSON bodies and table keys carry numbers, booleans, lists and objects as such.
_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)


class TemplateFailed(NodeError):
    """A template could not be compiled or rendered; the message says why."""


class _Budget:
    def __init__(self) -> None:
        self.range_items = 0
        self.deadline = time.monotonic() + MAX_SECONDS


# A width or precision in a %-format or format() spec: "%099999d", "{:>99999}".
_FORMAT_WIDTH = re.compile(r"(?:%[-#0 +]*|:[^{}]*?)(\d{6,})")
# One conversion of a %-format: "%(name)-*.*f"; width and precision may be `*` (from the args).
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)
# The width and precision of a format() spec once its nested {fields} are substituted.
_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


def _too_big(message: str) -> TemplateFailed:
    return TemplateFailed(f"{message} would exceed {MAX_OUTPUT} characters")


def _size(value: Any) -> int:
    """Characters a value stands for once joined or dumped: strings by length, sequences by
    the text of their items (a list holding one 60 KB string 1,000 times is 60 MB of JSON)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(len(item) if isinstance(item, str) else len(str(item)) for item in value) + len(value)
    return len(str(value))


def _checked_join(items: Any, separator: Any) -> list[Any]:
    """Materialise what join() would join and refuse it before the string is built."""
    items = list(items)
    if _size(items) + len(str(separator)) * max(len(items) - 1, 0) > MAX_OUTPUT:
        raise _too_big("join()")
    return items


def _check_percent_format(text: str) -> None:
    """A %-format may not take its width or precision from the arguments (`%*d`, `%.*f`)
    and may not ask for more than MAX_OUTPUT characters in one conversion."""
    for match in _PERCENT_SPEC.finditer(text):
        width, precision, _conversion = match.groups()
        if width == "*" or precision == "*":
            raise TemplateFailed("a `*` width or precision in a %-format is not allowed")
        if (width and int(width) > MAX_OUTPUT) or (precision and int(precision) > MAX_OUTPUT):
            raise _too_big("a format width")


class _Formatter(SandboxedFormatter):
    """str.format / format_map: every field's spec is checked once its nested fields
    (`'{:>{w}}'.format('a', w=10**9)`) are substituted, before the field is formatted."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _FORMAT_SPEC.match(format_spec)
        if match and any(part and int(part) > MAX_OUTPUT for part in match.groups()):
            raise _too_big("a format width")
        return super().format_field(value, format_spec)


def _check_str_call(name: str, text: str, args: tuple, kwargs: dict) -> None:
    """Refuse str methods whose result would be huge before they allocate it."""
    if (
        name in ("center", "ljust", "rjust", "zfill")
        and args
        and isinstance(args[0], int)
        and args[0] > MAX_OUTPUT
    ):
        raise _too_big(f"{name}()")
    if (
        name == "expandtabs"
        and len(text) * (args[0] if args and isinstance(args[0], int) else 8) > MAX_OUTPUT
    ):
        raise _too_big("expandtabs()")
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        hits = text.count(args[0]) if args[0] else len(text) + 1
        if len(text) + hits * len(args[1]) > MAX_OUTPUT:
            raise _too_big("replace()")
    if name in ("format", "format_map") and _FORMAT_WIDTH.search(text):
        raise _too_big("a format width")
    if name in ("ljust", "rjust", "center", "zfill") and "width" in kwargs:
        _check_str_call(name, text, (kwargs["width"],), {})


class _CodeGenerator(CodeGenerator):
    def visit_Concat(self, node, frame) -> None:
        # `a ~ b` joins through environment.checked_concat, so a loop doubling a string
        # (`{% set ns.s = ns.s ~ ns.s %}`) stops at MAX_OUTPUT instead of filling the memory.
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "%", "+"])
    code_generator_class = _CodeGenerator

    @staticmethod
    def checked_concat(parts: tuple) -> str:
        texts = [str(part) for part in parts]
        if sum(map(len, texts)) > MAX_OUTPUT:
            raise _too_big("a ~ concatenation")
        return "".join(texts)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr not in STR_METHODS and callable(value):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(__self, __context, __obj, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(__obj, "__self__", None), str):
            _check_str_call(__obj.__name__, __obj.__self__, args, kwargs)
            if __obj.__name__ == "join" and args:
                args = (_checked_join(args[0], __obj.__self__), *args[1:])
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any):
        # Jinja wraps str.format at attribute access, before call(): check the spec here, and
        # format through _Formatter, which checks each field's spec once it is substituted.
        text = getattr(value, "__self__", None)
        name = getattr(value, "__name__", "")
        if not isinstance(text, str) or name not in ("format", "format_map"):
            return None
        _check_str_call(name, text, (), {})
        vformat = _Formatter(self).vformat

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if name == "format_map":
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return str(vformat(text, args, kwargs))

        return wrapper

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            if isinstance(left, str):
                _check_percent_format(left)
            return left % right
        if operator == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
                if _size(left) + _size(right) > MAX_OUTPUT:
                    raise _too_big("a + concatenation")
            return left + right
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 100:
                raise TemplateFailed("an exponent above 100 is not allowed")
            return left**right
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                if _size(seq) * max(count, 0) > MAX_OUTPUT:
                    raise TemplateFailed(f"a repeated value may not exceed {MAX_OUTPUT} characters")
        return left * right


_env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def _checked_filter(name: str):
    # slice's registered version is async-aware and takes the eval context first.
    original = sync_do_slice if name == "slice" else _env.filters[name]

    def checked(value: Any, *args: Any, **kwargs: Any) -> Any:
        text = str(value)
        if name == "center":
            _check_str_call("center", text, args or (kwargs.get("width", 80),), {})
        elif name == "replace":
            _check_str_call("replace", text, tuple(str(a) for a in args[:2]), {})
        elif name == "indent":
            width = args[0] if args else kwargs.get("width", 4)
            if isinstance(width, int) and width * (text.count("\n") + 1) + len(text) > MAX_OUTPUT:
                raise _too_big("indent")
        elif name == "format":
            _check_percent_format(text)
        elif name in ("slice", "batch"):
            count = args[0] if args else kwargs.get("slices", kwargs.get("linecount"))
            if not isinstance(count, int) or count > MAX_ITEMS:
                raise TemplateFailed(f"{name}() is limited to {MAX_ITEMS}")
        return original(value, *args, **kwargs)

    return checked


# Filters that can turn a short input into a huge string are checked before they run.
for _name in ("center", "replace", "indent", "format", "slice", "batch"):
    _env.filters[_name] = _checked_filter(_name)


@pass_eval_context
def _join_filter(eval_ctx, value: Any, d: str = "", attribute: Any = None) -> str:
    return do_join(eval_ctx, _checked_join(value, d), d, attribute)


_env.filters["join"] = _join_filter
# lipsum, cycler and joiner are of no use in node settings; keep the surface small.
_env.globals = {
    "dict": lambda *args, **kwargs: _checked_dict(dict(*args, **kwargs)),
    "namespace": _env.globals["namespace"],
}


def _checked_dict(value: dict) -> dict:
    # dict(ns.d, **{key: text}) in a loop would grow a namespace without any other check.
    if sum(_size(k) + _size(v) for k, v in value.items()) > MAX_VALUE:
        raise TemplateFailed(f"a dict may not hold more than {MAX_VALUE} characters")
    return value


@lru_cache(maxsize=4096)
def _template(source: str):
    """Compiled once per process and source: compiling costs ~1 ms, rendering ~20 us.
    Keyed by the source text, so an edited flow simply compiles its new text."""
    return _env.from_string(source)


@lru_cache(maxsize=4096)
def _expression(source: str):
    return _env.compile_expression(source, undefined_to_none=False)


# What a template may contain and still only read: names, attribute and item lookups,
# constants, comparisons, and/or/not, `a if b else c`, list and tuple literals, text. No call,
# filter, test, arithmetic, slice, loop or assignment: it runs in time and memory bounded by
# its source and the data it reads, so the deadline and the memory ceiling (~30 us of system
# calls and a line tracer per rendering, most of what `{{ event.ticket.id }}` cost) are not
# needed. The sandbox still decides every lookup.
_READS_ONLY = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.CondExpr,
    nodes.List,
    nodes.Tuple,
)


def _reads_only(node: nodes.Node) -> bool:
    return type(node) in _READS_ONLY and all(_reads_only(child) for child in node.iter_child_nodes())


@lru_cache(maxsize=4096)
def _needs_limits(source: str, expression: bool) -> bool:
    """Whether rendering `source` needs the deadline and memory ceiling (see _READS_ONLY);
    one that does not parse does (its rendering reports the error)."""
    try:
        if expression:
            parser = Parser(_env, source, state="variable")
            tree = parser.parse_expression()
            if not parser.stream.eos:
                return True
        else:
            tree = _env.parse(source)
        return not _reads_only(tree)
    except (TemplateError, RecursionError, SyntaxError, MemoryError):
        return True


def _range_for(budget: _Budget):
    def safe_range(*args: int) -> range:
        items = range(*args)
        budget.range_items += len(items)
        if len(items) > MAX_RANGE or budget.range_items > MAX_RANGE_TOTAL:
            raise TemplateFailed(f"range() is limited to {MAX_RANGE} items ({MAX_RANGE_TOTAL} per template)")
        return items

    return safe_range


def _tracer(budget: _Budget, *, every_frame: bool):
    """A trace function that stops template code running past the deadline.

    Without the signal (another thread), every line of every frame is checked; with it, only
    the template's own lines, which keeps the usual message for a loop that runs too long.
    """

    def local(frame, event, arg):
        if event == "line" and time.monotonic() > budget.deadline:
            raise TemplateFailed(f"the template ran longer than {MAX_SECONDS} s")
        return local

    def global_(frame, event, arg):
        if every_frame or frame.f_code.co_filename == "<template>":
            return local
        return None

    return global_


_ARMED = [False]  # a list item store is not a point where Python runs signal handlers


def _on_deadline(signum, frame):
    if _ARMED[0]:
        raise TemplateFailed(f"the template ran longer than {MAX_SECONDS} s")


_statm: dict[str, int] = {}  # the pid that opened it, and the descriptor


def _address_space() -> int | None:
    """Bytes of address space this process holds now (Linux), or None where unknown.

    The file stays open (a read is 1 us, an open 10 us); per pid, since a forked worker
    would otherwise read its parent's figures through an inherited descriptor."""
    pid = os.getpid()
    try:
        fd = _statm.get("fd") if _statm.get("pid") == pid else None
        if fd is None:
            fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
            _statm.update(pid=pid, fd=fd)
        return int(os.pread(fd, 128, 0).split()[0]) * _PAGE
    except (OSError, ValueError, IndexError, AttributeError):
        return None


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@contextlib.contextmanager
def _limits(budget: _Budget):
    """The deadline and memory ceiling of one rendering (see the module docstring)."""
    in_main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous_trace = sys.gettrace()
    if not in_main:
        sys.settrace(_tracer(budget, every_frame=True))
        try:
            yield
        finally:
            sys.settrace(previous_trace)
        return
    previous_handler = signal.signal(signal.SIGPROF, _on_deadline)
    previous_timer = signal.getitimer(signal.ITIMER_PROF)
    previous_limit = resource.getrlimit(resource.RLIMIT_AS) if resource else None
    held = _address_space() if resource else None
    if held is not None and previous_limit is not None:
        soft, hard = previous_limit
        ceiling = held + MAX_MEMORY
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        if soft == resource.RLIM_INFINITY or ceiling < soft:
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    sys.settrace(_tracer(budget, every_frame=False))
    try:
        _ARMED[0] = True
        # CPU time, so a busy machine does not cut a template short; the timer fires again
        # every 50 ms in case the first exception was swallowed somewhere.
        signal.setitimer(signal.ITIMER_PROF, MAX_SECONDS, 0.05)
        yield
    finally:
        _ARMED[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        sys.settrace(previous_trace)
        if previous_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, previous_limit)
        signal.signal(signal.SIGPROF, previous_handler)
        if previous_timer[0]:
            signal.setitimer(signal.ITIMER_PROF, *previous_timer)


def _trim_heap() -> None:
    try:
        ctypes.CDLL(None).malloc_trim(0)  # glibc; elsewhere the allocator keeps what it keeps
    except (OSError, AttributeError):
        pass


def _guarded(func, budget: _Budget, *, limits: bool = True):
    out_of_memory = False
    try:
        with _limits(budget) if limits else contextlib.nullcontext():
            return func()
    except TemplateFailed:
        raise
    except MemoryError:
        out_of_memory = True
    except TemplateError as exc:
        raise TemplateFailed(str(exc.message or exc)) from exc
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError) as exc:
        raise TemplateFailed(f"{type(exc).__name__}: {exc}") from exc
    except SyntaxError as exc:  # Python refused the compiled template ("too many levels")
        raise TemplateFailed(f"the template nests too deeply ({exc.msg})") from exc
    # Out of the except block, the MemoryError's traceback (and the frames holding what was
    # built) is gone: hand the freed heap back to the system before going on.
    assert out_of_memory
    _trim_heap()
    raise TemplateFailed(f"the template needed more than {MAX_MEMORY // 2**20} MB")


def _check_source(source: str) -> None:
    if len(source) > MAX_SOURCE:
        raise TemplateFailed(f"a template is limited to {MAX_SOURCE} characters")


def _json_safe(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_OUTPUT:
        raise TemplateFailed(f"the rendered text is longer than {MAX_OUTPUT} characters")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dict, list, tuple)):
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError, RecursionError):
            return str(value)[:MAX_OUTPUT]
        if len(text) > MAX_VALUE:
            raise TemplateFailed(f"the value is larger than {MAX_VALUE} characters of JSON")
        return json.loads(text)
    return str(value)[:MAX_OUTPUT]


def render_string(source: str, ctx: dict[str, Any]) -> Any:
    """Render one template string; a lone `{{ expression }}` keeps its native JSON type."""
    _check_source(source)
    if "{" not in source:
        return source  # most settings are plain text; skip the compiler
    match = _SINGLE_EXPRESSION.match(source)
    if match:
        value = evaluate(match.group("expr"), ctx)
        try:
            return _json_safe(value)
        except TemplateError as exc:  # an undefined inside a list or dict: `{{ [vars.nope] }}`
            raise TemplateFailed(str(exc.message or exc)) from exc
    budget = _Budget()

    def render() -> str:
        template = _template(source)
        parts, size = [], 0
        for chunk in template.generate({**ctx, "range": _range_for(budget)}):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateFailed(f"the rendered text is longer than {MAX_OUTPUT} characters")
            parts.append(chunk)
        return "".join(parts)

    return _guarded(render, budget, limits=_needs_limits(source, False))


def render_value(value: Any, ctx: dict[str, Any], _depth: int = 0) -> Any:
    """Render every string in a JSON value (keys stay as written)."""
    if _depth > MAX_DEPTH:
        raise TemplateFailed(f"values nest deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return render_string(value, ctx)
    if isinstance(value, dict):
        return {k: render_value(v, ctx, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, ctx, _depth + 1) for v in value]
    return value


def render_text(source: str, ctx: dict[str, Any]) -> str:
    """Render a template that must produce text (a message, a subject)."""
    value = render_string(source, ctx)
    return (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, (dict, list))
        else str(value)
    )


def evaluate(expression: str, ctx: dict[str, Any]) -> Any:
    """Evaluate a Jinja2 expression (a condition, a value) in the sandbox."""
    _check_source(expression)
    budget = _Budget()

    def run() -> Any:
        compiled = _expression(expression)
        return compiled(**{**ctx, "range": _range_for(budget)})

    result = _guarded(run, budget, limits=_needs_limits(expression, True))
    if isinstance(result, StrictUndefined):
        # The same message rendering would give: "'dict object' has no attribute 'x'".
        raise TemplateFailed(
            getattr(result, "_undefined_message", None) or f"{expression.strip()!r} is undefined"
        )
    return result


def syntax_errors(value: Any, *, expression: bool = False) -> list[str]:
    """Compile (without rendering) every template in a config value; for save-time checks."""
    if isinstance(value, dict):
        return [m for v in value.values() for m in syntax_errors(v)]
    if isinstance(value, list):
        return [m for v in value for m in syntax_errors(v)]
    if not isinstance(value, str):
        return []
    try:
        _check_source(value)
        if expression:
            _env.compile_expression(value)
        else:
            _env.from_string(value)
    except TemplateFailed as exc:
        return [str(exc)]
    except TemplateError as exc:
        return [f"template error: {exc}"]
    except (RecursionError, SyntaxError, MemoryError):
        # A template nesting thousands of brackets or blocks exhausts the parser.
        return ["the template nests too deeply"]
    return []
