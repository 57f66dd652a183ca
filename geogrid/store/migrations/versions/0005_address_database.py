"""Address database (标准地址库): free-text addresses with provenance, and learned candidates.

One row per normalised key (address, plus name when the source names its
rows). ``building_id`` / ``compound_id`` link a row to the source's own
building and compound identifiers, when it has them. ``status`` is ``active``
(read by the gazetteer) or ``candidate`` (a dispatcher-confirmed location
waiting for review). ``confirmed_by`` and
``incident_id`` keep who confirmed what.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "address_book", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("building_id", sa.String(64)),
        sa.Column("compound_id", sa.String(64)),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_date", sa.String(32), nullable=False),
        sa.Column("licence", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("confirmed_by", sa.String(100)),
        sa.Column("incident_id", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4490, spatial_index=True), nullable=False),
        sa.Index("ix_address_book_status", "status"),
    )
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("address_book")
