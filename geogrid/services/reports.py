"""Indicators and reports: 结案率, 按期结案率, 返工率, 延期率, 每千人投诉率, and the 民情报告."""

from __future__ import annotations

from datetime import datetime

from .._errors import NotFoundError
from ..dispatch import incident_metrics, microgrid_report, report_html
from ..dispatch.metrics import population_by_area
from ..locate import ancestors
from .incidents import IncidentService
from .plancache import PlanCache

__all__ = ["ReportService"]

#: the population figures are estimates: OSM has no household counts
POPULATION_NOTE = "人口为估算值 (OSM 无户数, 按建筑面积估算)"


class ReportService:
    def __init__(self, cache: PlanCache, incidents: IncidentService):
        self.cache, self.store, self.incidents = cache, cache.store, incidents

    def population(self, by: str) -> dict[str, float]:
        """Residents per microgrid (compounds split by their buildings' households), summed up
        to ``by``'s level."""
        plan_id = self.cache.active_plan_id()
        mem = self.store.memberships(plan_id)
        if mem.empty:
            return {}
        leaves = self.cache.plan_data(plan_id).areas
        pop = population_by_area(self.store.objects(), mem, leaves[leaves["id"].isin(set(mem))])
        if by == "microgrid":
            return {k: float(v) for k, v in pop.items()}
        areas = self.cache.plan_data(plan_id).areas
        level = dict(zip(areas["id"], areas["level"]))
        up = ancestors(areas[["id", "parent_id"]])
        out: dict[str, float] = {}
        for mg, p in pop.items():
            target = next((a for a in up.get(mg, ()) if level.get(a) == by), None)
            if target is not None:
                out[target] = out.get(target, 0.0) + float(p)
        return out

    def metrics(self, *, by: str, start: datetime | None = None, end: datetime | None = None,
                freq: str | None = None, as_of: datetime | None = None) -> list[dict]:
        """Indicators by the standard definitions: cases due within the period, counted as of
        its end (or ``as_of``; now while the period is open)."""
        inc, ev = self.incidents.frames()  # cases due in the period may be reported before it
        if inc.empty:
            return []
        table = incident_metrics(inc, ev, by=by, freq=freq, start=start, end=end, as_of=as_of,
                                 population=self.population(by))
        return table.reset_index().to_dict("records")

    def yearly(self, area_id: str, year: int, *, html: bool = False) -> dict | str:
        """The 民情报告 of one microgrid of the active plan, as JSON or HTML."""
        inc, ev = self.incidents.frames()
        areas = self.cache.plan_data(self.cache.active_plan_id()).areas.set_index("id")
        if area_id not in areas.index:
            raise NotFoundError(f"区域 {area_id!r} 不在已启用的方案中。area {area_id!r} is not in "
                                "the active plan.", field="area_id", value=area_id,
                                fix="用 GET /areas?level=microgrid 中的 id。Use an id from "
                                    "GET /areas?level=microgrid.")
        report = microgrid_report(inc, ev, microgrid=area_id, year=year,
                                  name=str(areas.loc[area_id, "name"]),
                                  population_end=self.population("microgrid").get(area_id),
                                  notes=[POPULATION_NOTE])
        return report_html(report) if html else report
