"""`geogrid geocode` on the files people have: GBK from Excel, blank lines, empty or
missing files. One output row per input row, a clear bilingual error otherwise, and no
output file left behind by a refused input."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from geogrid.cli import app

ROWS = "地址,名称\n浦东南路1000号,丙\n\n   ,乙\n浦东南路1000号,丁\n"


def _geocode(path, out, *extra):
    res = CliRunner().invoke(app, ["geocode", str(path), "-o", str(out), "--column", "地址",
                                   *extra])
    return res.exit_code, " ".join(res.output.split())


@pytest.mark.parametrize("encoding, option", [("utf-8", []), ("gbk", []),
                                              ("gbk", ["--encoding", "GBK"]),
                                              ("utf-8-sig", [])])
def test_every_input_row_has_its_output_row_in_any_usual_encoding(demo_cli, tmp_path,
                                                                  encoding, option):
    src = tmp_path / "in.csv"
    src.write_bytes(ROWS.encode(encoding))
    code, text = _geocode(src, tmp_path / "out.csv", *option)
    assert code == 0, text
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert len(out) == 4                            # the blank and the spaces-only rows kept
    assert out["名称"].tolist() == ["丙", "", "乙", "丁"]
    assert out["geo_ok"].tolist() == ["True", "False", "False", "True"]
    # the same address, read from UTF-8 or GBK, lands at the same place
    assert out["geo_lon"].iloc[0] == out["geo_lon"].iloc[3] != ""


@pytest.mark.parametrize("content, zh, en", [
    (b"", "是空的", "is empty"),
    (b"\xff\xfe\x00\x81\x30bad\n", "无法按 UTF-8 或 GB18030 解码", "is not UTF-8 or GB18030"),
])
def test_an_unreadable_file_is_named_and_nothing_is_written(demo_cli, tmp_path, content, zh, en):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    code, text = _geocode(src, tmp_path / "out.csv")
    assert code == 2, text
    flat = "".join(text.split())
    assert zh in text and en in text and "in.csv" in flat and "Traceback" not in text
    assert text.index("错误") < text.index("error:") and "fix:" in text
    assert not (tmp_path / "out.csv").exists()


def test_a_missing_file_or_unknown_encoding_is_said(demo_cli, tmp_path):
    code, text = _geocode(tmp_path / "nope.csv", tmp_path / "out.csv")
    flat = "".join(text.split())               # the console folds a long path anywhere
    assert code == 2 and "文件不存在/file" in flat and "nope.csv" in flat
    src = tmp_path / "in.csv"
    src.write_text(ROWS, encoding="utf-8")
    code, text = _geocode(src, tmp_path / "out.csv", "--encoding", "klingon")
    assert code == 2 and "未知编码 / unknown text encoding 'klingon'" in text
    assert not (tmp_path / "out.csv").exists()
