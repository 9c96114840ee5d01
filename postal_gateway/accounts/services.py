"""Account use cases (R-01): registration, activation, login, password reset, staff accounts.

Functions take a Session and plain values, flush, and leave the commit to the caller (one
transaction per use case). Validation reports every bad field at once.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postal_gateway.accounts import one_time_codes
from postal_gateway.accounts.identity import (
    has_control_characters,
    normalise_email,
    normalise_id_number,
    normalise_identifier,
    normalise_phone,
    strip_control_characters,
)
from postal_gateway.accounts.models import POST_OFFICE_ROLES, CodePurpose, IdKind, Role, User
from postal_gateway.accounts.passwords import hash_password, verify_password
from postal_gateway.accounts.tokens import revoke_all_tokens
from postal_gateway.db import utcnow
from postal_gateway.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound, TooManyAttempts

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
STAFF_ROLES = (Role.postal_staff, Role.agency_staff, Role.agency_admin, Role.operator)


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
    return session.scalar(select(User).where(User.id_number == number))


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
    now: datetime | None = None,
) -> User:
    """Create an inactive citizen account and send the activation code.

    Self-registration needs an e-mail and a password. Registration by postal staff
    (``registered_by``) may leave both empty: many citizens have neither, and set a password
    later through "forgot password". Duplicate ID number or e-mail -> Conflict naming the field.
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
    _raise_if_any(errors)
    kind, number = id_result

    conflicts = []
    if session.scalar(select(User.id).where(User.id_number == number)) is not None:
        conflicts.append(FieldError("id_number", N_("Số giấy tờ này đã có tài khoản.")))
    if email_value and session.scalar(select(User.id).where(User.email == email_value)) is not None:
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
            field_errors=[FieldError("id_number", N_("Số giấy tờ này đã có tài khoản."))],
        ) from None
    one_time_codes.issue_code(session, user, CodePurpose.activation, channel=activation_channel, now=now)
    return user


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
    one_time_codes.verify_code(session, user, CodePurpose.activation, code, now=now)
    user.is_active = True
    user.activated_at = now
    session.flush()
    return user


def resend_activation_code(session: Session, user: User, *, channel: str = "sms", now: datetime | None = None):
    if user.is_active:
        raise Conflict(N_("Tài khoản đã được kích hoạt."))
    return one_time_codes.issue_code(session, user, CodePurpose.activation, channel=channel, now=now)


def _user_by_identifier(session: Session, identifier: str) -> User | None:
    value = normalise_identifier(identifier)
    if not value:
        return None
    return session.scalar(select(User).where(or_(User.email == value, User.id_number == value)))


def authenticate(session: Session, identifier: str, password: str) -> User:
    """The user with this e-mail or ID number and password; InvalidCredentials otherwise."""
    user = _user_by_identifier(session, identifier)
    if user is None or not verify_password(user.password_hash if user else None, password or ""):
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


def find_citizens(session: Session, query: str, *, limit: int = 20) -> list[User]:
    """Citizens matching an ID number, a mobile number or part of a name (for postal staff)."""
    text = " ".join(strip_control_characters(query).split())[:100]
    if len(text) < 2:
        return []
    conditions = []
    compact = re.sub(r"[\s.]", "", text)
    if compact.isdigit() or re.fullmatch(r"[A-Za-z]\d{7}|[A-Za-z0-9]{6,9}", compact):
        conditions.append(User.id_number == compact.upper())
    try:
        conditions.append(User.phone == normalise_phone(text))
    except InvalidInput:
        pass
    if not compact.isdigit() and not compact.startswith("+"):
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(User.full_name.ilike(f"%{escaped}%", escape="\\"))
    if not conditions:
        return []
    return list(
        session.scalars(
            select(User).where(User.role == Role.citizen, or_(*conditions)).order_by(User.full_name, User.id).limit(limit)
        )
    )


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
    from postal_gateway.catalogue.models import Agency, PostOffice

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
