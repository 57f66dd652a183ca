"""``geogrid basemap``: the offline basemap's OpenStreetMap data.

``geogrid basemap import extract.osm.pbf`` reads an OSM extract (or a
directory of Tilezen-style layer files, or a GeoPackage), reports what the
basemap would hold, and with ``--commit`` stores it as
``{GEOGRID_DATA_DIR}/basemap.gpkg``, which the server then draws instead of
the shipped Lujiazui extract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._usage import typer_group
from ._common import console, handle_errors, out

__all__ = ["app", "import_", "info"]

app = typer_group(help="离线底图 / The offline basemap's OSM data.", no_args_is_help=True)

_NAMES = {"roads": "道路 roads", "water": "水面 water", "waterways": "河道 waterways",
          "landuse": "用地 land use", "buildings": "建筑 buildings", "labels": "地名 labels"}


def _target() -> Path:
    from ..settings import get_settings

    return Path(get_settings().data_dir) / "basemap.gpkg"


@app.command("import")
@handle_errors
def import_(source: Annotated[Path, typer.Argument(help="OSM 数据: .osm / .osm.pbf extract, a directory "
                                                        "of layer files, or a GeoPackage")],
            commit: Annotated[bool, typer.Option(help="存入 (默认只检查) store it (default: dry run)")] = False
            ) -> None:
    """读取离线底图的 OSM 数据 Read an OSM extract for the offline basemap; --commit stores it for the server."""
    from ..basemap import BasemapTiles, read_layers

    layers = read_layers(source)
    for key, label in _NAMES.items():
        out.print(f"{label:24} {len(layers[key]):>8,}")
    bounds = BasemapTiles(layers).bounds
    if bounds is None:
        console.print("[yellow]没有可绘制的要素 / nothing to draw[/yellow]")
        raise typer.Exit(1)
    out.print("范围 bounds (lon/lat)  " + ", ".join(f"{v:.5f}" for v in bounds))
    if not commit:
        console.print("试运行, 未写入; 加 --commit 保存 / dry run: nothing written; "
                      "add --commit to store it")
        return
    from ..basemap.sources import write_layers

    target = _target()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_layers(layers, target)
    out.print(f"已保存 saved: {target} (重启服务后生效 / restart the server to use it)")


@app.command("info")
@handle_errors
def info() -> None:
    """底图数据来源 Which OSM data the server's basemap is drawn from."""
    target = _target()
    if target.exists():
        out.print(f"导入的底图 imported: {target}")
    else:
        out.print("项目自带的陆家嘴 OSM 数据 / the shipped Lujiazui OSM extract "
                  "(或 GEOGRID_BASEMAP_SOURCE / or GEOGRID_BASEMAP_SOURCE)")
