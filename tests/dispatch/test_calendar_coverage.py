"""Calendars that do not run out silently: coverage, flags, imports, the library source."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from typer.testing import CliRunner

from geogrid._errors import ValidationError
from geogrid.dispatch.calendar import WorkingCalendar, load_arrangement
from geogrid.dispatch.workflow import Action, Workflow

CAL = WorkingCalendar.default()
ARRANGEMENT_2027 = """date,type,name
2027-01-01,holiday,元旦
2027-01-02,holiday,元旦
2027-01-03,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,休,春节
2027-02-08,休,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-13,holiday,春节
2027-02-14,holiday,春节
2027-01-31,workday,春节调休
2027-02-20,班,春节调休
"""


def _bilingual(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{3}", text))


def test_default_agrees_with_the_library_on_every_day_it_covers():
    lo, hi = chinese_calendar.constants.holidays and (2004, 2026)
    day, disagree = date(lo, 1, 1), []
    while day <= date(hi, 12, 31):
        if CAL.is_working_day(day) != chinese_calendar.is_workday(day):
            disagree.append(day)
        day += timedelta(days=1)
    assert disagree == []
    assert CAL.years == frozenset(range(2004, 2027))
    with pytest.raises(NotImplementedError):  # the library stops where the calendar does
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_bundled_2026_file_matches_the_library():
    bundled = WorkingCalendar.from_dict({"holidays": [], "workdays": []})
    import tomllib
    from importlib import resources

    text = resources.files("geogrid.dispatch").joinpath("data/calendar.toml").read_text("utf-8")
    bundled = WorkingCalendar.from_dict(tomllib.loads(text)["calendar"])
    lib = WorkingCalendar.from_library()
    assert bundled.years == {2026}
    assert bundled.holidays == {d for d in lib.holidays if d.year == 2026}
    assert bundled.workdays == {d for d in lib.workdays if d.year == 2026}


def _dispatched(workflow: Workflow, at: datetime, category: str = "group_rental"):
    state, _ = workflow.report("INC-1", category, at, actor="t", microgrid="mg-1")
    state, _ = workflow.apply(state, Action.ACCEPT, actor="t", at=at)
    state, ev = workflow.apply(state, Action.DISPATCH, actor="t", at=at)
    return state, ev


def test_deadline_in_an_uncovered_year_is_flagged_on_the_incident():
    wf = Workflow.default()
    late, ev = _dispatched(wf, datetime(2026, 12, 30, 10, 0))
    assert late.deadline.year == 2027 and late.calendar_gap == (2027,)
    assert ev.data["calendar_gap"] == [2027]
    assert late.to_dict()["calendar_gap"] == [2027]
    early, ev = _dispatched(wf, datetime(2026, 6, 1, 10, 0))
    assert early.calendar_gap == () and "calendar_gap" not in ev.data
    # an extension into the uncovered year flags it too
    ext, _ = wf.apply(early, Action.EXTEND, actor="t", at=datetime(2026, 6, 1, 11, 0),
                      reason="材料未到", extra="200 working_days")
    assert ext.deadline.year == 2027 and ext.calendar_gap == (2027,)


def test_an_imported_year_clears_the_flag_and_moves_the_deadline(tmp_path):
    (tmp_path / "2027.csv").write_text(ARRANGEMENT_2027, encoding="utf-8")
    wf = Workflow.default(tmp_path)
    assert wf.calendar.years == frozenset(range(2004, 2028))
    assert not wf.calendar.is_working_day(date(2027, 1, 1))
    assert wf.calendar.is_working_day(date(2027, 1, 31))        # Sunday, 调休
    plain, _ = _dispatched(Workflow.default(), datetime(2026, 12, 31, 16, 0))
    known, _ = _dispatched(wf, datetime(2026, 12, 31, 16, 0))
    assert known.calendar_gap == () and known.deadline > plain.deadline


@pytest.mark.parametrize("now,warned", [(datetime(2026, 11, 30), False),
                                        (datetime(2026, 12, 2), True),
                                        (datetime(2027, 3, 1), True)])
def test_coverage_warns_thirty_days_ahead(now, warned):
    report = CAL.coverage(now, 30)
    assert report["years"] == [2004, 2026]
    assert ("warning" in report) is warned
    if warned:
        assert report["uncovered"] == [2027] and _bilingual(report["warning"])


def test_bad_rows_are_all_reported_bilingually(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,type\n2027-01-01,holiday\n2027-02-30,holiday\n2027-02-03,班\n"
                   "2028-01-01,休\n2027-01-02,放假\n2027-01-01,workday\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_arrangement(bad)
    rows = {(p.index, p.field) for p in err.value.problems}
    assert rows == {(3, "date"), (4, "date"), (5, "date"), (6, "type"), (7, "date")}
    assert all(_bilingual(p.reason) for p in err.value.problems)
    assert "bad.csv" in err.value.message
    no_header = tmp_path / "h.csv"
    no_header.write_text("2027-01-01,holiday\n", encoding="utf-8")
    with pytest.raises(Exception, match="date,type"):
        load_arrangement(no_header)


def test_toml_and_json_arrangements(tmp_path):
    toml = tmp_path / "a.toml"
    toml.write_text('year = 2027\nholidays = ["2027-10-01..2027-10-07"]\nworkdays = ["2027-09-26"]\n',
                    encoding="utf-8")
    cal = load_arrangement(toml)
    assert cal.years == {2027} and len(cal.holidays) == 7 and cal.workdays == {date(2027, 9, 26)}
    js = tmp_path / "a.json"
    js.write_text(json.dumps({"year": 2027, "holidays": [], "workdays": []}), encoding="utf-8")
    with pytest.raises(ValidationError, match="no holidays"):
        load_arrangement(js)


def test_cli_import_checks_by_default_and_writes_with_commit(tmp_path, monkeypatch):
    from geogrid.cli import app
    from geogrid.settings import get_settings

    monkeypatch.setenv("GEOGRID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        src = tmp_path / "2027.csv"
        src.write_text(ARRANGEMENT_2027, encoding="utf-8")
        runner = CliRunner()
        r = runner.invoke(app, ["calendar", "import", str(src)])
        assert r.exit_code == 0 and "--commit" in r.stdout
        target = tmp_path / "data" / "calendar" / "2027.toml"
        assert not target.exists()
        r = runner.invoke(app, ["calendar", "import", str(src), "--commit"])
        assert r.exit_code == 0 and target.exists()
        assert load_arrangement(target).holidays == load_arrangement(src).holidays
        before = target.read_bytes()
        bad = tmp_path / "bad.csv"
        bad.write_text("date,type\n2027-01-01,holiday\n2027-01-05,假期\n", encoding="utf-8")
        r = runner.invoke(app, ["calendar", "import", str(bad), "--commit"])
        assert r.exit_code == 2 and "Traceback" not in r.output
        assert "[3] type" in r.output and target.read_bytes() == before   # nothing changed
        r = runner.invoke(app, ["calendar", "show", "--json"])
        assert json.loads(r.stdout)["years"] == [2004, 2027]
    finally:
        get_settings.cache_clear()
