"""One engine and its transactions: what every repository writes and reads through.

Every multi-row write runs in one transaction (:meth:`Database.write`): a
failure anywhere rolls the whole write back, so a failed import or a crash
half-way leaves the store as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from .._errors import StoreUnavailableError
from ._sql import is_unavailable
from .engine import is_sqlite

__all__ = ["Database"]


class Database:
    """An engine with one-transaction writes, reads, and a ping."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # SQLite has one writer. Writers of this process queue on a lock instead of on
        # SQLite's busy handler, whose growing sleeps (up to 100 ms) make long tails.
        self._write_lock = threading.Lock() if is_sqlite(engine) else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: all of it commits, or none of it."""
        lock = self._write_lock or nullcontext()
        try:
            with lock, self.engine.connect().execution_options(geogrid_write=True) as conn:
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            if is_unavailable(exc):
                raise StoreUnavailableError(
                    "数据库不可用, 未写入任何内容。The database is unavailable; nothing was written.",
                    fix="稍后重试。Retry later.") from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            if is_unavailable(exc):
                raise StoreUnavailableError("数据库不可用。The database is unavailable.",
                                            fix="稍后重试。Retry later.") from exc
            raise

    @contextmanager
    def reading(self, conn: Connection | None) -> Iterator[Connection]:
        """``conn`` when given (inside a caller's transaction), else a fresh read connection."""
        if conn is not None:
            yield conn
        else:
            with self.read() as c:
                yield c

    def rows(self, query, conn: Connection | None = None) -> list[dict]:
        """The rows of ``query`` as dicts, read in ``conn`` when given, else in a fresh read."""
        with self.reading(conn) as c:
            return [dict(r._mapping) for r in c.execute(query)]

    def ping(self) -> bool:
        with self.read() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the main file and truncate it (no-op on PostGIS),
        so values a purge blanked leave no copy in the WAL."""
        if not is_sqlite(self.engine):
            return
        lock = self._write_lock or nullcontext()
        with lock, self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
