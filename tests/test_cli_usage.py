"""The command-line parser's own errors (missing argument, unknown option, bad value,
unknown command) and every --help line read Chinese first, English kept, exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from geogrid.cli import app
from geogrid.cli._usage import BilingualCommand, BilingualGroup

_CJK = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parents[1]


def _text(res) -> str:
    return " ".join(res.output.split())      # the console wraps long lines


@pytest.mark.parametrize("args, named, english, help_of", [
    (["import"], "paths", "Missing argument 'paths'", "geogrid import"),
    (["import", "x.geojson", "--bogus"], "--bogus", "No such option: --bogus", "geogrid import"),
    (["import", "x.geojson", "-d", "mars"], "'mars'", "is not one of", "geogrid import"),
    (["partition", "--n", "0"], "--n", "greater than or equal to 1", "geogrid partition"),
    (["partition", "--kind", "tower"], "'tower'", "is not one of", "geogrid partition"),
    (["users", "add"], "username", "Missing argument 'username'", "geogrid users add"),
    (["users", "add", "bob", "--role", "boss"], "'boss'", "is not one of", "geogrid users add"),
    (["users", "revoke", "abc"], "'abc'", "valid integer", "geogrid users revoke"),
    (["validate", "--plan"], "--plan", "requires an argument", "geogrid validate"),
    (["export", "a.gpkg", "b.gpkg"], "b.gpkg", "unexpected extra argument", "geogrid export"),
    (["imprt"], "'imprt'", "No such command 'imprt'", "geogrid"),
])
def test_usage_errors_read_chinese_first_and_name_what_was_wrong(args, named, english, help_of):
    res = CliRunner().invoke(app, args)
    text = _text(res)
    assert res.exit_code == 2, text
    assert "Traceback" not in text
    error = text[text.index("错误 error:"):text.index("修正 fix:")]
    fix = text[text.index("修正 fix:"):]
    assert named in error and english in error
    assert _CJK.search(error).start() < error.index(english)      # Chinese comes first
    assert f"运行 {help_of} --help" in fix and f"Run {help_of} --help" in fix


def test_a_bad_choice_lists_the_choices_in_the_fix():
    text = _text(CliRunner().invoke(app, ["import", "x.geojson", "-d", "mars"]))
    fix = text[text.index("修正 fix:"):]
    assert "可选值 choices: wgs84, cgcs2000, gcj02, bd09" in fix
    assert "不在可选值之中" in text


def test_a_number_out_of_bounds_says_the_bound_in_chinese():
    text = _text(CliRunner().invoke(app, ["partition", "--type-weight", "2"]))
    assert "--type-weight 的值 '2' 无效: 须 ≤ 1" in text


def test_a_typo_of_a_command_suggests_the_command_in_both_languages():
    text = _text(CliRunner().invoke(app, ["imprt"]))
    assert "是否想用 'import'" in text and "Did you mean 'import'?" in text


def test_the_installed_entry_point_prints_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "geogrid.cli", "import", "--bogus"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    assert "没有选项 --bogus" in " ".join(res.stderr.split())


def _commands(command, path):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


_TREE = list(_commands(typer.main.get_command(app), "geogrid"))
#: names and literals that may come before the Chinese of a help line
_LITERALS = re.compile(r"--?[\w-]+|`[^`]*`|\b[A-Z_]{2,}\b|\b(?:CSV|API|OSM|GeoJSON|GeoPackage|"
                       r"Shapefile|GeoParquet|Parquet|TOML|JSON|id|ID|CJ/T|wgs84|gcj02|bd09|"
                       r"cgcs2000|YYYY-MM-DD)\b")
#: their help is English only (the batch commands' texts live in their own module)
_ENGLISH_ONLY: set[str] = set()


def _chinese_first(text: str | None) -> bool:
    text = _LITERALS.sub("", text or "")
    zh = _CJK.search(text)
    en = re.search(r"[A-Za-z]{2,}", text)
    return bool(zh) and (en is None or zh.start() < en.start())


@pytest.mark.parametrize("path, command", [
    pytest.param(p, c, marks=pytest.mark.xfail(strict=True, reason="English-only help"))
    if p in _ENGLISH_ONLY else (p, c) for p, c in _TREE], ids=[p for p, _ in _TREE])
def test_every_command_and_option_explains_itself_in_chinese_first(path, command):
    ctx = typer.main.get_command(app).make_context("geogrid", ["--help"], resilient_parsing=True)
    assert _chinese_first((command.help or "").split("\n\n")[0]), f"{path}: {command.help!r}"
    for param in command.get_params(ctx):
        assert _chinese_first(getattr(param, "help", None)), f"{path} {param.opts}: {param.help!r}"


def test_every_group_and_command_reports_usage_errors_bilingually():
    for path, command in _TREE:
        assert isinstance(command, BilingualGroup if hasattr(command, "commands")
                          else BilingualCommand), path
