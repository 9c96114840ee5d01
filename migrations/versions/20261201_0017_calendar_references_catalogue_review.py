"""the operator's calendar page and catalogue review: each extra day off or make-up working day names its legal
reference beside its reason; a reviewed catalogue entry keeps who confirmed it and when

Rows written before this revision: calendar days have an empty legal reference (their reason names the decision);
no procedure has been confirmed on the review page yet.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 03:00:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('calendar_overrides', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_reference', sa.String(length=255), server_default='', nullable=False))
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_procedures_reviewed_by_id_users'), 'users',
                                    ['reviewed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_procedures_reviewed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_id')
    with op.batch_alter_table('calendar_overrides', schema=None) as batch_op:
        batch_op.drop_column('legal_reference')
