"""Service settings, read from the environment with the ``GEOGRID_`` prefix.

Only the edges (store, API, CLI) read settings; the core takes plain
arguments. ``get_settings()`` is cached, so tests clear it with
``get_settings.cache_clear()`` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GEOGRID_", env_file=".env", extra="ignore")

    #: SQLAlchemy URL. Unset: the embedded SpatiaLite file ``{data_dir}/geogrid.sqlite``.
    #: ``postgresql+psycopg://...`` selects PostGIS.
    database_url: str | None = None
    data_dir: Path = Path("var")
    #: path or name of the SpatiaLite module to load
    spatialite_library: str = "mod_spatialite"

    host: str = "127.0.0.1"
    port: int = 8000

    #: a point outside every microgrid snaps to the nearest one within this distance
    snap_distance_m: float = Field(default=50.0, ge=0, le=5000)
    #: 属地兜底: a report outside every microgrid but within this distance of the street goes
    #: to the territorial unit (flagged for a dispatcher) instead of being refused
    territorial_reach_m: float = Field(default=500.0, ge=0, le=20000)
    #: which unit takes it: the nearest grid's team, or the street's
    territorial_fallback: Literal["grid", "street"] = "grid"

    #: signing key for session tokens; no default: set it in production.
    #: When unset, a random key is generated per process (tokens die with it).
    jwt_secret: SecretStr | None = None
    jwt_ttl_minutes: int = Field(default=12 * 60, ge=1)
    #: bootstrap admin token (stored hashed on first start); no default
    admin_token: SecretStr | None = None

    #: Content-Security-Policy frame-ancestors for /embed pages
    frame_ancestors: str = "*"

    # input limits
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_batch: int = Field(default=10_000, ge=1)
    max_vertices: int = Field(default=100_000, ge=4)
    max_import_features: int = Field(default=1_000_000, ge=1)

    #: days personal fields (reporter name/phone) are kept after an incident closes
    personal_data_retention_days: int = Field(default=365, ge=0)

    #: geocodes below this calibrated confidence are flagged for a person, with candidates
    geocode_review_below: float = Field(default=0.6, ge=0, le=1)
    #: dispatcher-confirmed locations join the gazetteer at once ("auto") or after review
    geocode_learning: Literal["auto", "review"] = "review"

    #: load the Lujiazui demo into an empty store on start
    demo: bool = False

    # edge security (see api/middleware.py)
    #: host names the server answers to (comma-separated, port ignored; "*.x.cn" matches
    #: subdomains, "*" any); other Host headers get 400
    allowed_hosts: str = "localhost,127.0.0.1,::1"
    #: absolute URLs (embed snippet, links) use this base, never the Host header
    public_base_url: str | None = None
    max_json_depth: int = Field(default=64, ge=2, le=1000)
    #: sign-in lockout: failures per user name / per client address within the window
    signin_max_failures: int = Field(default=5, ge=1)
    signin_max_failures_per_address: int = Field(default=20, ge=1)
    signin_window_s: float = Field(default=900.0, gt=0)
    signin_lockout_s: float = Field(default=900.0, ge=0)
    #: holiday arrangements imported with `geogrid calendar import`; unset: {data_dir}/calendar
    calendar_dir: Path | None = None

    @property
    def effective_calendar_dir(self) -> Path:
        return self.calendar_dir or self.data_dir / "calendar"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'geogrid.sqlite').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
