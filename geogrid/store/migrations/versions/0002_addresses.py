"""Address registry (门牌): numbered address points for the gazetteer.

Address points are not management objects: they cover the whole area a
gazetteer serves, across street boundaries.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "addresses", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(64), nullable=False, unique=True),
        sa.Column("addr_street", sa.String(100), nullable=False),
        sa.Column("addr_housenumber", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("source", sa.String(64)),
        sa.Column("geom", Geometry("POINT", srid=4490, spatial_index=True), nullable=False),
    )
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("addresses")
