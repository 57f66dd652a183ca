"""The libraries a batch command needs, imported on a thread while the command line loads.

``geogrid locate`` spends a third of a small job importing: typer (with
pydantic) and rich for the command line, numpy, shapely and pyarrow for the
work. Loading a library is partly file reading and shared-object loading,
which leave the GIL free, so two import chains on two threads finish sooner
than one after the other (about a fifth less wall time on two cores). The
two chains share no module, so neither waits for the other's import locks.
Only a hint: whatever the thread has not imported yet, the command imports
as usual, and an import error is raised there, where it is reported.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["warm_imports", "warm_thread", "BATCH_LIBRARIES"]

#: what the batch commands import first (none of them imports typer, pydantic or rich)
BATCH_LIBRARIES = ("numpy", "shapely", "pyarrow", "pyarrow.parquet", "pyarrow.csv")
#: commands that read and write files with those libraries
_BATCH_COMMANDS = frozenset({"locate", "geocode"})


def _load() -> None:
    import importlib

    for name in BATCH_LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception:       # reported where the command imports it
            return


def warm_imports(argv: list[str] | None = None) -> threading.Thread | None:
    """Start importing :data:`BATCH_LIBRARIES` on a thread when ``argv`` (default:
    this process's) runs a batch command; returns the thread, or ``None``.

    The thread is not a daemon: the process waits for it before exiting, so no
    import is ever cut off halfway.
    """
    argv = sys.argv if argv is None else argv
    if len(argv) < 2 or argv[1] not in _BATCH_COMMANDS:
        return None
    if all(name in sys.modules for name in BATCH_LIBRARIES):
        return None
    global _thread
    thread = _thread = threading.Thread(target=_load, name="geogrid-warm")
    thread.start()
    return thread


_thread: threading.Thread | None = None


def warm_thread() -> threading.Thread | None:
    """The thread :func:`warm_imports` started in this process, finished or not (``None``
    when it started none)."""
    return _thread
