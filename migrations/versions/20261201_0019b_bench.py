"""SLA scan: a partial index of postal dossiers by due time, for the appointment clock (issue 16), so the
scan no longer reads the whole (agency, due time) index of every dossier.

Rows written before this revision: indexed as they are; nothing to convert.

Revision ID: 0019b_bench
Revises: 0018
Create Date: 2026-12-01 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019b_bench'
down_revision = '0018'
branch_labels = None
depends_on = None

WHERE = "channel = 'postal' AND due_at IS NOT NULL"


def upgrade() -> None:
    op.create_index('ix_dossiers_postal_due', 'dossiers', ['due_at'], unique=False,
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index('ix_dossiers_postal_due', table_name='dossiers', postgresql_where=sa.text(WHERE),
                  sqlite_where=sa.text(WHERE))
