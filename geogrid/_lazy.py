"""Names a package defines in its submodules, imported on first use (PEP 562).

A package sets ``__getattr__, __dir__ = lazy_names(__name__, {name: submodule})``
so that importing one part of it (a batch command, one router) does not load
the rest; ``from package import name`` still works for every name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: dict[str, str], *, uncached: Iterable[str] = ()
               ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``homes`` maps each public
    name to the submodule (relative to ``package``) that defines it. A name is
    stored in the package once loaded, except those in ``uncached`` (a name
    that a subpackage of the same name would otherwise shadow).

    >>> getattr_, dir_ = lazy_names("json", {"dumps": "encoder"})
    >>> getattr_("nothing")
    Traceback (most recent call last):
    AttributeError: module 'json' has no attribute 'nothing'
    """
    keep = frozenset(uncached)

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{home}", package), name)
        if name not in keep:
            setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
