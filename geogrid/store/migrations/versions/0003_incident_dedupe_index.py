"""Index for duplicate detection: same category within a time window.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_dedupe", "incidents", ["category", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_dedupe", table_name="incidents")
