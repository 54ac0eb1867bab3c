"""A project's runs by start time: one index serves the runs table, the last run and the trend.

``ix_runs_project_time`` (project_id, timestamp) replaces ``ix_runs_project_id``
(its first column does that index's work). The project page reads the
newest 200 runs of a project, and its last run, from it without sorting
the project's runs; the organisation page's daily trend reads a window
of start times per project.

Revision ID: 0004_page_indexes
Revises: 0003_run_ranges
"""

from alembic import op

revision = "0004_page_indexes"
down_revision = "0003_run_ranges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_project_time", ["project_id", "timestamp"], unique=False)
        batch_op.drop_index("ix_runs_project_id")


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_project_id", ["project_id"], unique=False)
        batch_op.drop_index("ix_runs_project_time")
