"""CSV intake (idempotent, row-level problems) and the escalation timers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from geogrid.cli import app


def _json(out: str) -> dict:
    return json.loads(out[out.index("{"):out.rindex("}") + 1])


def test_csv_import_is_idempotent_and_reports_bad_rows(demo_cli, tmp_path):
    csv = tmp_path / "hotline.csv"
    csv.write_text("id,category,lon,lat,address,description\n"
                   "A1,积水,121.512,31.237,,路口积水\n"
                   "A2,噪声,,,崂山五村,夜间施工\n"
                   "A3,积水,,,,\n", encoding="utf-8")  # neither lon/lat nor address: a bad row (an unknown category is taken in by 属地兜底)
    runner = CliRunner()
    first = runner.invoke(app, ["incidents", "import", str(csv), "-d", "wgs84", "--key-column", "id"])
    assert first.exit_code == 1  # one bad row
    out = _json(first.stdout)
    assert out["created"] == 2 and out["failed"] == 1 and out["problems"][0]["row"] == 4
    again = _json(runner.invoke(app, ["incidents", "import", str(csv), "-d", "wgs84",
                                      "--key-column", "id"]).stdout)
    assert again["created"] == 0 and again["already_there"] == 2


def test_tick_escalates_overdue_orders_once(demo_cli):
    from geogrid.locator import PlanLocator
    from geogrid.services.incidents import IncidentService, Intake

    svc = IncidentService(demo_cli)
    loc = PlanLocator(demo_cli.areas(demo_cli.active_plan()["id"]))
    long_ago = datetime.now(UTC) - timedelta(days=10)
    row, _ = svc.intake(Intake(category="井盖", lon=121.512, lat=31.237, datum="wgs84",
                               reported_at=long_ago), actor="t", locator=loc, plan_id=1)
    first = svc.tick()
    assert [e["uid"] for e in first["escalated"]] == [row["uid"]] and first["overdue"] >= 1
    assert svc.tick()["escalated"] == []  # already at that level
    events = [e["action"] for e in svc.events(row["uid"])]
    assert events.count("escalate") == 1
    res = CliRunner().invoke(app, ["incidents", "tick"])
    assert res.exit_code == 0 and _json(res.stdout)["escalated"] == []
