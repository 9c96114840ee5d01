"""zalo: notices through ZNS, the OA's tokens, webhook events handled, dossier subscriptions, the local sandbox

Revision ID: 0021_zalo
Revises: 0020_units
Create Date: 2026-12-01 05:30:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0021_zalo'
down_revision = '0020_units'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zalo_sandbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('template_data', sa.JSON(), nullable=True),
    sa.Column('tracking_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('repeat_of', sa.Integer(), nullable=True),
    sa.Column('created_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_sandbox_messages'))
    )
    with op.batch_alter_table('zalo_sandbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zalo_sandbox_messages_recipient'), ['recipient'], unique=False)

    op.create_table('zalo_sandbox_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_token', sa.String(length=128), nullable=False),
    sa.Column('refresh_token', sa.String(length=128), nullable=False),
    sa.Column('faults', sa.JSON(), nullable=False),
    sa.Column('remaining_quota', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_sandbox_state'))
    )
    op.create_table('zalo_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refreshed_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_tokens'))
    )
    op.create_table('zalo_webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_key', sa.String(length=128), nullable=False),
    sa.Column('event_name', sa.String(length=64), nullable=False),
    sa.Column('zalo_user_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_webhook_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_zalo_webhook_events_event_key'))
    )
    op.create_table('zalo_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zalo_user_id', sa.String(length=64), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('created_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_zalo_subscriptions_dossier_id_dossiers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_subscriptions')),
    sa.UniqueConstraint('zalo_user_id', 'dossier_id', name=op.f('uq_zalo_subscriptions_zalo_user_id_dossier_id'))
    )
    with op.batch_alter_table('zalo_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zalo_subscriptions_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zalo_subscriptions_zalo_user_id'), ['zalo_user_id'], unique=False)

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zalo', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_data', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('fallback_for_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_fallback_for_id'), ['fallback_for_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_fallback_for_id_outbox_messages'), 'outbox_messages',
                                    ['fallback_for_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_fallback_for_id_outbox_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_fallback_for_id'), type_='unique')
        batch_op.drop_column('fallback_for_id')
        batch_op.drop_column('template_data')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('zalo')

    with op.batch_alter_table('zalo_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zalo_subscriptions_zalo_user_id'))
        batch_op.drop_index(batch_op.f('ix_zalo_subscriptions_dossier_id'))

    op.drop_table('zalo_subscriptions')
    op.drop_table('zalo_webhook_events')
    op.drop_table('zalo_tokens')
    op.drop_table('zalo_sandbox_state')
    with op.batch_alter_table('zalo_sandbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zalo_sandbox_messages_recipient'))

    op.drop_table('zalo_sandbox_messages')
