"""outbox attachments: an e-mail carries the stored PDF of the form it announces (forms 01-03 at reception)

Revision ID: 0014
Revises: 0013 (it needs official_forms; re-chained after the other branches of the day at merge)
Create Date: 2026-12-01 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_form_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_attachment_form_id_official_forms'),
                                    'official_forms', ['attachment_form_id'], ['id'])


def downgrade() -> None:
    # The messages stay; only the link to the attached form goes (the e-mails already sent keep their PDF).
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_attachment_form_id_official_forms'),
                                 type_='foreignkey')
        batch_op.drop_column('attachment_form_id')
