"""A live API server on a SQLite store, for page and HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks._server import ApiServer

__all__ = ["serve_store"]


@contextmanager
def serve_store(db: Path) -> Iterator[str]:
    """Serve the SQLite store at ``db`` (no demo loading) on loopback; yield the base URL.

    The server is a real ``uvicorn`` subprocess, answering ``/health`` before
    this yields, and stopped when the block ends.
    """
    with ApiServer(f"sqlite:///{db}", env={"GEOGRID_DEMO": "0"}) as server:
        yield server.url
