"""Photos attached to incidents, kept in the store as blobs.

``incident_photos`` holds each photo re-encoded without metadata (see
:mod:`geogrid.photos`), with its type, size and hash; deleting an incident
deletes its photos. Blobs in the store keep one backup and one transaction
for an incident and its photos, on SpatiaLite and PostGIS alike.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_uid", sa.String(40),
                  sa.ForeignKey("incidents.uid", ondelete="CASCADE"), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100)),
    )
    op.create_index("ix_incident_photos_incident", "incident_photos", ["incident_uid"])


def downgrade() -> None:
    op.drop_table("incident_photos")
