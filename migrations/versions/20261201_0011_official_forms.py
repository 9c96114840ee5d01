"""official forms: forms 01-04 stored as issued (numbered per issuing agency, form and Vietnamese year;
the printed values and the PDF frozen), with their gap-free counters

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 02:30:00
"""
from alembic import op
import sqlalchemy as sa
import postal_gateway.core.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = postal_gateway.core.db.UTCDateTime(timezone=True)
    op.create_table(
        'form_number_counters',
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('form_no', sa.SmallInteger(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.CheckConstraint('last_number >= 1', name=op.f('ck_form_number_counters_last_number_positive')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_form_number_counters_agency_id_agencies')),
        sa.PrimaryKeyConstraint('agency_id', 'form_no', 'year', name=op.f('pk_form_number_counters')),
    )
    op.create_table(
        'official_forms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('form_no', sa.SmallInteger(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('issued_at', utc, nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.CheckConstraint('form_no BETWEEN 1 AND 4', name=op.f('ck_official_forms_stored_form_no')),
        sa.CheckConstraint('number >= 1', name=op.f('ck_official_forms_number_positive')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_official_forms_agency_id_agencies')),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_official_forms_dossier_id_dossiers')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_official_forms_issued_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_official_forms')),
        sa.UniqueConstraint('agency_id', 'form_no', 'year', 'number',
                            name=op.f('uq_official_forms_agency_id_form_no_year_number')),
    )
    with op.batch_alter_table('official_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_forms_dossier_id'), ['dossier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('official_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_official_forms_dossier_id'))
    op.drop_table('official_forms')
    op.drop_table('form_number_counters')
