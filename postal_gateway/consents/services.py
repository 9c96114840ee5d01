"""A citizen's authorisation (ủy quyền) of a post office to submit dossiers on their account (R-02).

Lifecycle: pending --(one-time code read out by the citizen)--> active --(single dossier spent)--> used;
a signed authorisation scan is awaiting_review --(a second person of the office reviews it, or the
citizen confirms it in their account)--> active; pending, awaiting_review or active --> revoked, for ever.
A signed scan is announced to the citizen by SMS and e-mail at once, so a forged signature is seen.

Decisions:
- A consent belongs to a post office (the requesting staff member's), not to one staff member: any
  worker of that office may use it, and every act names the worker and the citizen in the audit log.
- Single-dossier consents need no end date; unused, they lapse SINGLE_DOSSIER_VALID_DAYS after they
  became active (the citizen may have changed their mind since). A date given for one only shortens it.
- Period consents need an end date in the future, at most MAX_PERIOD_DAYS away.
- Validity counts from activation (code confirmed or scan attached), not from the request.
- Functions flush; the caller's unit of work commits (one transaction per use case). confirm_consent
  is the exception the one-time-code contract imposes: its caller commits even when it raises
  InvalidInput or TooManyAttempts (``one_time_codes.unit_of_work_counting_guesses``), so that a wrong
  guess stays counted (nothing else is written before the check).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import POST_OFFICE_ROLES, CodePurpose, Role, User
from postal_gateway.accounts.one_time_codes import issue_code, verify_code
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.consents import audit
from postal_gateway.consents.models import Consent, ConsentMethod, ConsentScope, ConsentStatus
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.core.scan_safety import refuse_active_content
from postal_gateway.core.unicode_text import to_nfc
from postal_gateway.core.uploads import ValidatedScan
from postal_gateway.notifications.models import MessageChannel
from postal_gateway.notifications.service import send

SINGLE_DOSSIER_VALID_DAYS = 7
MAX_PERIOD_DAYS = 366
MAX_REASON_LENGTH = 500

NO_CONSENT_MESSAGE = N_(
    "Chưa có ủy quyền hợp lệ của công dân cho bưu cục này. Hãy xin ủy quyền của công dân "
    "(mã xác nhận gửi tới điện thoại hoặc giấy ủy quyền có chữ ký) trước khi làm hồ sơ thay công dân."
)


# --- checks -------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    if now is not None and (now.tzinfo is None or now.utcoffset() is None):
        raise ValueError("now must be timezone-aware")
    return now or utcnow()


def _require_postal_staff(staff: User, post_office_id: int | None = None) -> None:
    if staff is None or staff.role not in POST_OFFICE_ROLES or staff.post_office_id is None:
        raise Forbidden(N_("Chỉ nhân viên bưu chính mới được thực hiện thao tác này."))
    if post_office_id is not None and staff.post_office_id != post_office_id:
        raise Forbidden(N_("Ủy quyền này thuộc bưu cục khác."))


def parse_scope(value: ConsentScope | str | None) -> ConsentScope | None:
    if isinstance(value, ConsentScope):
        return value
    try:
        return ConsentScope(value)
    except ValueError:
        return None


def _validated_terms(
    citizen: User | None, scope: ConsentScope | str | None, valid_until: datetime | None, now: datetime
) -> tuple[ConsentScope, datetime | None]:
    """Check the citizen, the scope and the end date, naming every problem at once."""
    errors: list[FieldError] = []
    if citizen is None or citizen.role != Role.citizen:
        errors.append(FieldError("citizen_id", N_("Không tìm thấy công dân này.")))
    elif not citizen.is_active:
        errors.append(FieldError("citizen_id", N_("Tài khoản của công dân chưa được kích hoạt.")))
    chosen = parse_scope(scope)
    if chosen is None:
        errors.append(FieldError("scope", N_("Hãy chọn phạm vi ủy quyền: một hồ sơ hoặc một thời hạn.")))
    if valid_until is not None and (valid_until.tzinfo is None or valid_until.utcoffset() is None):
        errors.append(FieldError("valid_until", N_("Ngày hết hạn không hợp lệ.")))
    elif valid_until is not None and valid_until <= now:
        errors.append(FieldError("valid_until", N_("Ngày hết hạn ủy quyền phải sau thời điểm hiện tại.")))
    elif valid_until is not None and valid_until > now + timedelta(days=MAX_PERIOD_DAYS):
        errors.append(
            FieldError(
                "valid_until",
                N_("Ủy quyền theo thời hạn dài nhất %(days)s ngày."),
                {"days": MAX_PERIOD_DAYS},
            )
        )
    elif chosen == ConsentScope.period and valid_until is None:
        errors.append(FieldError("valid_until", N_("Ủy quyền theo thời hạn cần ngày hết hạn.")))
    if errors:
        raise InvalidInput(N_("Thông tin ủy quyền chưa hợp lệ."), field_errors=errors)
    return chosen, valid_until


def _activate(consent: Consent, now: datetime, valid_until: datetime | None) -> None:
    consent.status = ConsentStatus.active
    consent.confirmed_at = now
    consent.valid_from = now
    if consent.scope == ConsentScope.single_dossier:
        lapse = now + timedelta(days=SINGLE_DOSSIER_VALID_DAYS)
        consent.valid_until = min(valid_until, lapse) if valid_until is not None else lapse
    else:
        consent.valid_until = valid_until


def _terms(consent: Consent) -> dict:
    return {
        "scope": consent.scope.value,
        "method": consent.method.value,
        "post_office_id": consent.post_office_id,
        "valid_until": consent.valid_until.isoformat() if consent.valid_until else None,
    }


# --- use cases ----------------------------------------------------------------------------------


def get_consent(session: Session, consent_id: int) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound(N_("Không tìm thấy ủy quyền này."))
    return consent


def request_consent(
    session: Session,
    *,
    citizen: User,
    staff: User,
    scope: ConsentScope | str,
    valid_until: datetime | None,
    now: datetime | None = None,
) -> Consent:
    """A pending consent for the staff member's post office; a one-time code goes to the citizen's phone."""
    now = _now(now)
    _require_postal_staff(staff)
    scope, valid_until = _validated_terms(citizen, scope, valid_until, now)
    if not citizen.phone:
        raise InvalidInput.on_field("citizen_id", N_("Công dân chưa có số điện thoại để nhận mã xác nhận."))
    consent = Consent(
        citizen_id=citizen.id,
        post_office_id=staff.post_office_id,
        scope=scope,
        method=ConsentMethod.one_time_code,
        status=ConsentStatus.pending,
        valid_from=now,
        valid_until=valid_until,
        requested_by_id=staff.id,
        created_at=now,
    )
    session.add(consent)
    session.flush()
    issue_code(session, citizen, CodePurpose.consent, channel="sms", subject_id=consent.id, now=now)
    audit.record(
        session,
        action="consent.requested",
        subject_type="consent",
        subject_id=consent.id,
        actor=staff,
        details={**_terms(consent), "citizen_id": citizen.id},
        at=now,
    )
    return consent


def resend_consent_code(session: Session, consent: Consent, *, staff: User, now: datetime | None = None) -> None:
    """A fresh code for a pending consent (the old one dies). Throttled by issue_code: TooManyAttempts."""
    now = _now(now)
    _require_postal_staff(staff, consent.post_office_id)
    if consent.status != ConsentStatus.pending:
        raise Conflict(N_("Ủy quyền này không còn chờ xác nhận."))
    issue_code(session, consent.citizen, CodePurpose.consent, channel="sms", subject_id=consent.id, now=now)
    audit.record(
        session, action="consent.code_resent", subject_type="consent", subject_id=consent.id, actor=staff, at=now
    )


def confirm_consent(
    session: Session, consent: Consent, code: str, *, staff: User, now: datetime | None = None
) -> Consent:
    """The citizen read out (or typed) the code sent to their phone: the consent becomes active."""
    now = _now(now)
    _require_postal_staff(staff, consent.post_office_id)
    if consent.status != ConsentStatus.pending:
        raise Conflict(N_("Ủy quyền này không còn chờ xác nhận."))
    code = (code or "").strip()
    verify_code(session, consent.citizen, CodePurpose.consent, code, subject_id=consent.id, now=now)
    _activate(consent, now, consent.valid_until)
    session.flush()
    audit.record(
        session,
        action="consent.confirmed",
        subject_type="consent",
        subject_id=consent.id,
        actor=staff,
        on_behalf_of=consent.citizen,
        consent=consent,
        details=_terms(consent),
        at=now,
    )
    return consent


def attach_signed_authorisation(
    session: Session,
    *,
    citizen: User,
    staff: User,
    scope: ConsentScope | str,
    valid_until: datetime | None,
    scan: ValidatedScan,
    now: datetime | None = None,
) -> Consent:
    """Staff photographed an authorisation the citizen signed: kept awaiting review, the citizen told.

    A signature on paper proves nothing the worker could not forge alone (R-02: every act must be
    attributable to the citizen), so the consent is not usable until a second person of the office
    reviews the scan or the citizen confirms it; the scan must carry no active content."""
    now = _now(now)
    _require_postal_staff(staff)
    scope, valid_until = _validated_terms(citizen, scope, valid_until, now)
    if scan is None:
        raise InvalidInput.on_field("scan", N_("Hãy chụp hoặc chọn giấy ủy quyền có chữ ký của công dân."))
    refuse_active_content(scan, field="scan")
    consent = Consent(
        citizen_id=citizen.id,
        post_office_id=staff.post_office_id,
        scope=scope,
        method=ConsentMethod.signed_scan,
        status=ConsentStatus.awaiting_review,
        valid_from=now,
        valid_until=valid_until,
        requested_by_id=staff.id,
        created_at=now,
        scan_filename=scan.filename,
        scan_content_type=scan.content_type,
        scan_sha256=scan.sha256,
        scan_content=scan.data,
    )
    session.add(consent)
    session.flush()
    _tell_citizen_of_signed_scan(session, consent, citizen, now)
    audit.record(
        session,
        action="consent.signed_scan_attached",
        subject_type="consent",
        subject_id=consent.id,
        actor=staff,
        on_behalf_of=citizen,
        consent=consent,
        details={**_terms(consent), "scan_sha256": scan.sha256, "scan_filename": scan.filename},
        at=now,
    )
    return consent


def _tell_citizen_of_signed_scan(session: Session, consent: Consent, citizen: User, now: datetime) -> None:
    """SMS and e-mail, whatever the citizen's preferences: a consent they did not give must not go unseen."""
    office = session.get(PostOffice, consent.post_office_id)
    context = {"office": office.name if office else "", "at": format_local_datetime(now)}
    for channel, recipient in ((MessageChannel.sms, citizen.phone), (MessageChannel.email, citizen.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template="consent_recorded", context=context,
                 user_id=citizen.id, locale=citizen.locale or "vi", now=now)


def can_review(consent: Consent, user: User | None) -> bool:
    """A second person of the consent's post office: another postal worker or the office manager."""
    return (
        user is not None
        and user.role in (Role.postal_staff, Role.office_manager)
        and user.post_office_id == consent.post_office_id
        and user.id != consent.requested_by_id
    )


def _approve_signed_scan(session: Session, consent: Consent, *, by: User, action: str, now: datetime) -> Consent:
    if consent.status != ConsentStatus.awaiting_review:
        raise Conflict(N_("Ủy quyền này không còn chờ duyệt."))
    _activate(consent, now, consent.valid_until)
    session.flush()
    audit.record(
        session, action=action, subject_type="consent", subject_id=consent.id, actor=by,
        details=_terms(consent), at=now,
    )
    return consent


def review_signed_authorisation(session: Session, consent: Consent, *, reviewer: User, now: datetime | None = None) -> Consent:
    """A second person of the office looked at the signed scan and finds it the citizen's: active from now."""
    now = _now(now)
    if not can_review(consent, reviewer):
        raise Forbidden(N_("Giấy ủy quyền phải do một người khác của bưu cục duyệt, không phải người đã nhận giấy."))
    return _approve_signed_scan(session, consent, by=reviewer, action="consent.signed_scan_reviewed", now=now)


def confirm_signed_authorisation(session: Session, consent: Consent, *, citizen: User, now: datetime | None = None) -> Consent:
    """The citizen, in their own account, confirms the authorisation they signed: active from now."""
    now = _now(now)
    if citizen is None or citizen.id != consent.citizen_id:
        raise Forbidden(N_("Chỉ công dân đã ký giấy ủy quyền được xác nhận."))
    return _approve_signed_scan(session, consent, by=citizen, action="consent.signed_scan_confirmed_by_citizen", now=now)


def can_revoke(consent: Consent, user: User | None) -> bool:
    if user is None:
        return False
    if user.id == consent.citizen_id:
        return True
    return user.role in POST_OFFICE_ROLES and user.post_office_id == consent.post_office_id


def revoke_consent(
    session: Session, consent: Consent, *, by: User, reason: str, now: datetime | None = None
) -> Consent:
    """The citizen, or staff of that post office at the citizen's request, withdraws the consent for ever."""
    now = _now(now)
    if not can_revoke(consent, by):
        raise Forbidden(N_("Bạn không được thu hồi ủy quyền này."))
    reason = to_nfc((reason or "").strip())  # a bulk UPDATE below: the ORM's NFC guard does not see it
    by_citizen = by.id == consent.citizen_id
    if not by_citizen and not reason:
        raise InvalidInput.on_field("reason", N_("Hãy ghi lý do thu hồi ủy quyền."))
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            N_("Lý do quá dài."),
            field_errors=[FieldError("reason", N_("Lý do dài tối đa %(count)s ký tự."), {"count": MAX_REASON_LENGTH})],
        )
    # Conditional: a submission spending the consent at this moment and this revocation cannot both win.
    result = session.execute(
        update(Consent)
        .where(Consent.id == consent.id, Consent.status.in_(
            [ConsentStatus.pending, ConsentStatus.awaiting_review, ConsentStatus.active]))
        .values(status=ConsentStatus.revoked, revoked_at=now, revoked_by_id=by.id, revocation_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(consent)
        if consent.status == ConsentStatus.used:
            raise Conflict(N_("Ủy quyền này đã được dùng cho một hồ sơ, không thể thu hồi."))
        raise Conflict(N_("Ủy quyền này đã bị thu hồi."))
    session.refresh(consent)
    audit.record(
        session,
        action="consent.revoked",
        subject_type="consent",
        subject_id=consent.id,
        actor=by,
        on_behalf_of=None if by_citizen else consent.citizen,
        consent=None if by_citizen else consent,
        details={"reason": reason},
        at=now,
    )
    return consent


def find_valid_consent(session: Session, *, citizen_id: int, post_office_id: int, at: datetime) -> Consent | None:
    """The consent to use at ``at``: period consents first (they are not spent), then the one ending last."""
    return session.scalar(
        select(Consent)
        .where(
            Consent.citizen_id == citizen_id,
            Consent.post_office_id == post_office_id,
            Consent.status == ConsentStatus.active,
            Consent.valid_from <= at,
            (Consent.valid_until.is_(None)) | (Consent.valid_until > at),
        )
        .order_by(
            case((Consent.scope == ConsentScope.period, 0), else_=1),
            Consent.valid_until.desc(),
            Consent.id.desc(),
        )
        .limit(1)
    )


def require_consent(session: Session, *, citizen: User, post_office_id: int, at: datetime) -> Consent:
    """THE check before acting for a citizen: an active consent of theirs for this post office, valid at ``at``."""
    consent = find_valid_consent(session, citizen_id=citizen.id, post_office_id=post_office_id, at=at)
    if consent is None:
        raise Forbidden(NO_CONSENT_MESSAGE)
    return consent


def mark_consent_used(
    session: Session, consent: Consent, dossier_id: int, *, actor: User | None = None
) -> Consent:
    """Spend a single-dossier consent on this dossier; period consents are not spent (but checked).

    Call it in the same transaction that inserts the dossier, after require_consent.

    Two submissions racing for the same consent: the conditional UPDATE lets exactly one of them
    change the row (the other waits on the row lock, then finds it no longer active) -> Conflict.
    """
    if consent.scope == ConsentScope.period:
        # Not spent, but it must still be active: the share lock makes a revocation committing
        # now wait for this submission (or this submission see the revocation).
        still_active = session.scalar(
            select(Consent.id)
            .where(Consent.id == consent.id, Consent.status == ConsentStatus.active)
            .with_for_update(read=True)
        )
        if still_active is None:
            raise Conflict(N_("Ủy quyền này đã bị thu hồi hoặc không còn hiệu lực."))
        return consent
    result = session.execute(
        update(Consent)
        .where(Consent.id == consent.id, Consent.status == ConsentStatus.active)
        .values(status=ConsentStatus.used, used_by_dossier_id=dossier_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(N_("Ủy quyền này đã được dùng cho hồ sơ khác hoặc đã bị thu hồi."))
    session.refresh(consent)
    audit.record(
        session,
        action="consent.used",
        subject_type="consent",
        subject_id=consent.id,
        actor=actor,
        on_behalf_of=consent.citizen,
        consent=consent,
        details={"dossier_id": dossier_id},
    )
    return consent


def consents_of(session: Session, citizen: User) -> list[Consent]:
    """All of a citizen's consents, newest first."""
    return list(
        session.scalars(
            select(Consent).where(Consent.citizen_id == citizen.id).order_by(Consent.created_at.desc(), Consent.id.desc())
        )
    )


def is_usable(consent: Consent, at: datetime) -> bool:
    """Would require_consent accept this consent at ``at``?"""
    return (
        consent.status == ConsentStatus.active
        and consent.valid_from <= at
        and (consent.valid_until is None or consent.valid_until > at)
    )
