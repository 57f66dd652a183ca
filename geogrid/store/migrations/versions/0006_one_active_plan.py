"""At most one active plan per street, as a partial unique index (both stores).

Two activations racing on one street used to leave two active plans on
PostGIS; with the index the second commit fails and is answered as a
conflict.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_index("uq_plans_one_active", "plans", ["street_code"], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("uq_plans_one_active", table_name="plans")
