"""nudges: the time a nudge was sent beside the time the widget showed it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 11:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Until now shown_at held the send time until the widget reported the nudge on screen.
    # Existing rows keep it as their send time; a nudge never reported shown has no shown_at.
    with op.batch_alter_table("nudges") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("shown_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.execute(sa.text("UPDATE nudges SET sent_at = shown_at"))
    op.execute(sa.text("UPDATE nudges SET shown_at = NULL WHERE outcome = 'sent'"))
    with op.batch_alter_table("nudges") as batch:
        batch.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    op.execute(sa.text("UPDATE nudges SET shown_at = sent_at WHERE shown_at IS NULL"))
    with op.batch_alter_table("nudges") as batch:
        batch.alter_column("shown_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_column("sent_at")
