"""The plans of a SpatiaLite store read with Python's ``sqlite3`` alone: what a new worker
needs to open the active plan's stored locator before the store itself is opened.

Opening :class:`~geogrid.store.Store` imports SQLAlchemy's spatial types, pandas and GDAL
(pyogrio, loaded before SpatiaLite) and loads SpatiaLite: most of a new process's start.
``/locate`` needs none of that, only the active plan's id, version, status and levels, and
the plans table has no geometry. :meth:`PlanRows.open` returns a reader of those rows for
a SpatiaLite file at the newest schema (``None`` for anything else: PostGIS, a missing
file, a store that needs a migration), so the server can answer ``/locate`` with it while
the store opens in the background.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote

from .._errors import NotFoundError, StoreUnavailableError
from .migrate import VERSION_TABLE, head_revisions

__all__ = ["PlanRows", "sqlite_file", "rendered_url"]

_JSON_COLUMNS = ("attrs", "levels")


_PREFIX = "sqlite:///"


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL (no driver, no query), else None: the
    database SQLAlchemy's ``make_url`` reads from it (percent-escapes decoded)."""
    if not url.startswith(_PREFIX) or "?" in url:
        return None
    path = unquote(url[len(_PREFIX):])
    return Path(path) if path and path != ":memory:" else None


def rendered_url(url: str) -> str:
    """A plain ``sqlite:///path`` URL as SQLAlchemy renders it (``URL.render_as_string``:
    the path percent-escaped but for ``/``, space and ``+``; a file URL has no password)."""
    return _PREFIX + quote(unquote(url[len(_PREFIX):]), safe=" +/")


class PlanRows:
    """``active_plan()`` and ``plan(id)`` as the store answers them (the ``attrs`` and
    ``levels`` JSON parsed; times as the file holds them, ISO text), read-only."""

    def __init__(self, path: Path, url: str):
        self.path = Path(path)
        #: the store's URL as :func:`geogrid.services.locatefiles.locator_path` keys it
        self.url = rendered_url(url)

    @classmethod
    def open(cls, url: str) -> PlanRows | None:
        """A reader for ``url``, or None unless it is a SpatiaLite file at the newest schema."""
        path = sqlite_file(url)
        if path is None or not path.is_file():
            return None
        rows = cls(path, url)
        try:
            with rows._connect() as conn:
                found = {r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")}
        except sqlite3.Error:
            return None
        return rows if found == head_revisions() else None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                               timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn

    def _one(self, sql: str, params: tuple) -> dict | None:
        try:
            conn = self._connect()
            try:
                row = conn.execute(sql, params).fetchone()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise StoreUnavailableError(
                f"数据库不可用 ({exc})。The database is unavailable ({exc}).",
                field="database_url", value=str(self.path),
                fix="稍后重试。Retry later.") from exc
        if row is None:
            return None
        out = dict(row)
        for column in _JSON_COLUMNS:
            if isinstance(out.get(column), str):
                out[column] = json.loads(out[column])
        return out

    def active_plan(self) -> dict | None:
        return self._one("SELECT * FROM plans WHERE status = 'active' "
                         "ORDER BY effective_at DESC LIMIT 1", ())

    def plan(self, plan_id: int) -> dict:
        row = self._one("SELECT * FROM plans WHERE id = ?", (int(plan_id),))
        if row is None:
            raise NotFoundError(f"方案 {plan_id} 不存在。plan {plan_id} does not exist.",
                                field="plan_id", value=plan_id,
                                fix="用 GET /plans 列出方案。List plans with GET /plans.")
        return row
