"""/locate on the demo answers all five levels, the derived community flagged as such."""

from __future__ import annotations

import shapely


def test_locate_in_a_compound_returns_five_levels(client, demo_store):
    objs = demo_store.objects(types=["compound"])
    compound = objs[objs["name"] == "崂山二村"].geometry.iat[0]
    p = compound.representative_point()
    r = client.get("/locate", params={"lon": p.x, "lat": p.y, "datum": "cgcs2000"})
    assert r.status_code == 200, r.text
    chain = r.json()["chain"]
    for level in ("street", "grid", "community", "microgrid", "building_group"):
        assert chain.get(level) and chain[level]["id"], (level, chain)
    assert chain["community"]["name"] == "崂山二村居民区"
    assert chain["community"]["derived"] is True
    assert "derived" not in chain["grid"]
    area = client.get("/areas", params={"level": "community"})
    assert area.status_code == 200
    feats = area.json()["features"]
    assert feats and all(f["properties"]["attrs"]["derived"] is True for f in feats)
    assert any(shapely.geometry.shape(f["geometry"]).contains(p) for f in feats)
