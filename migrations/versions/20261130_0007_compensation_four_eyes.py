"""compensation four eyes: office managers belong to a post office; who proposed, approved and paid
a compensation, how it was paid, and the contract's ceiling on it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:00:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A trưởng bưu cục manages one post office, like the postal staff they supervise.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_postal_staff_has_office'), type_='check')
        batch_op.create_check_constraint(
            'postal_staff_has_office', "role NOT IN ('postal_staff', 'office_manager') OR post_office_id IS NOT NULL")

    # Existing contracts state no ceiling (NULL): their cases keep the old sanity bound.
    with op.batch_alter_table('contract_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('compensation_cap_vnd', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'compensation_cap_not_negative', 'compensation_cap_vnd IS NULL OR compensation_cap_vnd >= 0')

    with op.batch_alter_table('compensation_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cap_vnd', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proposed_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payment_method', sa.Enum(
            'cash', 'bank_transfer', name='compensationpaymentmethod', native_enum=False, length=16), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_compensation_cases_proposed_by_id_users'), 'users',
                                    ['proposed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_compensation_cases_paid_by_id_users'), 'users',
                                    ['paid_by_id'], ['id'])
        batch_op.create_check_constraint(
            'approver_is_not_proposer',
            'decided_by_id IS NULL OR proposed_by_id IS NULL OR decided_by_id != proposed_by_id')
        batch_op.create_check_constraint(
            'payer_is_not_proposer', 'paid_by_id IS NULL OR proposed_by_id IS NULL OR paid_by_id != proposed_by_id')
        batch_op.create_check_constraint(
            'total_within_cap',
            "cap_vnd IS NULL OR status NOT IN ('approved', 'paid') OR fee_vnd + postage_vnd + costs_vnd <= cap_vnd")


def downgrade() -> None:
    with op.batch_alter_table('compensation_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_compensation_cases_total_within_cap'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_compensation_cases_payer_is_not_proposer'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_compensation_cases_approver_is_not_proposer'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_compensation_cases_paid_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_compensation_cases_proposed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('payment_method')
        batch_op.drop_column('paid_by_id')
        batch_op.drop_column('proposed_at')
        batch_op.drop_column('proposed_by_id')
        batch_op.drop_column('cap_vnd')

    with op.batch_alter_table('contract_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contract_versions_compensation_cap_not_negative'), type_='check')
        batch_op.drop_column('compensation_cap_vnd')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_postal_staff_has_office'), type_='check')
        batch_op.create_check_constraint(
            'postal_staff_has_office', "role != 'postal_staff' OR post_office_id IS NOT NULL")
