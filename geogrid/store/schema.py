"""The relational schema shared by SpatiaLite and PostGIS (SQLAlchemy Core).

This module describes the schema at the newest migration; the migrations in
``migrations/versions`` create and evolve it. One SRID everywhere:
CGCS2000, EPSG:4490 (:data:`geogrid.crs.STORAGE_SRID`).

Plans are versioned boundary sets, kept like MapIt generations: every area
belongs to one plan; a plan is ``draft``, ``active`` or ``retired``; at most
one plan per street is active. Incidents record the plan and microgrid they
were filed in, so they keep that microgrid after a new plan is activated.
"""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from ..crs import STORAGE_SRID

__all__ = ["metadata", "plans", "areas", "objects", "memberships", "roads", "plan_edits",
           "incidents", "incident_events", "teams", "responders", "users", "api_tokens",
           "audit_log", "addresses", "partition_states", "datasets"]

metadata = sa.MetaData()
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def _geom(kind: str) -> Geometry:
    return Geometry(kind, srid=STORAGE_SRID, spatial_index=True)


def keyed_table(name: str, *items: sa.SchemaItem, meta: sa.MetaData | None = None) -> sa.Table:
    """A table keyed by an integer ``id`` (the first column), then ``items``; in
    :data:`metadata` unless ``meta`` is given (tables a later migration adds)."""
    return sa.Table(name, metadata if meta is None else meta,
                    sa.Column("id", sa.Integer, primary_key=True), *items)


plans = keyed_table(
    "plans",
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("street_code", sa.String(12), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="draft"),
    sa.Column("parent_plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="SET NULL")),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("effective_at", TS),
    sa.Column("retired_at", TS),
    sa.Column("created_by", sa.String(100)),
    sa.Column("attrs", JSON),
    sa.Column("levels", JSON),  # the declared hierarchy; null = the default five levels
    sa.CheckConstraint("status IN ('draft','active','retired')", name="ck_plans_status"),
    sa.Index("uq_plans_one_active", "street_code", unique=True,
             postgresql_where=sa.text("status = 'active'"),
             sqlite_where=sa.text("status = 'active'")),
)

areas = keyed_table(
    "areas",
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("uid", sa.String(64), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="mixed"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("code", sa.String(24)),
    sa.Column("parent_uid", sa.String(64)),
    sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("team", JSON),
    sa.Column("attrs", JSON),
    sa.Column("geom", _geom("MULTIPOLYGON"), nullable=False),
    sa.UniqueConstraint("plan_id", "uid", name="uq_areas_plan_uid"),
    sa.Index("ix_areas_plan_level", "plan_id", "level"),
    sa.CheckConstraint(
        "level IN ('street','grid','community','microgrid','building_group')", name="ck_areas_level"),
)

objects = keyed_table(
    "objects",
    sa.Column("uid", sa.String(64), nullable=False, unique=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("address", sa.String(300)),
    sa.Column("households", sa.Float, nullable=False, server_default="0"),
    sa.Column("population", sa.Float, nullable=False, server_default="0"),
    sa.Column("floors", sa.Integer),
    sa.Column("business_type", sa.String(32)),
    sa.Column("compound_uid", sa.String(64)),
    sa.Column("source", sa.String(64)),
    sa.Column("estimated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("estimate_method", sa.String(200)),
    sa.Column("attrs", JSON),
    sa.Column("geom", _geom("GEOMETRY"), nullable=False),
    sa.CheckConstraint(
        "type IN ('building','compound','shop','institution','plaza','address')",
        name="ck_objects_type"),
)

memberships = sa.Table(
    "memberships", metadata,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("object_uid", sa.String(64), primary_key=True),
    sa.Column("area_uid", sa.String(64), nullable=False),
    sa.Index("ix_memberships_area", "plan_id", "area_uid"),
)

roads = keyed_table(
    "roads",
    sa.Column("uid", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200)),
    sa.Column("kind", sa.String(32)),
    sa.Column("kind_detail", sa.String(32)),
    sa.Column("oneway", sa.String(8)),
    sa.Column("is_tunnel", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("geom", _geom("MULTILINESTRING"), nullable=False),
)

plan_edits = keyed_table(
    "plan_edits",
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("op", sa.String(32), nullable=False),
    sa.Column("params", JSON),
    sa.Column("undo", JSON),  # what is needed to restore the state before the edit
    sa.Column("undone", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("actor", sa.String(100)),
    sa.Column("at", TS, nullable=False),
    sa.UniqueConstraint("plan_id", "seq", name="uq_plan_edits_seq"),
)

teams = keyed_table(
    "teams",
    sa.Column("area_code", sa.String(24), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("public_contact", JSON),  # role, office phone, hours: public by design
)

responders = keyed_table(
    "responders",
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL")),
    sa.Column("department", sa.String(64)),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("phone", sa.String(32)),  # personal
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("available", sa.Boolean, nullable=False, server_default=sa.true()),
)

incidents = keyed_table(
    "incidents",
    sa.Column("uid", sa.String(40), nullable=False, unique=True),
    sa.Column("idempotency_key", sa.String(128), unique=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("address", sa.String(300)),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("input_datum", sa.String(10), nullable=False),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id")),
    sa.Column("microgrid_uid", sa.String(64)),
    sa.Column("area_chain", JSON),
    sa.Column("located_by", sa.String(16)),
    sa.Column("handler_kind", sa.String(16)),
    sa.Column("handler", sa.String(64)),
    sa.Column("responder_id", sa.Integer, sa.ForeignKey("responders.id", ondelete="SET NULL")),
    sa.Column("participants", JSON),
    sa.Column("reporter_name", sa.String(100)),   # personal
    sa.Column("reporter_phone", sa.String(32)),   # personal
    sa.Column("reported_at", TS, nullable=False),
    sa.Column("deadline_at", TS),
    sa.Column("closed_at", TS),
    sa.Column("extensions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reworks", sa.Integer, nullable=False, server_default="0"),
    sa.Column("satisfaction", sa.Integer),
    sa.Column("merged_into", sa.String(40)),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("attrs", JSON),
    sa.Column("geom", _geom("POINT"), nullable=False),
    sa.Index("ix_incidents_microgrid", "microgrid_uid", "status"),
    sa.Index("ix_incidents_reported", "reported_at"),
    sa.Index("ix_incidents_dedupe", "category", "reported_at"),
)

incident_events = keyed_table(
    "incident_events",
    sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(100)),
    sa.Column("at", TS, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("data", JSON),
    sa.UniqueConstraint("incident_id", "seq", name="uq_incident_events_seq"),
)

users = keyed_table(
    "users",
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(24)),  # street or grid code the role is limited to
    sa.Column("password_hash", sa.String(200)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
)

api_tokens = keyed_table(
    "api_tokens",
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("name", sa.String(100)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS),
)

audit_log = keyed_table(
    "audit_log",
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(100)),
    sa.Column("action", sa.String(48), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64)),
    sa.Column("before", JSON),
    sa.Column("after", JSON),
    sa.Index("ix_audit_entity", "entity", "entity_id"),
    sa.Index("ix_audit_at", "at"),
)

addresses = keyed_table(
    "addresses",
    sa.Column("uid", sa.String(64), nullable=False, unique=True),
    sa.Column("addr_street", sa.String(100), nullable=False),
    sa.Column("addr_housenumber", sa.String(32), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("source", sa.String(64)),
    sa.Column("geom", _geom("POINT"), nullable=False),
)

partition_states = keyed_table(
    "partition_states",
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_uid", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("options", sa.JSON),
    sa.Column("report", sa.JSON),
    sa.Column("cells", sa.LargeBinary, nullable=False),
    sa.Column("edges", sa.LargeBinary, nullable=False),
    sa.Column("objects", sa.LargeBinary, nullable=False),
    sa.Index("ix_partition_states_parent", "plan_id", "parent_uid"),
)

datasets = keyed_table(
    "datasets",
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE")),
    sa.Column("what", sa.String(16), nullable=False),  # areas, objects or roads
    sa.Column("file", sa.String(300)),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("licence", sa.String(200), nullable=False),
    sa.Column("attribution", sa.String(300), nullable=False),
    sa.Column("features", sa.Integer, nullable=False, server_default="0"),
    sa.Column("imported_at", TS, nullable=False),
    sa.Column("imported_by", sa.String(100)),
    sa.Index("ix_datasets_plan", "plan_id"),
)
