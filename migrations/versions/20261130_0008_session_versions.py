"""session versions: log-out and credential changes end every page session and API token

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 20:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('credentials_version')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('credentials_version')
        batch_op.drop_column('session_version')
