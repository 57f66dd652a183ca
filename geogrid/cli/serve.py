"""``geogrid serve``: run the API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["serve"]


def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    demo: Annotated[bool, typer.Option(help="load the demo street into an empty store")] = False,
    workers: Annotated[int, typer.Option(
        help="uvicorn 工作进程数 / worker processes (each a new interpreter: it answers "
             "/locate first, then loads the other routes in the background)")] = 1,
) -> None:
    """Serve the API and the maps (http://127.0.0.1:8000 by default)."""
    import os

    import uvicorn

    from ..settings import get_settings

    if demo:
        os.environ["GEOGRID_DEMO"] = "1"
        get_settings.cache_clear()
    settings = get_settings()
    uvicorn.run("api.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_level="info")
