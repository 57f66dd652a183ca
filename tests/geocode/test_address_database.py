"""The address database: import (dry run, idempotent, provenance), learning, gazetteer rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

from geogrid._errors import InputError
from geogrid.geocode.addressdb import address_key, confirmed_candidate, prepare_addresses

SAMPLE = Path(__file__).parent / "data" / "amap_huangpu_sample.csv"  # see data/NOTICE.md


def _frame(addresses, points):
    return gpd.GeoDataFrame({"address": addresses}, geometry=[Point(*p) for p in points],
                            crs="EPSG:4490")


def test_key_is_normalised_and_names_separate_shops():
    assert address_key("崂山路６３８弄１号") == address_key("崂山路638弄1号") == "崂山路638弄1号"
    assert address_key("西藏中路268号", "喜茶") != address_key("西藏中路268号", "星巴克")


def test_prepare_reports_every_unparsable_row_and_requires_provenance():
    f = _frame(["崂山路638弄1号", "[]", "1号线;2号线", "附近", "浦东南路东园一村113号"],
               [(121.51, 31.23)] * 5)
    rows, problems = prepare_addresses(f, source="街道", source_date="2026-11-01", licence="内部")
    assert rows["address"].tolist() == ["崂山路638弄1号", "浦东南路东园一村113号"]
    assert [p.index for p in problems] == [1, 2, 3]
    assert all("地址无法解析" in p.reason and "the address" in p.reason for p in problems)
    assert set(rows["source"]) == {"街道"} and set(rows["licence"]) == {"内部"}
    with pytest.raises(InputError, match="--licence"):
        prepare_addresses(f, source="街道", source_date="2026-11-01", licence="")
    with pytest.raises(InputError, match="--address-col"):
        prepare_addresses(f, address_column="addr", source="s", source_date="d", licence="l")


def test_building_and_compound_ids_are_kept(spatialite_store):
    from geogrid.store.addresses import AddressBook

    f = _frame(["崂山路638弄1号", "崂山路638弄2号"], [(121.51, 31.23), (121.5101, 31.23)])
    f["bid"], f["cid"] = ["B-1", None], ["C-638", "C-638"]
    rows, _ = prepare_addresses(f, building_column="bid", compound_column="cid", source="s",
                                source_date="d", licence="l")
    assert rows["building_id"].iloc[0] == "B-1" and rows["building_id"].isna().iloc[1]
    with spatialite_store.write() as conn:
        AddressBook(spatialite_store).upsert(conn, rows, actor="t")
    got = AddressBook(spatialite_store).frame().sort_values("key")
    assert got["building_id"].iloc[0] == "B-1" and got["building_id"].isna().iloc[1]
    assert got["compound_id"].tolist() == ["C-638", "C-638"]
    with pytest.raises(InputError, match="--building-col"):
        prepare_addresses(f, building_column="nope", source="s", source_date="d", licence="l")


def test_confirmed_candidate_modes():
    row = confirmed_candidate("崂山路638弄1号", 121.51, 31.23, actor="dispatcher7",
                              incident_id=42, mode="review")
    assert (row["status"], row["confirmed_by"], row["incident_id"]) == ("candidate", "dispatcher7",
                                                                       "42")
    assert confirmed_candidate("崂山路638弄1号", 121.51, 31.23, actor="d", incident_id=None,
                               mode="auto")["status"] == "active"
    with pytest.raises(InputError, match="auto"):
        confirmed_candidate("崂山路638弄1号", 121.51, 31.23, actor="d", incident_id=1, mode="x")


def _cli(args, tmp_path, monkeypatch):
    from geogrid.cli import app
    from geogrid.settings import get_settings

    monkeypatch.setenv("GEOGRID_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GEOGRID_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()


def test_cli_import_is_dry_by_default_then_idempotent(tmp_path, monkeypatch):
    base = ["import", str(SAMPLE), "--as", "addresses", "--datum", "wgs84", "--lon-col", "lon",
            "--lat-col", "lat", "--name-col", "name", "--source", "amap-sample",
            "--source-date", "2020-06-01", "--licence", "MIT (ni1o1); Amap terms", "--json"]
    dry = _cli(base, tmp_path, monkeypatch)
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["committed"] is False and report["rows"] == 60
    assert report["readable"] + len(report["unparsable"]) == 60
    first = json.loads(_cli(base + ["--commit"], tmp_path, monkeypatch).output)
    again = json.loads(_cli(base + ["--commit"], tmp_path, monkeypatch).output)
    assert first["new"] == report["readable"] and first["replaced"] == 0
    assert again["new"] == 0 and again["replaced"] == report["readable"]

    from geogrid.store import Store
    from geogrid.store.addresses import AddressBook

    store = Store.open(f"sqlite:///{tmp_path / 'geogrid.sqlite'}")
    try:
        book = AddressBook(store).frame()
        assert len(book) == report["readable"]
        assert set(book["source"]) == {"amap-sample"} and set(book["source_date"]) == {"2020-06-01"}
        # WGS84 in, CGCS2000 stored: the same numbers at city scale
        assert abs(book.geometry.x.mean() - 121.47) < 0.02
    finally:
        store.dispose()


def test_cli_bad_column_is_a_clear_error_without_traceback(tmp_path, monkeypatch):
    r = _cli(["import", str(SAMPLE), "--as", "addresses", "--datum", "wgs84", "--lon-col", "lon",
              "--lat-col", "lat", "--address-col", "addr", "--source", "s", "--source-date", "d",
              "--licence", "l"], tmp_path, monkeypatch)
    assert r.exit_code != 0
    assert "addr" in r.output and "Traceback" not in r.output


def test_learning_review_then_approve_and_gazetteer_rebuild(spatialite_store):
    from geogrid.store.addresses import AddressBook
    from geogrid.store.gazetteer import gazetteer_from_store

    book = AddressBook(spatialite_store)
    with spatialite_store.write() as conn:
        book.upsert(conn, _rows(), actor="test")
    rev0 = book.revision()
    gaz = gazetteer_from_store(spatialite_store)
    r = gaz.geocode("测试大道12号")
    assert r.ok and r.source == "addresses" and r.level.value == "门牌"

    with spatialite_store.write() as conn:
        key = book.learn(conn, address="新建路5号", lon=121.602, lat=31.301, actor="dispatcher7",
                         incident_id=9, mode="review")
    row = {"key": key}
    assert book.revision() != rev0
    assert not gazetteer_from_store(spatialite_store).geocode("新建路5号").ok  # waits for review
    with spatialite_store.write() as conn:
        book.approve(conn, row["key"], actor="reviewer")
    got = gazetteer_from_store(spatialite_store).geocode("新建路5号")
    assert got.ok and abs(got.lon - 121.602) < 1e-6 and abs(got.lat - 31.301) < 1e-6
    audit = spatialite_store.audit_entries(entity="address_book")
    assert {"addresses.confirm", "addresses.approve"} <= {a["action"] for a in audit}
    assert any(a["actor"] == "dispatcher7" for a in audit)
    with spatialite_store.write() as conn:  # auto mode: active at once
        book.learn(conn, address="新建路7号", lon=121.6022, lat=31.301, actor="d2",
                   incident_id=10, mode="auto")
    assert gazetteer_from_store(spatialite_store).geocode("新建路7号").source == "addresses"


def test_failed_write_leaves_the_table_as_it_was(spatialite_store):
    from geogrid.store.addresses import AddressBook

    book = AddressBook(spatialite_store)
    with spatialite_store.write() as conn:
        book.upsert(conn, _rows(), actor="test")
    before = book.frame()
    with pytest.raises(RuntimeError), spatialite_store.write() as conn:
        book.upsert(conn, _rows().assign(source="changed"), actor="test")
        raise RuntimeError("disk full")
    after = book.frame()
    assert after["source"].tolist() == before["source"].tolist() == ["t", "t"]


def _rows():
    f = _frame(["测试大道12号", "测试大道14号"], [(121.600, 31.300), (121.6003, 31.300)])
    rows, problems = prepare_addresses(f, source="t", source_date="2026-01-01", licence="l")
    assert not problems
    return rows


def test_repository_on_both_stores(store):
    """Upsert is idempotent on the key, keeps provenance, changes the revision; both backends."""
    from geogrid.store.addresses import AddressBook

    book = AddressBook(store)
    rev0 = book.revision()
    with store.write() as conn:
        assert book.upsert(conn, _rows(), actor="test") == {"new": 2, "replaced": 0}
    rev1 = book.revision()
    with store.write() as conn:
        assert book.upsert(conn, _rows(), actor="test") == {"new": 0, "replaced": 2}
    got = book.frame()
    assert sorted(got["key"]) == ["测试大道12号", "测试大道14号"]
    assert set(got["licence"]) == {"l"} and got.crs.to_epsg() == 4490
    assert sorted(got.geometry.x.round(4).tolist()) == [121.6, 121.6003]
    assert len({rev0, rev1, book.revision()}) == 3
