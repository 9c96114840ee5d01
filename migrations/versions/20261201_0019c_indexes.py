"""indexes the query plans asked for: the post office's dossier list (newest first), the fee balance of a dossier
(its money rows); a dossier's documents are already reached through their unique (dossier_id, checklist_item_id)

Rows written before this revision: unchanged; the indexes are built over them.

Revision ID: 0019c_indexes
Revises: 0019b_bench
Create Date: 2026-12-01 05:20:00
"""
from alembic import op

revision = '0019c_indexes'
down_revision = '0019b_bench'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_post_office_received', ['post_office_id', 'received_at', 'id'],
                              unique=False)
    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.create_index('ix_collected_amounts_dossier_id', ['dossier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('collected_amounts', schema=None) as batch_op:
        batch_op.drop_index('ix_collected_amounts_dossier_id')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_post_office_received')
