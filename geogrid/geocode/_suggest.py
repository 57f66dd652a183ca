"""Typing suggestions for the gazetteer: ranked completions of a partly typed address.

A mixin of :class:`~geogrid.geocode.gazetteer.Gazetteer`: the labels of every
road, house number and name are kept sorted by their normalised text, so a
prefix is found by bisection (:func:`bisect.bisect_left`) and a query costs
microseconds, whatever the size of the gazetteer.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from ._index import is_missing
from ._results import _SOURCE_ORDER
from .address import normalise

__all__ = ["Suggestions"]

_SUGGEST_KIND = {"门牌": 0, "道路": 1, "名称": 2}


class Suggestions:
    """Completions (mixed into the gazetteer; built by :meth:`_build_suggestions`)."""

    def suggest(self, text: str, *, limit: int = 10) -> list[dict[str, Any]]:
        """Ranked completions of a partly typed address, POI or compound name.

        Prefix matches of the normalised text come first (found by bisection
        in the sorted labels), then labels that contain it; within each,
        roads and numbered addresses before names, shorter first. Each item
        has ``label``, ``kind`` (道路 / 门牌 / 名称) and a CGCS2000 ``lon``/``lat``
        (``None`` for roads).
        """
        q = normalise(text) if not is_missing(text) else ""
        if not q:
            return []
        keys = self._suggest_keys
        i = bisect_left(keys, q)
        prefix = []
        while i < len(keys) and keys[i].startswith(q) and len(prefix) < 200:
            prefix.append(i)
            i += 1
        seen = set(prefix)
        inner = [] if len(prefix) >= limit else [
            j for j, k in enumerate(keys) if q in k and j not in seen][:200]
        ranked = (sorted(prefix, key=self._suggest_rank) + sorted(inner, key=self._suggest_rank))
        return [dict(self._suggest_items[j]) for j in ranked[:limit]]

    def _suggest_rank(self, j: int) -> tuple:
        item = self._suggest_items[j]
        return (_SUGGEST_KIND[item["kind"]], len(item["label"]), item["label"])

    def _build_suggestions(self) -> None:
        items: dict[str, dict[str, Any]] = {}
        for road in self._known_streets:
            items.setdefault(road, {"label": road, "kind": "道路", "lon": None, "lat": None})
        for by_number in self._houses.values():
            for houses in by_number.values():
                h = min(houses, key=lambda h: _SOURCE_ORDER.get(h.place.source, 9))
                if h.number == 0:
                    continue
                items.setdefault(normalise(h.label), {"label": h.label, "kind": "门牌",
                                                      "lon": h.place.lon, "lat": h.place.lat})
        for key, entries in self._names.items():
            pl = entries[0][1]
            items.setdefault(key, {"label": pl.name, "kind": "名称", "lon": pl.lon, "lat": pl.lat})
        order = sorted(items)
        self._suggest_keys = order
        self._suggest_items = [items[k] for k in order]

