"""METIS without its console chatter.

METIS (through pymetis, C) prints ``***Cannot bisect a graph with 0 vertices!``
and ``***You are trying to partition a graph into too many parts!`` to the
process's standard output when, with contiguity on, its coarsened graph has
fewer vertices than parts. It still returns a partition (with fewer parts,
which :func:`.graph.ensure_parts` then splits), so the lines are noise that
reached users of ``geogrid demo`` and the server's console.

:func:`part_graph` calls :func:`pymetis.part_graph` with file descriptor 1
pointed at a temporary file, under a lock so calls from several threads do
not interleave their redirections. The C library's buffer is flushed before
the descriptor is restored, and whatever else reached the descriptor
meanwhile (another thread's print) is written back, less METIS's ``***``
messages, so nothing but METIS's own messages is lost. Where descriptor 1 cannot
be duplicated (closed), METIS is called as is.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import tempfile
import threading

import pymetis
from pymetis import CSRAdjacency, Options

__all__ = ["part_graph", "quiet_stdout", "CSRAdjacency", "Options"]

_LOCK = threading.Lock()
#: METIS's messages: ``\t***Cannot bisect a graph with 0 vertices!\n`` and the like
_METIS_LINE = re.compile(rb"\t?\*\*\*[^\n]*\n?")
_LIBC = None


def _flush_c_stdout() -> None:
    global _LIBC
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL(None)
        _LIBC.fflush(None)
    except (OSError, AttributeError):  # no C library to flush: nothing buffered there either
        pass


class quiet_stdout:
    """Context manager: fd 1 goes to a temporary file; non-``***`` text is put back after."""

    def __enter__(self):
        _LOCK.acquire()
        self._saved = self._tmp = None
        try:
            sys.stdout.flush()
        except (AttributeError, ValueError, OSError):
            pass
        _flush_c_stdout()
        try:
            self._saved = os.dup(1)
            self._tmp = tempfile.TemporaryFile()
            os.dup2(self._tmp.fileno(), 1)
        except OSError:
            self._close()
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._saved is not None:
                _flush_c_stdout()
                os.dup2(self._saved, 1)
                self._tmp.seek(0)
                kept = _METIS_LINE.sub(b"", self._tmp.read())
                while kept:
                    kept = kept[os.write(1, kept):]
        finally:
            self._close()
            _LOCK.release()

    def _close(self) -> None:
        if self._saved is not None:
            os.close(self._saved)
            self._saved = None
        if self._tmp is not None:
            self._tmp.close()
            self._tmp = None


def part_graph(nparts: int, **kwargs):
    """:func:`pymetis.part_graph` with METIS's console messages dropped (same arguments,
    same answer)."""
    with quiet_stdout():
        return pymetis.part_graph(nparts, **kwargs)
