"""Declared plan levels and per-dataset provenance.

``plans.levels`` holds a plan's ordered hierarchy (null: the default five
levels of Lujiazui, so existing plans migrate to the default). ``datasets``
records the source and licence of every imported file, so exports and the
areas API attribute exactly what they show.

Revision ID: 0009
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("plans", sa.Column("levels", JSON))
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE")),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("file", sa.String(300)),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("licence", sa.String(200), nullable=False),
        sa.Column("attribution", sa.String(300), nullable=False),
        sa.Column("features", sa.Integer, nullable=False, server_default="0"),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(100)),
    )
    op.create_index("ix_datasets_plan", "datasets", ["plan_id"])


def downgrade() -> None:
    op.drop_table("datasets")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("levels")
