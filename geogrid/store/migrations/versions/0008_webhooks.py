"""Webhooks out (subscribers, the outbox cursor, the delivery log) and Open311 request extras.

``webhook_subscribers`` are managed by admins. The dispatcher reads new rows
of ``incident_events`` and ``audit_log`` past the cursors in ``webhook_state``
and queues one ``webhook_deliveries`` row per subscriber and event; the
unique key (subscriber, source, source id) makes the queueing idempotent.
``open311_requests`` keeps what a GeoReport v2 client sends beyond the
incident itself (attributes, media_url, email, device and account ids).

Revision ID: 0008
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_subscribers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        # events before the subscription are not sent: the newest source ids at creation
        sa.Column("from_event_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("from_audit_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100)),
    )
    op.create_table(
        "webhook_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("holder", sa.String(64)),
        sa.Column("lease_until", TS),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscriber_id", sa.Integer,
                  sa.ForeignKey("webhook_subscribers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.UniqueConstraint("subscriber_id", "source", "source_id", name="uq_webhook_deliveries"),
        sa.CheckConstraint("status IN ('pending','delivered','failed')",
                           name="ck_webhook_deliveries_status"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries",
                    ["status", "next_attempt_at"])
    op.create_table(
        "open311_requests",
        sa.Column("incident_uid", sa.String(40), primary_key=True),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("jurisdiction_id", sa.String(100)),
        sa.Column("attributes", sa.JSON),
        sa.Column("media_url", sa.String(500)),
        sa.Column("email", sa.String(200)),  # personal
        sa.Column("device_id", sa.String(100)),
        sa.Column("account_id", sa.String(100)),
        sa.Column("address_id", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("open311_requests")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_state")
    op.drop_table("webhook_subscribers")
