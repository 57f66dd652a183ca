"""Validation findings on the map (``/?check=1``): every finding marked where it is, listed in a
panel with a sentence that names its areas, and a plain statement when there are none.

The findings are those of the editor's validation (``/plans/{id}/validate``, the same
service); the sentences are the editor's too (:func:`maps.i18n.issue_text`).
``static/js/check.js`` makes the list items go to their finding on the map.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import folium
import numpy as np

from .i18n import issue_text, t

__all__ = ["prepare_findings", "findings_layer", "findings_panel"]

COLORS = {"error": "#d00", "warning": "#e69500"}


def prepare_findings(problems: Iterable[Any], names: Mapping[str, str] | None,
                     lang: str) -> list[dict]:
    """Findings as dicts (dicts or objects with ``to_dict()``) with their sentence in ``text``."""
    names = names or {}
    out = []
    for p in problems or ():
        d = p.to_dict() if hasattr(p, "to_dict") else dict(p)
        d.setdefault("severity", "error")
        d["text"] = issue_text(d, names.get, lang)
        out.append(d)
    return out


def findings_layer(findings: list[dict], lang: str, datum: str) -> folium.FeatureGroup:
    """A marker per located finding, in ``datum`` (the basemap's)."""
    from geogrid.datum import from_storage

    group = folium.FeatureGroup(name=t("layer.problems", lang), show=True)
    for i, f in enumerate(findings):
        loc = f.get("location")
        if not loc:
            continue
        x, y = from_storage(np.array([loc[0]]), np.array([loc[1]]), datum)
        folium.CircleMarker(
            [float(y[0]), float(x[0])], radius=8, color=COLORS.get(f["severity"], "#d00"),
            weight=3, fill=True, fill_opacity=0.5,
            class_name=f"gg-problem gg-problem-{f['severity']} gg-finding-{i}",
            tooltip=html.escape(f"{t('editor.severity.' + f['severity'], lang)} · {f['text']}"),
        ).add_to(group)
    return group


def findings_panel(findings: list[dict], lang: str, datum: str) -> str:
    """The list of findings (or the statement that there are none) as a map panel."""
    from geogrid.datum import from_storage

    esc = html.escape
    errors = sum(f["severity"] == "error" for f in findings)
    summary = (t("issue.count", lang, n=len(findings), errors=errors,
                 warnings=len(findings) - errors) if findings else t("issue.none", lang))
    items = []
    for i, f in enumerate(findings):
        loc = f.get("location")
        where = ""
        if loc:
            x, y = from_storage(np.array([loc[0]]), np.array([loc[1]]), datum)
            where = f' data-lat="{float(y[0]):.7f}" data-lon="{float(x[0]):.7f}"'
        else:
            where = ""
        unlocated = esc(t("issue.unlocated", lang))
        note = "" if loc else f' <small class="gg-muted">({unlocated})</small>'
        items.append(
            f'<li data-index="{i}" data-kind="{esc(str(f.get("kind", "")))}" '
            f'data-severity="{esc(f["severity"])}"{where}>'
            f'<span class="gg-sev-{esc(f["severity"])}">'
            f'{esc(t("editor.severity." + f["severity"], lang))}</span> '
            f'<span class="gg-muted">{esc(str(f.get("grid") or ""))}</span>{note}'
            f"<div>{esc(f['text'])}</div></li>")
    state = "ok" if not findings else ("error" if errors else "warning")
    return (f'<details open id="gg-check" class="gg-check gg-panel" data-state="{state}" '
            f'data-count="{len(findings)}"><summary><b>{esc(t("editor.problems", lang))}</b> · '
            f'<span id="gg-check-summary">{esc(summary)}</span></summary>'
            f'<ol id="gg-check-list">{"".join(items)}</ol></details>')
