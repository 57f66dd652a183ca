"""``geogrid serve``: run the API (uvicorn; several workers forked by gunicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["serve"]

#: printed when several workers are asked for and the ``serve`` extra is missing
NO_PREFORK = ("未安装 gunicorn / uvicorn-worker (pip install 'geogrid[serve]')：每个工作进程将"
              "各自导入应用并打开定位器。\n"
              "gunicorn and uvicorn-worker are not installed (pip install 'geogrid[serve]'): "
              "each worker imports the app and opens the locator itself instead of being "
              "forked from one loaded parent.")


def serve(
    host: Annotated[str | None, typer.Option(help="监听地址 bind address")] = None,
    port: Annotated[int | None, typer.Option(help="端口 port")] = None,
    demo: Annotated[bool, typer.Option(help="空库时载入演示街道 load the demo street into an empty store")] = False,
    workers: Annotated[int, typer.Option(
        min=1, help="工作进程数 / worker processes: with the serve extra, forked by gunicorn "
                    "from one parent that loaded the app and the locator (a dead worker is "
                    "replaced the same way); otherwise uvicorn workers")] = 1,
) -> None:
    """启动服务 Serve the API and the maps (http://127.0.0.1:8000 by default)."""
    import os

    from ..settings import get_settings

    if demo:
        os.environ["GEOGRID_DEMO"] = "1"
        get_settings.cache_clear()
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    if workers > 1:
        from api.serving import prefork_available, run_prefork

        if prefork_available():
            run_prefork(host, port, workers)
            return
        typer.echo(NO_PREFORK, err=True)
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info")
