"""apology letters as form 04 (issuing body, cause, forwarding, lead agency notice) and supplement requests
as form 02 (stage, cause, items with reasons, the reception apology)

Existing letters become the processing agency's (the dossier's agency), cause "late", already forwarded at
their issue (they moved the appointment and told the citizen then). They keep form_id NULL: a migration
does not render PDFs, and their old free letter is no longer printed. Existing supplement requests become
processing-stage "verification" requests whose items are their reasons (no separate reason was recorded).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 03:00:00
"""
from alembic import op
import sqlalchemy as sa
import postal_gateway.core.db


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = postal_gateway.core.db.UTCDateTime(timezone=True)
    with op.batch_alter_table('apology_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_kind', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('issuer_agency_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('opinion_request_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cause', sa.String(length=24), server_default='late', nullable=False))
        batch_op.add_column(sa.Column('form_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('forwarded_at', utc, nullable=True))
        batch_op.add_column(sa.Column('forwarded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lead_agency_notified_at', utc, nullable=True))
    connection = op.get_bind()
    letters = sa.table('apology_letters', sa.column('dossier_id', sa.Integer), sa.column('issuer_kind', sa.String),
                       sa.column('issuer_agency_id', sa.Integer), sa.column('issued_at', utc),
                       sa.column('issued_by_id', sa.Integer), sa.column('forwarded_at', utc),
                       sa.column('forwarded_by_id', sa.Integer))
    dossiers = sa.table('dossiers', sa.column('id', sa.Integer), sa.column('agency_id', sa.Integer))
    connection.execute(letters.update().values(
        issuer_kind='processing_agency',
        issuer_agency_id=sa.select(dossiers.c.agency_id).where(dossiers.c.id == letters.c.dossier_id).scalar_subquery(),
        forwarded_at=letters.c.issued_at, forwarded_by_id=letters.c.issued_by_id,
    ))
    with op.batch_alter_table('apology_letters', schema=None) as batch_op:
        batch_op.alter_column('issuer_kind', existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column('issuer_agency_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(op.f('fk_apology_letters_issuer_agency_id_agencies'), 'agencies',
                                    ['issuer_agency_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_apology_letters_opinion_request_id_opinion_requests'),
                                    'opinion_requests', ['opinion_request_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_apology_letters_form_id_official_forms'), 'official_forms',
                                    ['form_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_apology_letters_forwarded_by_id_users'), 'users',
                                    ['forwarded_by_id'], ['id'])
        batch_op.create_unique_constraint(op.f('uq_apology_letters_form_id'), ['form_id'])
        batch_op.create_check_constraint(
            'issuer_kind_known', "issuer_kind IN ('processing_agency', 'cooperating_agency', 'one_stop_office')")
        batch_op.create_check_constraint('cause_known', "cause IN ('late', 'reception_error')")
        batch_op.create_check_constraint(
            'cooperating_through_opinion', "(issuer_kind = 'cooperating_agency') = (opinion_request_id IS NOT NULL)")
        batch_op.create_check_constraint(
            'one_stop_office_for_reception_error', "(issuer_kind = 'one_stop_office') = (cause = 'reception_error')")

    with op.batch_alter_table('supplement_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=16), server_default='processing', nullable=False))
        batch_op.add_column(sa.Column('cause', sa.String(length=24), server_default='verification', nullable=False))
        batch_op.add_column(sa.Column('items', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('form_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('apology_letter_id', sa.Integer(), nullable=True))
    requests = sa.table('supplement_requests', sa.column('id', sa.Integer), sa.column('reasons', sa.JSON),
                        sa.column('items', sa.JSON))
    for request_id, reasons in connection.execute(sa.select(requests.c.id, requests.c.reasons)).all():
        items = [{'item': str(reason), 'reason': ''} for reason in (reasons or [])]
        connection.execute(requests.update().where(requests.c.id == request_id).values(items=items))
    with op.batch_alter_table('supplement_requests', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_supplement_requests_form_id_official_forms'), 'official_forms',
                                    ['form_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_supplement_requests_apology_letter_id_apology_letters'),
                                    'apology_letters', ['apology_letter_id'], ['id'])
        batch_op.create_check_constraint('stage_known', "stage IN ('reception', 'processing')")
        batch_op.create_check_constraint('cause_known', "cause IN ('verification', 'reception_error')")
        batch_op.create_check_constraint('reception_error_with_apology',
                                         "cause <> 'reception_error' OR apology_letter_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('supplement_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_supplement_requests_reception_error_with_apology'), type_='check')
        batch_op.drop_constraint(op.f('ck_supplement_requests_cause_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_supplement_requests_stage_known'), type_='check')
        batch_op.drop_constraint(op.f('fk_supplement_requests_apology_letter_id_apology_letters'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_supplement_requests_form_id_official_forms'), type_='foreignkey')
        for name in ('apology_letter_id', 'form_id', 'items', 'cause', 'stage'):
            batch_op.drop_column(name)
    with op.batch_alter_table('apology_letters', schema=None) as batch_op:
        for name in ('one_stop_office_for_reception_error', 'cooperating_through_opinion', 'cause_known',
                     'issuer_kind_known'):
            batch_op.drop_constraint(op.f(f'ck_apology_letters_{name}'), type_='check')
        batch_op.drop_constraint(op.f('uq_apology_letters_form_id'), type_='unique')
        for name in ('fk_apology_letters_forwarded_by_id_users', 'fk_apology_letters_form_id_official_forms',
                     'fk_apology_letters_opinion_request_id_opinion_requests',
                     'fk_apology_letters_issuer_agency_id_agencies'):
            batch_op.drop_constraint(op.f(name), type_='foreignkey')
        for name in ('lead_agency_notified_at', 'forwarded_by_id', 'forwarded_at', 'form_id', 'cause',
                     'opinion_request_id', 'issuer_agency_id', 'issuer_kind'):
            batch_op.drop_column(name)
