"""Partition states: the cells, cell graph and objects behind each partitioned parent.

Editing a plan (move, split, merge) works on the cell tessellation of the
partition, so it is kept, append-only, per (plan, parent). Frames are stored
as (Geo)Parquet bytes; undo/redo point at earlier states.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partition_states",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("parent_uid", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("options", sa.JSON),
        sa.Column("report", sa.JSON),
        sa.Column("cells", sa.LargeBinary, nullable=False),
        sa.Column("edges", sa.LargeBinary, nullable=False),
        sa.Column("objects", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_partition_states_parent", "partition_states", ["plan_id", "parent_uid"])


def downgrade() -> None:
    op.drop_table("partition_states")
