"""Consent lifecycle (R-02): code confirmation, signed scan, revocation, the intake's check, single use."""
from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import Role
from postal_gateway.consents import audit, services
from postal_gateway.consents.models import Consent, ConsentMethod, ConsentScope, ConsentStatus
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput, TooManyAttempts
from postal_gateway.core.uploads import validate_scan
from postal_gateway.notifications.models import OutboxMessage
from tests import factories
from tests.codes import last_code

# 09:00 on Monday 2 March 2026 in Vietnam.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _code_secret(app):
    from postal_gateway.accounts import one_time_codes

    one_time_codes.configure(app.config["SECRET_KEY"])


@pytest.fixture()
def staff(session):
    return factories.user(session, Role.postal_staff)


@pytest.fixture()
def citizen(session):
    return factories.user(session)


def sent_code(session: Session, citizen) -> str:
    return last_code(session, citizen.phone)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def png_scan(name="uy-quyen.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PNG")
    return validate_scan(name, buffer.getvalue(), max_bytes=1024 * 1024)


def actions(session, consent):
    return [entry.action for entry in audit.history_for(session, "consent", consent.id)]


# --- request and confirm by one-time code -------------------------------------------------------


def test_request_then_confirm_with_the_code_sent_to_the_citizen(session, staff, citizen):
    consent = services.request_consent(
        session, citizen=citizen, staff=staff, scope=ConsentScope.period,
        valid_until=T0 + timedelta(days=90), now=T0,
    )
    assert consent.status == ConsentStatus.pending
    assert consent.post_office_id == staff.post_office_id
    assert consent.method == ConsentMethod.one_time_code
    code = sent_code(session, citizen)
    session.commit()

    later = T0 + timedelta(minutes=2)
    services.confirm_consent(session, consent, code, staff=staff, now=later)
    session.commit()
    assert consent.status == ConsentStatus.active
    assert consent.confirmed_at == later and consent.valid_from == later
    assert consent.valid_until == T0 + timedelta(days=90)
    assert actions(session, consent) == ["consent.requested", "consent.confirmed"]
    confirmed = audit.history_for(session, "consent", consent.id)[-1]
    assert (confirmed.actor_id, confirmed.on_behalf_of_id, confirmed.consent_id) == (staff.id, citizen.id, consent.id)


def test_wrong_code_leaves_the_consent_pending_and_counts(session, staff, citizen):
    consent = services.request_consent(
        session, citizen=citizen, staff=staff, scope="single_dossier", valid_until=None, now=T0)
    code = sent_code(session, citizen)
    session.commit()
    with pytest.raises(InvalidInput) as excinfo:
        services.confirm_consent(session, consent, wrong(code), staff=staff, now=T0 + timedelta(seconds=30))
    session.commit()  # the one-time-code contract: commit even on failure
    assert excinfo.value.field_errors[0].field == "code"
    assert consent.status == ConsentStatus.pending
    for _ in range(4):
        with pytest.raises((InvalidInput, TooManyAttempts)):
            services.confirm_consent(session, consent, wrong(code), staff=staff, now=T0 + timedelta(seconds=40))
        session.commit()
    # Five wrong guesses killed the code: even the right one no longer works.
    with pytest.raises(TooManyAttempts):
        services.confirm_consent(session, consent, code, staff=staff, now=T0 + timedelta(seconds=50))
    assert session.get(Consent, consent.id).status == ConsentStatus.pending


def test_expired_code_is_refused(session, staff, citizen):
    consent = services.request_consent(
        session, citizen=citizen, staff=staff, scope="single_dossier", valid_until=None, now=T0)
    code = sent_code(session, citizen)
    session.commit()
    with pytest.raises(InvalidInput):
        services.confirm_consent(session, consent, code, staff=staff, now=T0 + timedelta(hours=1))
    assert consent.status == ConsentStatus.pending


def test_resend_is_throttled_and_the_new_code_works(session, staff, citizen):
    consent = services.request_consent(
        session, citizen=citizen, staff=staff, scope="single_dossier", valid_until=None, now=T0)
    first = sent_code(session, citizen)
    with pytest.raises(TooManyAttempts):
        services.resend_consent_code(session, consent, staff=staff, now=T0 + timedelta(seconds=10))
    services.resend_consent_code(session, consent, staff=staff, now=T0 + timedelta(seconds=61))
    second = sent_code(session, citizen)
    session.commit()
    if first != second:
        with pytest.raises(InvalidInput):
            services.confirm_consent(session, consent, first, staff=staff, now=T0 + timedelta(seconds=70))
        session.commit()
    services.confirm_consent(session, consent, second, staff=staff, now=T0 + timedelta(seconds=80))
    assert consent.status == ConsentStatus.active


def test_only_staff_of_the_same_post_office_may_confirm(session, staff, citizen):
    consent = services.request_consent(
        session, citizen=citizen, staff=staff, scope="single_dossier", valid_until=None, now=T0)
    code = sent_code(session, citizen)
    other_office_staff = factories.user(session, Role.postal_staff)
    with pytest.raises(Forbidden):
        services.confirm_consent(session, consent, code, staff=other_office_staff, now=T0)
    with pytest.raises(Forbidden):
        services.confirm_consent(session, consent, code, staff=citizen, now=T0)


def test_confirming_twice_is_a_conflict(session, staff, citizen):
    consent = services.request_consent(
        session, citizen=citizen, staff=staff, scope="single_dossier", valid_until=None, now=T0)
    services.confirm_consent(session, consent, sent_code(session, citizen), staff=staff, now=T0)
    with pytest.raises(Conflict):
        services.confirm_consent(session, consent, "123456", staff=staff, now=T0)


def test_request_checks_every_term_at_once(session, staff):
    agency_officer = factories.user(session, Role.agency_staff)
    with pytest.raises(InvalidInput) as excinfo:
        services.request_consent(session, citizen=agency_officer, staff=staff, scope="forever",
                                 valid_until=T0 - timedelta(days=1), now=T0)
    assert {e.field for e in excinfo.value.field_errors} == {"citizen_id", "scope", "valid_until"}
    assert session.scalar(select(Consent.id)) is None


@pytest.mark.parametrize(
    ("valid_until", "ok"),
    [(None, False), (T0, False), (T0 + timedelta(days=400), False), (datetime(2026, 6, 1), False),
     (T0 + timedelta(days=1), True), (T0 + timedelta(days=365), True)],
)
def test_period_needs_an_end_in_the_future_within_a_year(session, staff, citizen, valid_until, ok):
    if ok:
        consent = services.request_consent(session, citizen=citizen, staff=staff, scope="period",
                                           valid_until=valid_until, now=T0)
        assert consent.valid_until == valid_until
    else:
        with pytest.raises(InvalidInput) as excinfo:
            services.request_consent(session, citizen=citizen, staff=staff, scope="period",
                                     valid_until=valid_until, now=T0)
        assert [e.field for e in excinfo.value.field_errors] == ["valid_until"]


def test_only_postal_staff_may_request(session, citizen):
    officer = factories.user(session, Role.agency_staff)
    with pytest.raises(Forbidden):
        services.request_consent(session, citizen=citizen, staff=officer, scope="single_dossier",
                                 valid_until=None, now=T0)


def test_inactive_citizen_account_cannot_consent(session, staff):
    dormant = factories.user(session, is_active=False)
    with pytest.raises(InvalidInput):
        services.request_consent(session, citizen=dormant, staff=staff, scope="single_dossier",
                                 valid_until=None, now=T0)


# --- signed authorisation scan ------------------------------------------------------------------


def test_signed_scan_is_kept_awaiting_review_then_a_second_worker_activates_it(session, staff, citizen):
    scan = png_scan()
    consent = services.attach_signed_authorisation(
        session, citizen=citizen, staff=staff, scope="period", valid_until=T0 + timedelta(days=30),
        scan=scan, now=T0,
    )
    session.commit()
    session.expire_all()
    stored = session.get(Consent, consent.id)
    assert stored.status == ConsentStatus.awaiting_review and stored.method == ConsentMethod.signed_scan
    assert stored.scan_sha256 == scan.sha256 and stored.scan_content == scan.data
    assert stored.scan_content_type == "image/png" and stored.scan_filename == "uy-quyen.png"
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0)
    colleague = factories.user(session, Role.postal_staff, post_office_id=staff.post_office_id)
    services.review_signed_authorisation(session, stored, reviewer=colleague, now=T0)
    assert services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0).id == consent.id
    assert actions(session, consent) == ["consent.signed_scan_attached", "consent.signed_scan_reviewed"]
    assert {m.template for m in session.scalars(select(OutboxMessage))} == {"consent_recorded"}  # no code


# --- require_consent ----------------------------------------------------------------------------


def test_require_consent_at_various_times(session, staff, citizen):
    office = staff.post_office_id
    with pytest.raises(Forbidden, match="Chưa có ủy quyền hợp lệ"):
        services.require_consent(session, citizen=citizen, post_office_id=office, at=T0)
    consent = factories.consent(session, citizen, staff, valid_from=T0, valid_until=T0 + timedelta(days=10))
    assert services.require_consent(session, citizen=citizen, post_office_id=office, at=T0) == consent
    assert services.require_consent(
        session, citizen=citizen, post_office_id=office, at=T0 + timedelta(days=10) - timedelta(seconds=1)) == consent
    for at in (T0 - timedelta(seconds=1), T0 + timedelta(days=10), T0 + timedelta(days=11)):
        with pytest.raises(Forbidden):
            services.require_consent(session, citizen=citizen, post_office_id=office, at=at)
    other_office = factories.post_office(session)
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=other_office.id, at=T0)
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=factories.user(session), post_office_id=office, at=T0)


def test_pending_consent_is_not_enough(session, staff, citizen):
    services.request_consent(session, citizen=citizen, staff=staff, scope="period",
                             valid_until=T0 + timedelta(days=5), now=T0)
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0)


def test_single_dossier_consent_lapses_after_seven_days_unused(session, staff, citizen):
    consent = services.request_consent(session, citizen=citizen, staff=staff, scope="single_dossier",
                                       valid_until=None, now=T0)
    services.confirm_consent(session, consent, sent_code(session, citizen), staff=staff, now=T0)
    assert consent.valid_until == T0 + timedelta(days=services.SINGLE_DOSSIER_VALID_DAYS)
    office = staff.post_office_id
    assert services.require_consent(session, citizen=citizen, post_office_id=office, at=T0 + timedelta(days=6))
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=office, at=T0 + timedelta(days=7))


def test_period_consent_is_preferred_over_a_single_dossier_one(session, staff, citizen):
    factories.consent(session, citizen, staff, scope=ConsentScope.single_dossier, now=T0)
    period = factories.consent(session, citizen, staff, scope=ConsentScope.period, now=T0)
    assert services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0) == period


# --- single use ---------------------------------------------------------------------------------


def bare_dossier(session, citizen, staff) -> int:
    """A minimal dossier row for the consent's foreign key."""
    from postal_gateway.dossiers.models import Channel, Dossier, ReceiptBasis
    from postal_gateway.dossiers.shipments import format_shipment_number

    agency = factories.agency(session)
    procedure = factories.procedure(session, agency)
    number = session.scalar(select(Dossier.id).order_by(Dossier.id.desc()).limit(1)) or 0
    row = Dossier(
        code=f"{agency.code}-260302-{number + 1:04d}", agency_id=agency.id, procedure_id=procedure.id,
        citizen_id=citizen.id, channel=Channel.postal, level=4, submitted_by_id=staff.id,
        entered_at=T0, submitted_at=T0, shipment_number=format_shipment_number(number + 1, prefix="TC"),
        accepted_at=T0, receipt_basis=ReceiptBasis.online_valid, received_at=T0, processing_start_at=T0, due_at=T0 + timedelta(days=5),
        appointment_date=(T0 + timedelta(days=5)).date(),
    )
    session.add(row)
    session.flush()
    return row.id


def test_single_dossier_consent_is_used_once(session, staff, citizen):
    consent = factories.consent(session, citizen, staff, scope=ConsentScope.single_dossier, now=T0)
    first, second = bare_dossier(session, citizen, staff), bare_dossier(session, citizen, staff)
    services.mark_consent_used(session, consent, first, actor=staff)
    assert consent.status == ConsentStatus.used and consent.used_by_dossier_id == first
    with pytest.raises(Conflict):
        services.mark_consent_used(session, consent, second, actor=staff)
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0)
    used = audit.history_for(session, "consent", consent.id)[-1]
    assert (used.action, used.actor_id, used.on_behalf_of_id, used.details) == (
        "consent.used", staff.id, citizen.id, {"dossier_id": first})


def test_period_consent_is_not_spent(session, staff, citizen):
    consent = factories.consent(session, citizen, staff, now=T0)
    services.mark_consent_used(session, consent, bare_dossier(session, citizen, staff))
    services.mark_consent_used(session, consent, bare_dossier(session, citizen, staff))
    assert consent.status == ConsentStatus.active


@pytest.mark.commits  # two threads, two connections
def test_two_racing_submissions_for_one_consent_exactly_one_wins(app, session, staff, citizen):
    from postal_gateway.core.db import SessionFactory

    consent = factories.consent(session, citizen, staff, scope=ConsentScope.single_dossier, now=T0)
    dossiers = [bare_dossier(session, citizen, staff), bare_dossier(session, citizen, staff)]
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(dossier_id: int) -> None:
        with SessionFactory() as own:
            own_consent = own.get(Consent, consent.id)  # both read it as active
            assert own_consent.status == ConsentStatus.active
            barrier.wait(timeout=10)
            try:
                services.mark_consent_used(own, own_consent, dossier_id)
                own.commit()
                outcomes.append("won")
            except Conflict:
                own.rollback()
                outcomes.append("lost")

    threads = [threading.Thread(target=submit, args=(d,)) for d in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["lost", "won"]
    session.expire_all()
    stored = session.get(Consent, consent.id)
    assert stored.status == ConsentStatus.used and stored.used_by_dossier_id in dossiers


# --- revocation ---------------------------------------------------------------------------------


def test_citizen_revokes_and_the_consent_can_never_be_used_again(session, staff, citizen):
    consent = factories.consent(session, citizen, staff, now=T0)
    services.revoke_consent(session, consent, by=citizen, reason="", now=T0 + timedelta(hours=1))
    assert consent.status == ConsentStatus.revoked and consent.revoked_by_id == citizen.id
    assert consent.revoked_at == T0 + timedelta(hours=1)
    with pytest.raises(Forbidden):
        services.require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=T0 + timedelta(hours=2))
    with pytest.raises(Conflict):
        services.mark_consent_used(session, consent, bare_dossier(session, citizen, staff))
    with pytest.raises(Conflict):
        services.revoke_consent(session, consent, by=citizen, reason="", now=T0 + timedelta(hours=3))
    entry = audit.history_for(session, "consent", consent.id)[-1]
    assert (entry.action, entry.actor_id, entry.on_behalf_of_id) == ("consent.revoked", citizen.id, None)


def test_staff_of_the_office_revoke_with_a_reason(session, staff, citizen):
    consent = factories.consent(session, citizen, staff, now=T0)
    colleague = factories.user(session, Role.postal_staff, post_office_id=staff.post_office_id)
    with pytest.raises(InvalidInput) as excinfo:
        services.revoke_consent(session, consent, by=colleague, reason="  ", now=T0)
    assert excinfo.value.field_errors[0].field == "reason"
    services.revoke_consent(session, consent, by=colleague, reason="Công dân yêu cầu", now=T0)
    assert consent.status == ConsentStatus.revoked and consent.revocation_reason == "Công dân yêu cầu"
    entry = audit.history_for(session, "consent", consent.id)[-1]
    assert (entry.actor_id, entry.on_behalf_of_id, entry.consent_id) == (colleague.id, citizen.id, consent.id)


def test_strangers_may_not_revoke(session, staff, citizen):
    consent = factories.consent(session, citizen, staff, now=T0)
    for stranger in (factories.user(session), factories.user(session, Role.postal_staff),
                     factories.user(session, Role.agency_staff)):
        with pytest.raises(Forbidden):
            services.revoke_consent(session, consent, by=stranger, reason="x", now=T0)
    assert consent.status == ConsentStatus.active


def test_a_used_consent_cannot_be_revoked(session, staff, citizen):
    consent = factories.consent(session, citizen, staff, scope=ConsentScope.single_dossier, now=T0)
    services.mark_consent_used(session, consent, bare_dossier(session, citizen, staff))
    with pytest.raises(Conflict, match="đã được dùng"):
        services.revoke_consent(session, consent, by=citizen, reason="", now=T0)


def test_consents_of_lists_newest_first(session, staff, citizen):
    older = factories.consent(session, citizen, staff, now=T0)
    newer = factories.consent(session, citizen, staff, now=T0 + timedelta(days=1))
    factories.consent(session, factories.user(session), staff, now=T0)
    assert services.consents_of(session, citizen) == [newer, older]
