"""indexes for reading a period of answers, ratings, CSAT and handoffs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 11:50:00.000000
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The insights (misfiring articles, documentation gaps, the digest) and the scorecard select
# these rows by time; without an index each one is a scan of the whole table.
INDEXES = [
    ("ix_answers_at", "answers", ["at"]),
    ("ix_feedback_at", "feedback", ["at"]),
    ("ix_csat_at", "csat", ["at"]),
    ("ix_handoffs_created_at", "handoffs", ["created_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
