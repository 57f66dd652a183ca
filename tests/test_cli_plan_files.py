"""``import`` and ``check`` read plan files through the same declared options."""

from __future__ import annotations

from dataclasses import fields

import typer.main

from geogrid.cli import app
from geogrid.cli._plan_files import PlanFiles, plan_file_options

FLAGS = {"--levels", "--level", "--layer-level", "--id-column", "--name-column", "--code-column",
         "--level-column", "--parent-column", "--parent-by", "--layer", "--encoding"}


def _options(name: str) -> dict[str, object]:
    command = typer.main.get_command(app).commands[name]
    return {opt: p for p in command.params for opt in p.opts}


def test_both_commands_offer_every_plan_file_option_alike():
    imp, chk = _options("import"), _options("check")
    assert FLAGS <= set(imp) and FLAGS <= set(chk)
    for flag in FLAGS:
        assert (imp[flag].help, imp[flag].default, imp[flag].multiple) == \
            (chk[flag].help, chk[flag].default, chk[flag].multiple), flag
    assert imp["--parent-by"].default == "id" and imp["--layer-level"].multiple


def test_the_options_reach_the_command_as_one_plan_files_value():
    seen = {}

    @plan_file_options
    def command(paths: list[str], files: PlanFiles = PlanFiles(), as_json: bool = False):
        seen.update(paths=paths, files=files, as_json=as_json)

    names = [p for p in command.__signature__.parameters]
    assert names == ["paths", *[f.name for f in fields(PlanFiles)], "as_json"]
    command(["a.gpkg"], levels="街道=street,网格=grid", parent_column="上级", as_json=True)
    assert seen["files"] == PlanFiles(levels="街道=street,网格=grid", parent_column="上级")
    assert seen["files"].declares_levels() and not PlanFiles(layer="x").declares_levels()
    assert seen["paths"] == ["a.gpkg"] and seen["as_json"] is True
