"""administrative units of the two-level map (1 July 2025): provinces and communes with their codes, the
record of each refresh from the packages, the contracts' remote lists (vùng sâu, vùng xa), pickup areas by
commune, and the remote list a dossier's leg was timed by

Rows written before this revision keep their meaning: zones "same_district" and district pickup areas stay
as they were made. The units are loaded by ``flask contracts units`` (also run by ``flask load-demo``).

Revision ID: 0020_units
Revises: 0019c_indexes
Create Date: 2026-12-01 05:50:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0020_units'
down_revision = '0019c_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'admin_provinces',
        sa.Column('code', sa.String(length=2), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('division_type', sa.String(length=32), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_admin_provinces')),
    )
    op.create_table(
        'admin_communes',
        sa.Column('code', sa.String(length=5), nullable=False),
        sa.Column('province_code', sa.String(length=2), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('division_type', sa.String(length=32), nullable=False),
        sa.Column('latitude', sa.Float(), nullable=True),
        sa.Column('longitude', sa.Float(), nullable=True),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['province_code'], ['admin_provinces.code'],
                                name=op.f('fk_admin_communes_province_code_admin_provinces')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_admin_communes')),
    )
    op.create_index(op.f('ix_admin_communes_province_code'), 'admin_communes', ['province_code'], unique=False)
    op.create_table(
        'admin_unit_refreshes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('refreshed_at', postal_gateway.core.db.UTCDateTime(), nullable=False),
        sa.Column('package_versions', sa.JSON(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('renamed', sa.Integer(), nullable=False),
        sa.Column('moved', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Integer(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_unit_refreshes')),
    )
    op.create_table(
        'contract_remote_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('commune_codes', sa.JSON(), nullable=False),
        sa.Column('forward_hours', sa.Integer(), nullable=False),
        sa.Column('return_hours', sa.Integer(), nullable=False),
        sa.CheckConstraint('forward_hours > 0 AND return_hours > 0',
                           name=op.f('ck_contract_remote_areas_hours_positive')),
        sa.ForeignKeyConstraint(['version_id'], ['contract_versions.id'], ondelete='CASCADE',
                                name=op.f('fk_contract_remote_areas_version_id_contract_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_remote_areas')),
        sa.UniqueConstraint('version_id', 'name', name=op.f('uq_contract_remote_areas_version_id_name')),
    )
    with op.batch_alter_table('contract_pickup_areas') as batch:
        batch.add_column(sa.Column('commune_code', sa.String(length=8), server_default='', nullable=False))
        batch.drop_constraint('uq_contract_pickup_areas_version_id_province_code_district_code', type_='unique')
        batch.create_unique_constraint('uq_contract_pickup_areas_unit',
                                       ['version_id', 'province_code', 'district_code', 'commune_code'])
    with op.batch_alter_table('dossier_contracts') as batch:
        batch.add_column(sa.Column('remote_area_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_dossier_contracts_remote_area_id_contract_remote_areas',
                                 'contract_remote_areas', ['remote_area_id'], ['id'])


def downgrade() -> None:
    # pickup areas by commune have no place in the old table: dropped (versions made before keep theirs)
    op.execute("DELETE FROM contract_pickup_areas WHERE commune_code != ''")
    with op.batch_alter_table('dossier_contracts') as batch:
        batch.drop_constraint('fk_dossier_contracts_remote_area_id_contract_remote_areas', type_='foreignkey')
        batch.drop_column('remote_area_id')
    with op.batch_alter_table('contract_pickup_areas') as batch:
        batch.drop_constraint('uq_contract_pickup_areas_unit', type_='unique')
        batch.create_unique_constraint('uq_contract_pickup_areas_version_id_province_code_district_code',
                                       ['version_id', 'province_code', 'district_code'])
        batch.drop_column('commune_code')
    op.drop_table('contract_remote_areas')
    op.drop_table('admin_unit_refreshes')
    op.drop_index(op.f('ix_admin_communes_province_code'), table_name='admin_communes')
    op.drop_table('admin_communes')
    op.drop_table('admin_provinces')
