"""Option values that need no validation library: taken as the command line gives them.

The command-line library checks every argument and option (given or left at its
default) with a pydantic validator, and loading pydantic and building the first
validator cost a tenth of a second of CPU before any command starts: for
``geogrid locate`` on a small file, a sixth of the run. Most values need nothing
of it: a path, a text, one of an enumeration's values, a number already of its
type and within its bounds. :func:`quick_coercion` gives each parameter a
coercion that takes those values at once, with the library's own functions for
paths and choices, and hands every other value (text for a number, a value out
of bounds or not among the choices, lists, custom parsers, files) to the
library's validator, built then, so every error and its message are the
library's. With a library version without this hook, nothing changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["quick_coercion"]

try:  # the command-line library's coercion layer (typer >= 0.22)
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import (coerce_cli_choice, coerce_cli_path, lenient_issubclass,
                                    routes_to_path)
except ImportError:  # pragma: no cover - another version: the library's own coercion
    RuntimeParam = None

_NONE = object()
#: number texts read alike by ``int``/``float`` and the validator (any other: the validator)
_NUMBER = {int: re.compile(r"0|[1-9][0-9]{0,17}"),
           float: re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?")}


def _plain(desc, value: Any, param, ctx) -> Any:
    """``value`` as the library's validator would return it, or ``_NONE`` when only the
    validator can tell (mirrors ``typer._adapters.build_leaf_adapter``, in its order)."""
    from enum import Enum
    from pathlib import Path

    info, kind = desc.parameter_info, desc.annotation
    if info.parser is not None or desc.file_annotation is not None:
        return _NONE
    if lenient_issubclass(kind, Enum):
        return coerce_cli_choice(value, choices=list(kind), case_sensitive=info.case_sensitive,
                                 ctx=ctx)
    if kind in (int, float):
        if type(value) is str and _NUMBER[kind].fullmatch(value):
            value = kind(value)                   # as the validator reads such text
        fits = (type(value) is kind and (info.min is None or value >= info.min)
                and (info.max is None or value <= info.max))
        return value if fits else _NONE
    if kind is bool:
        return value if type(value) is bool else _NONE
    if kind is str:
        return value if type(value) is str else _NONE
    if kind is not Any and routes_to_path(kind, info):
        path_type = info.path_type
        if path_type is None and lenient_issubclass(kind, Path):
            path_type = kind
        if path_type is Path and type(value) is str and value and "\0" not in value:
            value = Path(value)                  # what the validator makes of the text
        elif path_type not in (None, str, bytes) and not isinstance(value, path_type):
            return _NONE
        return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)
    return _NONE


if RuntimeParam is not None:
    @dataclass(frozen=True)
    class _Quick(RuntimeParam):
        """A parameter's coercion: plain values at once, any other by the validator."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param, ctx) -> Any:
            try:
                got = _plain(self.descriptor, value, param, ctx)
            except Exception:       # the validator raises it again, worded as usual
                got = _NONE
            if got is not _NONE:
                return got
            full = build_runtime_param(self.descriptor)
            object.__setattr__(self, "_coerce_value", full._coerce_value)   # next time
            return full._coerce_value(value, param=param, ctx=ctx)


def quick_coercion(params) -> None:
    """Give each of ``params`` (a command's, before its arguments are parsed) the quick
    coercion, unless it has one already or the library has no such hook."""
    if RuntimeParam is None:
        return
    for param in params:
        desc = getattr(param, "type_descriptor", None)
        if desc is None or getattr(param, "_runtime_param", False) is not None:
            continue
        try:
            param._runtime_param = _Quick(parameter_info=desc.parameter_info,
                                          annotation=desc.annotation, descriptor=desc)
        except Exception:  # pragma: no cover - a layout this hook does not know: the library's
            return
