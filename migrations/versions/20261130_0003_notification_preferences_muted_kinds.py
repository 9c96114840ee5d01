"""notification preferences: muted kinds of message

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:58:38.961176
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows mute nothing: every kind of message still reaches them.
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted_templates', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('muted_templates')
