"""The low and high bounds of a run's energy and emissions, as its client sent them.

Nullable: runs stored before this revision, CodeCarbon's (its client sends no
range) and wattprint records written before ranges existed have none.

Revision ID: 0003_run_ranges
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_run_ranges"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high")


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
