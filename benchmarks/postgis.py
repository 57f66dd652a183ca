"""PostGIS baselines measured in the same run, on a throwaway cluster.

``locate_join(cluster)`` returns a comparison function for
:mod:`benchmarks.locate.bench_locate`: it loads the areas and the points into
PostGIS (GIST indexes, ANALYZE), then times only the point-in-polygon join
(``ST_Intersects``, the same answer as the index; ties broken by row order).
"""

from __future__ import annotations

import io
import time

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["locate_join"]


def locate_join(cluster):
    import psycopg

    def compare(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> np.ndarray:
        with psycopg.connect(host="127.0.0.1", port=cluster.port, user="postgres",
                             dbname=cluster.dbname, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_areas, bench_points")
            conn.execute("CREATE TABLE bench_areas (pos int, geom geometry(MultiPolygon, 4490))")
            conn.execute("CREATE TABLE bench_points (id int, lon float8, lat float8, "
                         "geom geometry(Point, 4490))")
            with conn.cursor().copy("COPY bench_areas (pos, geom) FROM STDIN") as cp:
                for i, g in enumerate(areas.geometry.values):
                    if g.geom_type == "Polygon":
                        g = shapely.MultiPolygon([g])
                    cp.write_row((i, f"SRID=4490;{g.wkt}"))
            xy = shapely.get_coordinates(points.geometry.values)
            buf = io.StringIO()
            np.savetxt(buf, np.column_stack([np.arange(len(xy)), xy]), fmt=["%d", "%.9f", "%.9f"],
                       delimiter="\t")
            with conn.cursor().copy("COPY bench_points (id, lon, lat) FROM STDIN") as cp:
                cp.write(buf.getvalue())
            conn.execute("UPDATE bench_points SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4490)")
            conn.execute("CREATE INDEX ON bench_areas USING gist (geom)")
            conn.execute("ANALYZE bench_areas")
            conn.execute("ANALYZE bench_points")
            t0 = time.perf_counter()
            rows = conn.execute(
                "SELECT p.id, min(a.pos) FROM bench_points p JOIN bench_areas a "
                "ON ST_Intersects(a.geom, p.geom) GROUP BY p.id").fetchall()
            compare.join_s = time.perf_counter() - t0
        out = np.full(len(points), -1, dtype=np.int64)
        if rows:
            ids, pos = np.array(rows, dtype=np.int64).T
            out[ids] = pos
        return out

    return compare
