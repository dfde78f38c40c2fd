"""reports at scale: the visits' covering index, sessions.user_id kept by the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The verified identity's user id, computed by the database from the identity JSON whenever it
# is written, so the reports group people without parsing a JSON document per row. Stored on
# PostgreSQL (no virtual columns before 18); virtual on SQLite (ADD COLUMN cannot add a stored
# one), where json_extract rather than ->> keeps SQLite 3.31+ enough. Text on both: a number in
# the JSON reads as its digits, as the reports compared them before.
USER_ID = {
    "postgresql": "ALTER TABLE sessions ADD COLUMN user_id TEXT "
    "GENERATED ALWAYS AS ((identity ->> 'user_id')) STORED",
    "sqlite": "ALTER TABLE sessions ADD COLUMN user_id TEXT "
    "GENERATED ALWAYS AS (CAST(json_extract(identity, '$.\"user_id\"') AS TEXT)) VIRTUAL",
}


def upgrade() -> None:
    op.execute(sa.text(USER_ID[op.get_bind().dialect.name]))
    # Every column a report reads of a visit, in period order: a period's visits are one
    # range of this index, read without touching the wide page_views rows.
    op.create_index("ix_page_views_at_visit", "page_views", ["at", "template", "session_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_page_views_at_visit", table_name="page_views")
    op.execute(sa.text("ALTER TABLE sessions DROP COLUMN user_id"))
