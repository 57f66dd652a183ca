"""How files become one plan's areas: the options, declared once for every command that reads them.

``geogrid import`` (areas) and ``geogrid check`` read files the same way: declared levels,
the level of every area or of each layer, the id / name / code / level / parent columns, the
layer and the text encoding. :func:`plan_file_options` gives a command all of these options
at the place of its ``files: PlanFiles`` parameter and hands them over as one
:class:`PlanFiles`.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, get_type_hints

import typer

__all__ = ["PlanFiles", "plan_file_options", "prepare_files", "columns_of", "IdCol", "NameCol",
           "CodeCol", "LevelCol", "ParentCol", "ParentBy", "LevelsOpt", "LayerLevel",
           "EncodingOpt"]

IdCol = Annotated[str | None, typer.Option("--id-column", help="列: 编号 column holding unique ids")]
NameCol = Annotated[str | None, typer.Option("--name-column", help="列: 名称 column (e.g. 名称)")]
CodeCol = Annotated[str | None, typer.Option("--code-column", help="列: 编码 column (e.g. 编码)")]
LevelCol = Annotated[str | None, typer.Option("--level-column", help="列: 层级 column (e.g. 层级)")]
ParentCol = Annotated[str | None, typer.Option("--parent-column",
                                               help="列: 上级 column (parent id or code)")]
ParentBy = Annotated[str, typer.Option("--parent-by", help="上级: id, code-prefix or contains")]
LevelsOpt = Annotated[str | None, typer.Option(
    "--levels", help="层级声明 top first, e.g. 街道=street,社区=community,网格=grid")]
LayerLevel = Annotated[list[str] | None, typer.Option(
    "--layer-level", help="图层/文件=层级, e.g. 社区=community or grids.geojson=网格 (repeatable)")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Shapefile 文字编码, e.g. GBK")]
LevelOpt = Annotated[str | None, typer.Option(help="所有区域的层级 level of every area")]
LayerOpt = Annotated[str | None, typer.Option(help="只读多图层文件的此图层 only this layer of a multi-layer file")]


@dataclass(frozen=True)
class PlanFiles:
    """The plan-file options of one command run (each field is the option of the same name)."""

    levels: LevelsOpt = None
    level: LevelOpt = None
    layer_level: LayerLevel = None
    id_column: IdCol = None
    name_column: NameCol = None
    code_column: CodeCol = None
    level_column: LevelCol = None
    parent_column: ParentCol = None
    parent_by: ParentBy = "id"
    layer: LayerOpt = None
    encoding: EncodingOpt = None

    def declares_levels(self) -> bool:
        """Whether the options say the files are one plan of several levels."""
        return bool(self.levels or self.level or self.layer_level or self.level_column
                    or self.parent_column)

    def prepare(self, paths: list[Path], *, datum, **kwargs):
        """:func:`prepare_files` with these options (``kwargs``: source, licence, store, ...)."""
        return prepare_files(paths, datum=datum, levels=self.levels, level=self.level,
                             layer_level=self.layer_level, layer=self.layer,
                             encoding=self.encoding, parent_by=self.parent_by,
                             columns=columns_of(self.id_column, self.name_column, self.code_column,
                                                self.level_column, self.parent_column), **kwargs)


def plan_file_options(fn):
    """Give command ``fn`` every :class:`PlanFiles` option where it declares ``files``.

    Typer reads the command's signature: the ``files`` parameter is replaced by one
    parameter per option (same annotations, so the same flags and help), and the call
    gathers them back into ``files``.
    """
    sig = inspect.signature(fn, eval_str=True)
    hints = get_type_hints(PlanFiles, include_extras=True)
    options = [inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 annotation=hints[f.name], default=f.default)
               for f in fields(PlanFiles)]
    params = []
    for p in sig.parameters.values():
        params += options if p.name == "files" else [p]

    @functools.wraps(fn)
    def command(*args, **kwargs):
        given = {f.name: kwargs.pop(f.name) for f in fields(PlanFiles) if f.name in kwargs}
        return fn(*args, files=PlanFiles(**given), **kwargs)

    command.__signature__ = sig.replace(parameters=params)
    return command


def columns_of(id_column, name_column, code_column, level_column, parent_column):
    from ..hierarchy import ColumnMap

    return ColumnMap(id=id_column, name=name_column, code=code_column, level=level_column,
                     parent=parent_column)


def prepare_files(paths: list[Path], *, datum, levels: str | None, level: str | None,
                  layer_level, layer, encoding, columns, parent_by: str, source=None,
                  licence=None, store=None, plan: int | None = None, repair: bool = False):
    """Read and check a whole plan from files (the store is only read, for ``plan``)."""
    from ..model import parse_levels
    from ..services.imports import parse_layer_levels, prepare_plan
    from ..settings import get_settings

    limits = get_settings()
    declared = parse_levels(levels)
    existing = None
    if plan is not None:
        declared = store.plan_levels(plan) if levels is None else declared
        existing = store.areas(plan)
    return prepare_plan(paths, datum=datum, levels=declared, columns=columns,
                        parent_by=parent_by, level=level,
                        layer_levels=parse_layer_levels(layer_level),
                        layer=layer, encoding=encoding, source=source, licence=licence,
                        max_features=limits.max_import_features,
                        max_vertices=limits.max_vertices, existing=existing, repair=repair)
