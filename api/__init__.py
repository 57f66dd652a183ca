"""HTTP edge of geogrid: the FastAPI app factory and its routers."""

from .app import create_app

__all__ = ["create_app"]
