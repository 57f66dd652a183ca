"""The libraries a batch command needs, imported on a thread while the command line loads.

``geogrid locate`` spends a third of a small job importing: typer (with
pydantic) and rich for the command line, numpy, shapely and pyarrow for the
work. Loading a library is partly file reading and shared-object loading,
which leave the GIL free, so two import chains on two threads finish sooner
than one after the other (about a fifth less wall time on two cores). The
two chains share no module, so neither waits for the other's import locks.
Only a hint: whatever the thread has not imported yet, the command imports
as usual, and an import error is raised there, where it is reported.

A batch command also keeps the memory it frees for its next arrays
(:func:`keep_freed_memory`): it makes and drops arrays of tens of megabytes
(the areas' vertices, their buckets, a chunk of points), and the C library
gives each such array fresh pages from the system and returns them when it is
freed, so every one is paid for again in page faults (system time was a quarter
of the run's CPU time at 300,000 areas). Kept, they are reused. Arrow's buffers
(the files read and written) come from the same allocator rather than Arrow's
own (mimalloc), which returned its free pages to the system and faulted them in
again: a sixth less CPU time for the whole command at 300,000 areas. And
``geogrid locate`` runs the cyclic garbage collector rarely
(:func:`collect_rarely`): the areas' 300,000 polygons and ids are objects that
have no cycles, and counting their creation set it off every 700, to walk every
object the process holds.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["warm_imports", "warm_thread", "is_batch", "keep_freed_memory", "collect_rarely",
           "BATCH_LIBRARIES"]

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


def is_batch(argv: list[str] | None = None) -> bool:
    """Whether ``argv`` (default: this process's) runs a batch command."""
    argv = sys.argv if argv is None else argv
    return len(argv) >= 2 and argv[1] in _BATCH_COMMANDS


def warm_imports(argv: list[str] | None = None) -> threading.Thread | None:
    """Start importing :data:`BATCH_LIBRARIES` on a thread when ``argv`` (default:
    this process's) runs a batch command; returns the thread, or ``None``.

    The thread is not a daemon: the process waits for it before exiting, so no
    import is ever cut off halfway.
    """
    if not is_batch(argv):
        return None
    if all(name in sys.modules for name in BATCH_LIBRARIES):
        return None
    global _thread
    thread = _thread = threading.Thread(target=_load, name="geogrid-warm")
    thread.start()
    return thread


_thread: threading.Thread | None = None

#: ``mallopt`` parameters of the GNU C library (``malloc.h``)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Make the GNU C library's allocator keep freed memory for reuse (no page
    faults for the next arrays) instead of mapping each large array afresh and
    unmapping it when freed; ``False`` (nothing done) with another C library.

    Arrays under 128 MB come from the heap and the heap is never trimmed, so a
    freed array's pages serve the next ones. The process's peak memory stays
    about the same (the batch's arrays are freed as soon as they are used) and
    what it holds is returned at exit; meant for a one-shot command, not a
    server. Arrow allocates from it too (``ARROW_DEFAULT_MEMORY_POOL=system``, unless
    the environment chooses another pool)."""
    import ctypes
    import os

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):       # not glibc: its defaults stay
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")   # read as pyarrow loads
    return all([mallopt(_M_MMAP_THRESHOLD, 128 << 20), mallopt(_M_TRIM_THRESHOLD, 1 << 30),
                mallopt(_M_TOP_PAD, 64 << 20)])


def warm_thread() -> threading.Thread | None:
    """The thread :func:`warm_imports` started in this process, finished or not (``None``
    when it started none)."""
    return _thread


def collect_rarely() -> None:
    """Run the cyclic garbage collector rarely (mypy does so for its runs): after 1,000,000
    new container objects instead of 700, and never over what exists now (the imported
    modules, frozen). Objects without cycles are freed at once as always; a one-shot
    batch makes few cycles, so its memory stays as it was (tested at 300,000 areas)."""
    import gc

    gc.freeze()
    gc.set_threshold(1_000_000, 20, 20)

