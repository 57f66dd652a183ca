"""The batch datum check decides as if it had read every datum, whatever it skips."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geogrid.datum import Datum, from_storage
from geogrid.locate.datumcheck import _ALTERNATIVES, check_batch_datum, inside_share
from geogrid.locate.index import AreaIndex


@pytest.fixture(scope="module")
def blocks():
    """200 blocks of ~60 m with ~90 m streets between them, where a 500 m shift leaves
    most points in a street, and a 3 km square east of them, where it leaves them inside."""
    step, size = 0.0015, 0.0006
    cells = [box(121.49 + i * step, 31.225 + j * step, 121.49 + i * step + size,
                 31.225 + j * step + size) for i in range(20) for j in range(10)]
    cells = np.array([*cells, box(121.53, 31.225, 121.56, 31.255)])
    index = AreaIndex.from_arrays(cells, np.array([f"B{k:03d}" for k in range(len(cells))],
                                                  dtype=object), lazy=True)
    rng = np.random.default_rng(7)
    b = shapely.bounds(cells[:-1])[rng.integers(0, len(cells) - 1, 4000)]
    small = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
    big = rng.uniform(121.54, 121.55, 4000), rng.uniform(31.235, 31.245, 4000)
    return index, small, big


def _reference(lon, lat, declared: Datum, index, margin: float = 0.2):
    """The rule read literally: every datum's share, then the comparison."""
    base = Datum.WGS84 if declared is Datum.CGCS2000 else declared
    shares = {d: inside_share(lon, lat, d, index) for d in _ALTERNATIVES}
    best = max((d for d in _ALTERNATIVES if d is not base), key=shares.get)
    warn = shares[best] >= shares[base] + margin and shares[best] >= 1.5 * shares[base]
    return (best.value if warn else None), shares[base]


@pytest.mark.parametrize("declared", [Datum.GCJ02, Datum.BD09, Datum.WGS84, Datum.CGCS2000])
@pytest.mark.parametrize("fits_all", [0.0, 0.5])
def test_the_check_skips_other_datums_only_where_they_cannot_win(blocks, declared, fits_all):
    index, (x, y), (bx, by) = blocks
    # a share ``k`` of the block points really in the declared datum, the rest in WGS84
    # (GCJ-02 when WGS84 is declared), and a share ``fits_all`` in the 3 km square, inside
    # whatever the datum: the declared share runs across the threshold, on both sides
    # of which another datum may or may not win
    other = Datum.GCJ02 if declared in (Datum.WGS84, Datum.CGCS2000) else Datum.WGS84
    as_declared = from_storage(x, y, declared)
    as_other = from_storage(x, y, other)
    keep = int(len(x) * (1 - fits_all))
    seen_skip = seen_warn = False
    for k in np.linspace(0, 1, 41):
        cut = int(k * keep)
        lon = np.r_[as_declared[0][:cut], as_other[0][cut:keep], bx[:len(x) - keep]]
        lat = np.r_[as_declared[1][:cut], as_other[1][cut:keep], by[:len(x) - keep]]
        likely, own = _reference(lon, lat, declared, index)
        got = check_batch_datum(lon, lat, declared, index)
        assert (got and got["likely"]) == likely, (k, own)
        seen_skip |= own > 2 / 3
        seen_warn |= likely is not None and own > 0.5
    assert seen_skip and (seen_warn or not fits_all)  # both sides of the threshold were met
