"""Shared CLI plumbing: console, progress, and turning GeoGridError into a clean exit.

rich is imported on first use, not with the command line: a batch command that
prints nothing but its result never loads it (a tenth of a second of its start).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from contextlib import contextmanager

import typer

from .._errors import GeoGridError, ValidationError
from ._usage import ClickException

__all__ = ["console", "out", "progress", "progress_line", "handle_errors", "open_store",
           "plan_row", "echo_json", "reason_zh", "escape"]


class _Console:
    """A ``rich.console.Console`` made (and rich imported) the first time it is used."""

    def __init__(self, **options):
        self._options = options
        self._made = None

    def made(self):
        """The console itself."""
        if self._made is None:
            from rich.console import Console

            self._made = Console(**self._options)
        return self._made

    def __getattr__(self, name: str):
        return getattr(self.made(), name)


console = _Console(stderr=True)
out = _Console()


def escape(text: str) -> str:
    """``text`` with rich's markup escaped (:func:`rich.markup.escape`)."""
    from rich.markup import escape as _escape

    return _escape(text)


def progress():
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console.made(), transient=False)


@contextmanager
def progress_line(label: str):
    """A progress callback ``update(done, total)`` for a job labelled ``label``: a live
    bar on a terminal; otherwise (a log, a pipe) one plain line at the end, saying
    what was done and how long it took."""
    if getattr(sys.stderr, "isatty", lambda: False)():
        with progress() as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    seen = [0, None]
    start = time.perf_counter()

    def update(done: int, total: int | None) -> None:
        seen[:] = [done, total]

    yield update
    done, total = seen
    of = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
    sys.stderr.write(f"{label}: {of} ({time.perf_counter() - start:.1f} s)\n")


def handle_errors(fn):
    """Print a GeoGridError as a readable report (or JSON with --json) and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GeoGridError as exc:
            if kwargs.get("as_json"):
                print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False, indent=2))
            else:
                console.print(f"[red]错误 error:[/red] {escape(exc.message)}")
                if isinstance(exc, ValidationError):
                    _print_problems(exc.problems)
                if exc.fix:
                    console.print(f"[yellow]修正 fix:[/yellow] {escape(exc.fix)}")
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, ClickException):   # the parser's, reported bilingually
            raise
        except Exception as exc:  # a bug or an unforeseen input: a clean message, never a traceback
            _unexpected(exc, bool(kwargs.get("as_json")))
            raise typer.Exit(3) from None

    return wrapper


#: rows listed one by one before the same reason is given once for all its rows
_LISTED = 20


def _print_problems(problems) -> None:
    """Each problem on its line (up to :data:`_LISTED`); beyond, one line per field and
    reason with how many rows have it and the first of them, so a file whose every row
    fails one way reads as one finding, not hundreds of lines."""
    if len(problems) <= _LISTED:
        for p in problems:
            loc = f" at {p.location[0]:.6f},{p.location[1]:.6f}" if p.location else ""
            val = f" (got {p.value!r})" if p.value is not None else ""
            console.print(escape(f"  - [{p.index}] {p.field}: {reason_zh(p.reason)}{val}{loc}"))
        return
    groups: dict[tuple[str, str], list] = {}
    for p in problems:
        groups.setdefault((p.field, p.reason), []).append(p.index)
    for (field, reason), rows in list(groups.items())[:_LISTED]:
        first = ", ".join(str(r) for r in rows[:8]) + (", …" if len(rows) > 8 else "")
        console.print(escape(f"  - {field}: {reason_zh(reason)}: {len(rows):,} 行 / rows "
                             f"[{first}]"))
    if len(groups) > _LISTED:
        rest = sum(len(r) for r in list(groups.values())[_LISTED:])
        console.print(f"  … 另有 {rest:,} 行 / and {rest:,} more rows")


#: the core's reasons for a row it refuses, in Chinese (its English is kept after)
_EXACT_ZH = {"is missing": "值缺失", "is empty": "几何为空集",
             "repeats an earlier id": "编号重复"}
_REASONS_ZH = (
    ("not a (Multi)Polygon", "须为面（多边形）"),
    ("outside lon/lat range", "坐标超出经纬度范围"),
    ("Ring Self-intersection", "环自相交"), ("Self-intersection", "自相交"),
    ("Too few points", "点数过少"), ("Hole lies outside shell", "内环在外环之外"),
    ("Interior is disconnected", "内部不连通"), ("Nested shells", "外环嵌套"),
    ("Nested holes", "内环嵌套"), ("Invalid Coordinate", "坐标无效"),
    ("Ring not closed", "环未闭合"),
    ("geometry is null", "几何为空"), ("geometry is empty", "几何为空集"),
    ("expected Polygon or MultiPolygon", "须为面"), ("is missing", "缺少此列"),
    ("unknown level", "未知层级"), ("id is empty", "编号为空"), ("duplicate id", "编号重复"),
    ("coordinates out of lon/lat range", "坐标超出经纬度范围"),
    ("lon/lat look swapped", "经纬度疑似颠倒"), ("outside China", "在中国范围之外"),
    ("invalid geometry", "几何无效"),
)


def reason_zh(reason: str) -> str:
    """``reason`` with its Chinese in front, unless it already has Chinese."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in reason):
        return reason
    zh = _EXACT_ZH.get(reason) or next((z for en, z in _REASONS_ZH if en in reason), None)
    return f"{zh} / {reason}" if zh else reason


def _unexpected(exc: Exception, as_json: bool) -> None:
    text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    msg = f"意外错误, 未写入任何数据。unexpected error, nothing was written: {text}"
    fix = ("请检查输入文件; 若问题仍在, 请附上命令和此信息报告。Check the input files; if it "
           "persists, report it with the command and this message.")
    if as_json:
        print(json.dumps({"error": {"code": "unexpected", "message": msg, "fix": fix}},
                         ensure_ascii=False, indent=2))
    else:
        console.print(f"[red]错误 error:[/red] {escape(msg)}")
        console.print(f"[yellow]修正 fix:[/yellow] {escape(fix)}")


def open_store():
    from ..store import open_store as _open

    return _open()


def plan_row(store, plan: str, fix: str | None = None):
    """The store's row for ``--plan`` (``active`` or an id), or a bilingual error naming it."""
    from .._errors import InputError

    from .._errors import NotFoundError

    if plan == "active":
        row = store.active_plan()
    else:
        try:
            row = store.plan(int(plan))
        except NotFoundError as exc:     # the store's fix names the HTTP route; here, the command
            raise NotFoundError(exc.message, field="--plan", value=plan,
                                fix="用 geogrid plans 查看方案编号。See the plan ids with geogrid "
                                    "plans.") from None
        except ValueError:
            raise InputError(f"--plan {plan!r} 不是方案编号。--plan {plan!r} is not a plan id.",
                             field="--plan", value=plan,
                             fix="用 geogrid plans 查看编号, 或用 active。See ids with geogrid plans, "
                                 "or pass active.") from None
    if row is None:
        raise InputError("没有启用的方案 / there is no active plan.", field="--plan", value=plan,
                         fix=fix or "用 geogrid activate ID 启用一个草稿、载入演示 (geogrid demo), "
                                    "或用 --plan ID 指定。Activate a draft with geogrid activate "
                                    "ID, load the demo (geogrid demo), or pass --plan ID.")
    return row


def echo_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
