"""result documents: "Báo có kết quả" keeps the result as a file (scan or signed PDF), required for an
electronic result (level 4 returned without paper); the status "result_with_post" needs no schema change
(statuses are stored as strings of up to 32 characters)

Rows written before this revision: no dossier has a result document.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-01 03:40:00
"""
import sqlalchemy as sa
from alembic import op

import postal_gateway.core.db

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'result_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_at', postal_gateway.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('size_bytes > 0', name=op.f('ck_result_documents_not_empty')),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_result_documents_dossier_id_dossiers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_result_documents_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_result_documents')),
        sa.UniqueConstraint('dossier_id', name=op.f('uq_result_documents_dossier_id')),
    )


def downgrade() -> None:
    op.drop_table('result_documents')
