"""identity checks: the ID document seen when staff register or a holder reclaims; frozen accounts;
one-time codes masked in the outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 21:00:00
"""
import re

import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LIVE = sa.text('frozen_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('frozen_reason', sa.Text(), server_default='', nullable=False))
        # unique among live accounts: the reclaiming holder takes the number a frozen account keeps
        batch_op.drop_index('uq_users_id_number')
        batch_op.drop_index('uq_users_email')
        batch_op.create_index('uq_users_id_number', ['id_number'], unique=True,
                              postgresql_where=LIVE, sqlite_where=LIVE)
        batch_op.create_index('uq_users_email', ['email'], unique=True,
                              postgresql_where=LIVE, sqlite_where=LIVE)

    op.create_table(
        'identity_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.Enum('registration', 'reclaim', name='identitycheckpurpose', native_enum=False, length=16), nullable=False),
        sa.Column('checked_by_id', sa.Integer(), nullable=False),
        sa.Column('post_office_id', sa.Integer(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('id_kind', sa.Enum('citizen_id', 'legacy_id', 'passport', name='idkind', native_enum=False, length=16), nullable=False),
        sa.Column('id_number', sa.String(length=16), nullable=False),
        sa.Column('document_issued_on', sa.Date(), nullable=False),
        sa.Column('photo_filename', sa.String(length=255), nullable=False),
        sa.Column('photo_content_type', sa.String(length=64), nullable=False),
        sa.Column('photo_sha256', sa.String(length=64), nullable=False),
        sa.Column('photo_content', sa.LargeBinary(), nullable=False),
        sa.Column('frozen_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_identity_checks_agency_id_agencies')),
        sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_identity_checks_checked_by_id_users')),
        sa.ForeignKeyConstraint(['frozen_user_id'], ['users.id'], name=op.f('fk_identity_checks_frozen_user_id_users')),
        sa.ForeignKeyConstraint(['post_office_id'], ['post_offices.id'], name=op.f('fk_identity_checks_post_office_id_post_offices')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_identity_checks_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_checks')),
    )
    with op.batch_alter_table('identity_checks', schema=None) as batch_op:
        batch_op.create_index('ix_identity_checks_user_id', ['user_id'], unique=False)

    # Code messages written before this revision hold their code in plain text: mask it, as new ones are.
    outbox = sa.table('outbox_messages', sa.column('id', sa.Integer), sa.column('template', sa.String),
                      sa.column('body', sa.Text))
    connection = op.get_bind()
    for message_id, body in connection.execute(
        sa.select(outbox.c.id, outbox.c.body).where(outbox.c.template == 'one_time_code')
    ).all():
        connection.execute(outbox.update().where(outbox.c.id == message_id)
                           .values(body=re.sub(r'\b\d{6}\b', '******', body or '')))


def downgrade() -> None:
    with op.batch_alter_table('identity_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_checks_user_id')
    op.drop_table('identity_checks')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('uq_users_email')
        batch_op.drop_index('uq_users_id_number')
        batch_op.create_index('uq_users_email', ['email'], unique=True)
        batch_op.create_index('uq_users_id_number', ['id_number'], unique=True)
        batch_op.drop_column('frozen_reason')
        batch_op.drop_column('frozen_at')
