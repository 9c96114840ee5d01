"""Account use cases (R-01): registration, activation, login, password reset, staff accounts.

Functions take a Session and plain values, flush, and leave the commit to the caller (one
transaction per use case). Validation reports every bad field at once.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postal_gateway.accounts import one_time_codes
from postal_gateway.accounts.identity import (
    has_control_characters,
    mask_id_number,
    normalise_email,
    normalise_id_number,
    normalise_identifier,
    normalise_phone,
    strip_control_characters,
)
from postal_gateway.accounts.identity_documents import IdentityDocument, document_errors, record_identity_check
from postal_gateway.accounts.models import POST_OFFICE_ROLES, CodePurpose, IdentityCheckPurpose, IdKind, Role, User
from postal_gateway.accounts.passwords import hash_password, verify_password
from postal_gateway.accounts.tokens import revoke_all_tokens
from postal_gateway.catalogue.models import Agency, PostOffice
from postal_gateway.consents import audit
from postal_gateway.consents.models import Consent, ConsentStatus
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound, TooManyAttempts
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.notifications.models import MessageChannel
from postal_gateway.notifications.service import send

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
STAFF_ROLES = (Role.postal_staff, Role.agency_staff, Role.agency_admin, Role.operator)
#: a holder who finds their number taken learns where to reclaim it
ID_NUMBER_TAKEN = N_(
    "Số giấy tờ này đã có tài khoản. Nếu không phải bạn đăng ký, hãy mang giấy tờ tùy thân đến bưu cục "
    "hoặc cơ quan gần nhất để lấy lại tài khoản."
)


class InvalidCredentials(Forbidden):
    """Wrong identifier or password (which one is never said); the API answers 401."""


class AccountNotActive(InvalidCredentials):
    """Right password, but the account's contact has not been proven by a code yet."""

    def __init__(self, message: str, *, user: User, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.user = user


def _collect(errors: list[FieldError], action):
    """Run a normaliser; keep its field errors instead of stopping at the first bad field."""
    try:
        return action()
    except InvalidInput as error:
        errors.extend(error.field_errors)
        return None


def _clean_name(raw: str, errors: list[FieldError], field: str = "full_name") -> str:
    name = " ".join((raw or "").split())
    if not name:
        errors.append(FieldError(field, N_("Vui lòng nhập họ và tên đúng như trên giấy tờ tùy thân.")))
    elif len(name) > 255:
        errors.append(FieldError(field, N_("Họ và tên quá dài (tối đa 255 ký tự).")))
    elif re.search(r"[0-9@#$%^&*_=+<>{}\[\]|\\/]", name) or has_control_characters(name):
        errors.append(FieldError(field, N_("Họ và tên chỉ gồm chữ cái và dấu cách.")))
    return name


def _check_password(password: str | None, errors: list[FieldError], field: str = "password") -> None:
    if password is None or password == "":
        errors.append(FieldError(field, N_("Vui lòng đặt mật khẩu.")))
    elif "\x00" in password:
        errors.append(FieldError(field, N_("Mật khẩu chứa ký tự không hợp lệ.")))
    elif len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(field, N_("Mật khẩu cần ít nhất %(min)s ký tự."), {"min": MIN_PASSWORD_LENGTH})
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors.append(FieldError(field, N_("Mật khẩu quá dài.")))


def _raise_if_any(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(N_("Vui lòng sửa các ô được đánh dấu."), field_errors=errors)


def find_citizen_by_id_number(session: Session, id_number: str) -> User | None:
    """The citizen holding this ID document, whatever way the number was typed; None if none or invalid."""
    try:
        _, number = normalise_id_number(id_number)
    except InvalidInput:
        return None
    return session.scalar(select(User).where(User.id_number == number, User.frozen_at.is_(None)))


def register_citizen(
    session: Session,
    *,
    full_name: str,
    id_number: str,
    phone: str,
    email: str | None,
    password: str | None = None,
    organisation_name: str = "",
    address: str = "",
    registered_by: User | None = None,
    id_kind: IdKind | None = None,
    activation_channel: str = "sms",
    terms_accepted: bool = True,
    id_document: IdentityDocument | None = None,
    now: datetime | None = None,
) -> User:
    """Create an inactive citizen account and send the activation code.

    Self-registration needs an e-mail and a password. Registration by postal staff
    (``registered_by``) may leave both empty: many citizens have neither, and set a password
    later through "forgot password". Duplicate ID number or e-mail -> Conflict naming the field.

    Staff must record the ID document they hold (``id_document``: issue date and photo of the card),
    and the citizen is told by SMS and e-mail that an account was opened with their number, so that
    a worker cannot quietly take someone's identity with a phone of their choosing (R-01, Điều 6).
    """
    now = now or utcnow()
    errors: list[FieldError] = []
    name = _clean_name(full_name, errors)
    id_result = _collect(errors, lambda: normalise_id_number(id_number, id_kind))
    phone_value = _collect(errors, lambda: normalise_phone(phone))
    email_value = None
    if (email or "").strip() or registered_by is None:
        email_value = _collect(errors, lambda: normalise_email(email or ""))
    if registered_by is None or password:
        _check_password(password, errors)
    if registered_by is not None and registered_by.role not in POST_OFFICE_ROLES:
        raise Forbidden(N_("Chỉ nhân viên bưu chính được đăng ký tài khoản thay công dân."))
    organisation_name = " ".join((organisation_name or "").split())  # one line, even if typed on several
    address = " ".join((address or "").split())
    if len(organisation_name) > 255 or has_control_characters(organisation_name):
        errors.append(FieldError("organisation_name", N_("Tên tổ chức không hợp lệ (tối đa 255 ký tự).")))
    if len(address) > 500 or has_control_characters(address):
        errors.append(FieldError("address", N_("Địa chỉ không hợp lệ (tối đa 500 ký tự).")))
    if activation_channel not in ("sms", "email"):
        errors.append(FieldError("activation_channel", N_("Kênh gửi mã không hợp lệ.")))
    elif activation_channel == "email" and not email_value and not any(e.field == "email" for e in errors):
        errors.append(FieldError("email", N_("Cần địa chỉ thư điện tử để nhận mã qua thư.")))
    if not terms_accepted:
        errors.append(FieldError("accept_terms", N_("Vui lòng đồng ý với điều khoản sử dụng.")))
    if registered_by is not None:
        errors.extend(document_errors(id_document, now))
    _raise_if_any(errors)
    kind, number = id_result

    conflicts = []
    if session.scalar(select(User.id).where(User.id_number == number, User.frozen_at.is_(None))) is not None:
        conflicts.append(FieldError("id_number", ID_NUMBER_TAKEN))
    if email_value and session.scalar(
        select(User.id).where(User.email == email_value, User.frozen_at.is_(None))
    ) is not None:
        conflicts.append(FieldError("email", N_("Địa chỉ thư điện tử này đã được dùng cho tài khoản khác.")))
    if conflicts:
        raise Conflict(N_("Thông tin đã được đăng ký trước đó."), field_errors=conflicts)

    user = User(
        role=Role.citizen,
        full_name=name,
        id_kind=kind,
        id_number=number,
        phone=phone_value,
        email=email_value,
        organisation_name=(organisation_name or "").strip(),
        address=(address or "").strip(),
        password_hash=hash_password(password) if password else None,
        is_active=False,
        registered_by_id=registered_by.id if registered_by is not None else None,
        created_at=now,
    )
    try:
        with session.begin_nested():  # a twin registration racing this one hits the unique index
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(
            N_("Thông tin đã được đăng ký trước đó."),
            field_errors=[FieldError("id_number", ID_NUMBER_TAKEN)],
        ) from None
    if registered_by is not None:
        check = record_identity_check(
            session, user=user, checked_by=registered_by, purpose=IdentityCheckPurpose.registration,
            id_kind=kind, id_number=number, document=id_document, now=now,
        )
        audit.record(
            session, action="citizen.registered_by_staff", subject_type="citizen", subject_id=user.id,
            actor=registered_by, details={"identity_check_id": check.id, "post_office_id": registered_by.post_office_id},
            at=now,
        )
        _tell_holder_of_new_account(session, user, registered_by, now)
    one_time_codes.issue_code(session, user, CodePurpose.activation, channel=activation_channel, now=now)
    return user


def _tell_holder_of_new_account(session: Session, user: User, staff: User, now: datetime) -> None:
    """SMS and e-mail, whatever the preferences: a holder must learn when their number gets an account."""
    where = staff.post_office or staff.agency
    context = {"office": where.name if where else "", "id_number": mask_id_number(user.id_number),
               "at": format_local_datetime(now)}
    for channel, recipient in ((MessageChannel.sms, user.phone), (MessageChannel.email, user.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template="account_registered", context=context,
                 user_id=user.id, locale=user.locale or "vi", now=now)


RECLAIM_ROLES = (Role.postal_staff, Role.office_manager, Role.agency_staff, Role.agency_admin)


def reclaim_identity(
    session: Session,
    *,
    checked_by: User,
    id_number: str,
    full_name: str,
    phone: str,
    email: str | None,
    reason: str,
    id_document: IdentityDocument | None,
    id_kind: IdKind | None = None,
    now: datetime | None = None,
) -> tuple[User, User]:
    """The real holder of an ID number someone else registered, at a post office or agency with their card.

    After the staff member checks the document (kept as an IdentityCheck), the account holding the
    number is frozen (no login, its tokens and consents revoked, kept for the record) and a new account
    is opened for the holder with their own phone, activated by a code sent there. Both acts are
    audited. Returns (new account, frozen account).
    """
    now = now or utcnow()
    if checked_by is None or checked_by.role not in RECLAIM_ROLES:
        raise Forbidden(N_("Chỉ nhân viên bưu cục hoặc cán bộ cơ quan được kiểm tra giấy tờ để lấy lại tài khoản."))
    errors: list[FieldError] = []
    name = _clean_name(full_name, errors)
    id_result = _collect(errors, lambda: normalise_id_number(id_number, id_kind))
    phone_value = _collect(errors, lambda: normalise_phone(phone))
    email_value = _collect(errors, lambda: normalise_email(email)) if (email or "").strip() else None
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500 or has_control_characters(reason):
        errors.append(FieldError("reason", N_("Vui lòng ghi lý do (tối đa 500 ký tự).")))
    errors.extend(document_errors(id_document, now))
    _raise_if_any(errors)
    kind, number = id_result
    taken = session.scalar(select(User).where(User.id_number == number, User.frozen_at.is_(None)).with_for_update())
    if taken is None:
        raise NotFound(N_("Số giấy tờ này chưa có tài khoản: hãy đăng ký tài khoản mới cho công dân."))
    if taken.role != Role.citizen:
        raise Conflict(
            N_("Số giấy tờ này thuộc một tài khoản cán bộ."),
            field_errors=[FieldError("id_number", N_("Số giấy tờ này thuộc một tài khoản cán bộ."))],
        )
    _freeze(session, taken, by=checked_by, reason=reason, now=now)
    if email_value and session.scalar(
        select(User.id).where(User.email == email_value, User.frozen_at.is_(None))
    ) is not None:
        raise Conflict(
            N_("Thông tin đã được đăng ký trước đó."),
            field_errors=[FieldError("email", N_("Địa chỉ thư điện tử này đã được dùng cho tài khoản khác."))],
        )
    holder = User(
        role=Role.citizen, full_name=name, id_kind=kind, id_number=number, phone=phone_value, email=email_value,
        is_active=False, registered_by_id=checked_by.id, created_at=now,
    )
    session.add(holder)
    session.flush()
    check = record_identity_check(
        session, user=holder, checked_by=checked_by, purpose=IdentityCheckPurpose.reclaim, id_kind=kind,
        id_number=number, document=id_document, now=now, frozen_user=taken,
    )
    audit.record(
        session, action="citizen.identity_reclaimed", subject_type="citizen", subject_id=holder.id, actor=checked_by,
        details={"frozen_user_id": taken.id, "identity_check_id": check.id, "reason": reason}, at=now,
    )
    one_time_codes.issue_code(session, holder, CodePurpose.activation, channel="sms", now=now)
    return holder, taken


def _freeze(session: Session, user: User, *, by: User, reason: str, now: datetime) -> None:
    """No more logins, tokens or consents for this account; the row and its history stay."""
    # inactive too: the page session loader and API token check refuse inactive accounts at once
    user.frozen_at, user.frozen_reason, user.is_active = now, reason, False
    revoke_all_tokens(session, user, now=now)
    revoked = session.execute(
        update(Consent)
        .where(Consent.citizen_id == user.id,
               Consent.status.in_([ConsentStatus.pending, ConsentStatus.awaiting_review, ConsentStatus.active]))
        .values(status=ConsentStatus.revoked, revoked_at=now, revoked_by_id=by.id,
                revocation_reason=N_("Tài khoản bị khóa: chủ giấy tờ đã lấy lại tài khoản."))
        .returning(Consent.id)
    ).scalars().all()
    session.flush()  # frees the ID number and e-mail for the holder's account (unique among live accounts)
    audit.record(
        session, action="citizen.frozen", subject_type="citizen", subject_id=user.id, actor=by,
        details={"reason": reason, "consents_revoked": sorted(revoked)}, at=now,
    )


def find_or_register_citizen(session: Session, *, registered_by: User, id_number: str, **fields) -> tuple[User, bool]:
    """Postal staff at the counter (Điều 6.2): the existing account if this ID already has one, else a new one.

    Returns (citizen, created). An existing account is returned unchanged: what was given once is not asked again.
    """
    existing = find_citizen_by_id_number(session, id_number)
    if existing is not None:
        if existing.role != Role.citizen:
            raise Conflict(
                N_("Số giấy tờ này thuộc một tài khoản cán bộ."),
                field_errors=[FieldError("id_number", N_("Số giấy tờ này thuộc một tài khoản cán bộ."))],
            )
        return existing, False
    return register_citizen(session, registered_by=registered_by, id_number=id_number, **fields), True


def activate_account(session: Session, user: User, code: str, now: datetime | None = None) -> User:
    """Prove the contact with the activation code. On a wrong code the caller must still commit (see one_time_codes)."""
    now = now or utcnow()
    if user.is_active:
        raise Conflict(N_("Tài khoản đã được kích hoạt."))
    if user.frozen_at is not None:
        raise Conflict(N_("Tài khoản này đã bị khóa vì chủ giấy tờ đã lấy lại tài khoản."))
    one_time_codes.verify_code(session, user, CodePurpose.activation, code, now=now)
    user.is_active = True
    user.activated_at = now
    session.flush()
    return user


def resend_activation_code(session: Session, user: User, *, channel: str = "sms", now: datetime | None = None):
    if user.is_active:
        raise Conflict(N_("Tài khoản đã được kích hoạt."))
    if user.frozen_at is not None:
        raise Conflict(N_("Tài khoản này đã bị khóa vì chủ giấy tờ đã lấy lại tài khoản."))
    return one_time_codes.issue_code(session, user, CodePurpose.activation, channel=channel, now=now)


def _user_by_identifier(session: Session, identifier: str) -> User | None:
    value = normalise_identifier(identifier)
    if not value:
        return None
    # a frozen account cannot log in: its ID number now belongs to the holder who reclaimed it
    return session.scalar(
        select(User).where(or_(User.email == value, User.id_number == value), User.frozen_at.is_(None))
    )


def authenticate(session: Session, identifier: str, password: str) -> User:
    """The user with this e-mail or ID number and password; InvalidCredentials otherwise.

    The password is verified exactly once whether or not the account exists (against a dummy
    hash when it does not), so the answer's timing does not tell which accounts exist.
    """
    user = _user_by_identifier(session, identifier)
    password_matches = verify_password(user.password_hash if user is not None else None, password or "")
    if user is None or not password_matches:
        raise InvalidCredentials(N_("Sai tên đăng nhập hoặc mật khẩu."))
    if not user.is_active:
        raise AccountNotActive(N_("Tài khoản chưa được kích hoạt. Vui lòng nhập mã kích hoạt."), user=user)
    return user


def request_password_reset(session: Session, identifier: str, *, now: datetime | None = None) -> None:
    """Send a reset code if the account exists; says nothing either way, even when throttled."""
    user = _user_by_identifier(session, identifier)
    if user is None or not user.is_active:
        return None
    channel = "sms" if user.phone else "email"
    try:
        one_time_codes.issue_code(session, user, CodePurpose.password_reset, channel=channel, now=now)
    except (TooManyAttempts, InvalidInput):
        return None  # telling the asker would reveal that the account exists
    return None


def reset_password(
    session: Session,
    identifier: str,
    code: str,
    new_password: str,
    *,
    confirm_password: str | None = None,
    now: datetime | None = None,
) -> User:
    """Set a new password with a reset code. On a wrong code the caller must still commit (see one_time_codes)."""
    now = now or utcnow()
    errors: list[FieldError] = []
    _check_password(new_password, errors, field="new_password")
    if confirm_password is not None and confirm_password != new_password:
        errors.append(FieldError("confirm_password", N_("Hai lần nhập mật khẩu không khớp.")))
    _raise_if_any(errors)
    user = _user_by_identifier(session, identifier)
    if user is None or not user.is_active:
        message = N_("Mã không đúng hoặc đã hết hạn.")
        raise InvalidInput(message, field_errors=[FieldError("code", message)])
    one_time_codes.verify_code(session, user, CodePurpose.password_reset, code, now=now)
    user.password_hash = hash_password(new_password)
    revoke_all_tokens(session, user, now=now)
    session.flush()
    return user


def find_citizens(session: Session, query: str, *, searched_by: User, limit: int = 20) -> list[User]:
    """Citizens holding exactly this ID document number or this mobile number (postal staff at the counter).

    Personal data is shown no more than the purpose needs (Nghị định 13/2023/NĐ-CP): the worker has the
    citizen's card or phone in front of them, so a name or a prefix finds nobody, and every search, found
    or not, is written to the audit log with who searched and whom it found (never the raw query).
    """
    text = " ".join(strip_control_characters(query).split())[:100]
    conditions = []
    kinds = []
    try:
        _, number = normalise_id_number(text)
    except InvalidInput:
        pass
    else:
        conditions.append(User.id_number == number)
        kinds.append("id_number")
    try:
        conditions.append(User.phone == normalise_phone(text))
        kinds.append("phone")
    except InvalidInput:
        pass
    found = (
        list(session.scalars(
            select(User).where(User.role == Role.citizen, User.frozen_at.is_(None), or_(*conditions))
            .order_by(User.full_name, User.id).limit(limit)
        ))
        if conditions else []
    )
    if text:
        audit.record(
            session, action="citizen.searched", subject_type="citizen",
            subject_id=found[0].id if len(found) == 1 else None, actor=searched_by,
            details={"by": kinds or ["unrecognised"], "found": [user.id for user in found]},
        )
    return found


def get_citizen(session: Session, citizen_id: int) -> User:
    # An id beyond the integer column would be a database error, not "not found".
    user = session.get(User, citizen_id) if 0 < citizen_id < 2**31 else None
    if user is None or user.role != Role.citizen:
        raise NotFound(N_("Không tìm thấy công dân."))
    return user


def create_staff_user(
    session: Session,
    role: Role,
    full_name: str,
    email: str,
    password: str,
    post_office_code: str | None = None,
    agency_code: str | None = None,
    *,
    now: datetime | None = None,
) -> User:
    """An active staff account: postal staff belong to a post office, agency roles to an agency."""
    now = now or utcnow()
    errors: list[FieldError] = []
    try:
        role = Role(role)
    except ValueError:
        errors.append(FieldError("role", N_("Vai trò không hợp lệ.")))
        role = None
    if role == Role.citizen:
        errors.append(FieldError("role", N_("Tài khoản công dân được tạo qua đăng ký.")))
    name = _clean_name(full_name, errors)
    email_value = _collect(errors, lambda: normalise_email(email))
    _check_password(password, errors)
    post_office = agency = None
    if role in POST_OFFICE_ROLES:
        post_office = session.scalar(select(PostOffice).where(PostOffice.code == (post_office_code or "").strip()))
        if post_office is None:
            errors.append(FieldError("post_office_code", N_("Không tìm thấy bưu cục.")))
    if role in (Role.agency_staff, Role.agency_admin):
        agency = session.scalar(select(Agency).where(Agency.code == (agency_code or "").strip()))
        if agency is None:
            errors.append(FieldError("agency_code", N_("Không tìm thấy cơ quan.")))
    _raise_if_any(errors)
    if session.scalar(select(User.id).where(User.email == email_value)) is not None:
        raise Conflict(
            N_("Thông tin đã được đăng ký trước đó."),
            field_errors=[FieldError("email", N_("Địa chỉ thư điện tử này đã được dùng cho tài khoản khác."))],
        )
    user = User(
        role=role,
        full_name=name,
        email=email_value,
        phone="",
        password_hash=hash_password(password),
        is_active=True,
        activated_at=now,
        post_office_id=post_office.id if post_office else None,
        agency_id=agency.id if agency else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def citizen_status(user: User) -> str:
    """"active" or "activation_pending", as the API shows it."""
    return "active" if user.is_active else "activation_pending"
