"""Use cases of the catalogue: find procedures and agencies, validate and save agencies (R-03).

Plain functions over a SQLAlchemy ``Session``; they raise the errors of postal_gateway.core.domain.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from postal_gateway.catalogue.models import (
    AdministrativeLevel,
    Agency,
    Procedure,
    ProcedureField,
    is_valid_agency_code,
)
from postal_gateway.catalogue.text import fold, strip_control
from postal_gateway.core.domain import N_, FieldError, InvalidInput, NotFound

#: how the fields are headed on the public list (Điều 4.2), in the order they are published
FIELD_LABELS: dict[ProcedureField, str] = {
    ProcedureField.press: N_("Báo chí"),
    ProcedureField.broadcasting: N_("Phát thanh, truyền hình và thông tin điện tử"),
    ProcedureField.publishing: N_("Xuất bản, in và phát hành"),
    ProcedureField.postal: N_("Bưu chính"),
}
ADMINISTRATIVE_LEVEL_LABELS: dict[AdministrativeLevel, str] = {
    AdministrativeLevel.province: N_("Cấp tỉnh"),
    AdministrativeLevel.district: N_("Cấp huyện"),
    AdministrativeLevel.commune: N_("Cấp xã"),
}
SERVICE_LEVELS = (3, 4)
MAX_PAGE_SIZE = 200
MAX_OFFSET = 2**31 - 1

_FIELD_ORDER = case(
    {member: position for position, member in enumerate(FIELD_LABELS)},
    value=Procedure.field,
    else_=len(FIELD_LABELS),
)
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


# --- parsing of filters -------------------------------------------------------------------------


def parse_field(value: str | ProcedureField | None) -> ProcedureField | None:
    """A field by its code ("press") or its Vietnamese heading, with or without diacritics."""
    if value is None or isinstance(value, ProcedureField):
        return value
    text = fold(str(value))
    if not text:
        return None
    for member, label in FIELD_LABELS.items():
        if text in (member.value, fold(label)):
            return member
    raise ValueError(value)


def _parse_choice(value, choices: tuple):
    if value is None or value == "":
        return None
    text = str(getattr(value, "value", value)).strip()  # an enum member as its value, not "Enum.member"
    for choice in choices:
        if text == str(getattr(choice, "value", choice)):
            return choice
    raise ValueError(value)


def matching(q: str | None) -> list:
    """The catalogue's one way to match typed words: every word, in any order, in the code or the name,
    ignoring case and Vietnamese diacritics ("tai lieu khong kinh doanh" finds "Cấp giấy phép tài liệu
    không kinh doanh"). The public catalogue and the intake wizard both search with it."""
    return [Procedure.search_text.contains(word, autoescape=True) for word in fold(q or "").split()]


@dataclass
class SearchResult:
    items: list[Procedure]
    total: int
    limit: int
    offset: int


def search_procedures(
    session: Session,
    q: str | None = None,
    field: str | ProcedureField | None = None,
    level: int | str | None = None,
    postal_only: bool = False,
    limit: int = 50,
    offset: int = 0,
    administrative_level: str | AdministrativeLevel | None = None,
) -> SearchResult:
    """Procedures matching every given filter, ordered by field then code.

    ``q`` matches code or name word by word, ignoring case and Vietnamese diacritics, so
    "cap giay phep buu chinh" finds "Cấp giấy phép bưu chính". ``level`` is the online service
    level (3 or 4). Every bad filter is reported at once.
    """
    errors: list[FieldError] = []
    try:
        field_value = parse_field(field)
    except ValueError:
        field_value = None
        errors.append(FieldError("field", N_("Lĩnh vực không hợp lệ: %(value)s."), {"value": field}))
    try:
        level_value = _parse_choice(level, SERVICE_LEVELS)
    except ValueError:
        level_value = None
        errors.append(FieldError("level", N_("Mức độ phải là 3 hoặc 4.")))
    try:
        admin_value = _parse_choice(administrative_level, tuple(AdministrativeLevel))
    except ValueError:
        admin_value = None
        errors.append(
            FieldError("administrative_level", N_("Cấp hành chính phải là province, district hoặc commune."))
        )
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        errors.append(FieldError("limit", N_("limit phải từ 1 đến %(max)s."), {"max": MAX_PAGE_SIZE}))
    if not isinstance(offset, int) or offset < 0:
        errors.append(FieldError("offset", N_("offset phải là số nguyên không âm.")))
    elif offset > MAX_OFFSET:  # the database refuses an OFFSET past its BIGINT: a named field, not a 500
        errors.append(FieldError("offset", N_("offset tối đa %(max)s."), {"max": MAX_OFFSET}))
    if q is not None and len(q) > 200:
        errors.append(FieldError("q", N_("Từ khóa tìm kiếm quá dài (tối đa 200 ký tự).")))
    if errors:
        raise InvalidInput(N_("Điều kiện tìm kiếm không hợp lệ."), field_errors=errors)

    conditions = matching(q)
    if field_value is not None:
        conditions.append(Procedure.field == field_value)
    if level_value is not None:
        conditions.append(Procedure.level == level_value)
    if admin_value is not None:
        conditions.append(Procedure.administrative_level == admin_value)
    if postal_only:
        conditions.append(Procedure.postal_eligible.is_(True))

    total = session.scalar(select(func.count(Procedure.id)).where(*conditions)) or 0
    items = session.scalars(
        select(Procedure)
        .where(*conditions)
        .options(selectinload(Procedure.agency), selectinload(Procedure.checklist))
        .order_by(_FIELD_ORDER, Procedure.code)
        .limit(limit)
        .offset(offset)
    ).all()
    return SearchResult(items=list(items), total=total, limit=limit, offset=offset)


def group_by_field(procedures: list[Procedure]) -> list[tuple[ProcedureField, list[Procedure]]]:
    """[(field, procedures)] in the published order of fields, empty fields left out."""
    groups: dict[ProcedureField, list[Procedure]] = {member: [] for member in FIELD_LABELS}
    for procedure in procedures:
        groups.setdefault(procedure.field, []).append(procedure)
    return [(member, rows) for member, rows in groups.items() if rows]


def normalise_procedure_code(code: str) -> str:
    """Codes are typed with stray spaces and in lower case; neither changes the code."""
    return re.sub(r"\s+", "", strip_control(code or "")).upper()


def get_procedure(session: Session, code: str) -> Procedure:
    procedure = session.scalar(
        select(Procedure)
        .where(Procedure.code == normalise_procedure_code(code))
        .options(selectinload(Procedure.agency), selectinload(Procedure.checklist))
    )
    if procedure is None:
        raise NotFound(N_("Không tìm thấy thủ tục %(code)s."), params={"code": code})
    return procedure


def postal_procedures_for_intake(
    session: Session,
    agency_id: int | None = None,
    *,
    q: str | None = None,
    uses: Mapping[int, int] | None = None,
    limit: int | None = None,
) -> list[Procedure]:
    """What the intake wizard may offer: procedures the post may receive (Điều 24.1), matching ``q`` as the
    public catalogue does (``matching``). ``uses`` (procedure id -> how many dossiers the post office took for
    it) puts the office's most used procedures first; then the published order (field, code)."""
    query = (
        select(Procedure)
        .where(Procedure.postal_eligible.is_(True), *matching(q))
        .options(selectinload(Procedure.agency), selectinload(Procedure.checklist))
    )
    used = {procedure_id: count for procedure_id, count in (uses or {}).items() if count > 0}
    if used:
        query = query.order_by(case(used, value=Procedure.id, else_=0).desc())
    query = query.order_by(_FIELD_ORDER, Procedure.code)
    if agency_id is not None:
        query = query.where(Procedure.agency_id == agency_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def procedures_not_by_post(session: Session) -> list[Procedure]:
    """The published list of procedures NOT received or returned through the post (Điều 24.1, 26.1)."""
    return list(
        session.scalars(
            select(Procedure)
            .where(Procedure.postal_eligible.is_(False))
            .options(selectinload(Procedure.agency))
            .order_by(_FIELD_ORDER, Procedure.code)
        )
    )


def get_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == strip_control(code or "").strip().upper()))
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan có mã %(code)s."), params={"code": code})
    return agency


# --- agencies ----------------------------------------------------------------------------------


def agency_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every agency, by name: what an operator picks a report's or register's agency from."""
    return [tuple(row) for row in session.execute(select(Agency.code, Agency.name).order_by(Agency.name))]


def is_valid_phone(phone: str) -> bool:
    """A Vietnamese phone as printed: a landline is 02 + area code + number, 11 digits
    (0271 3888 207); a mobile is 0[35789] and 8 more digits; +84 may replace the 0.
    Dots, spaces, dashes and brackets are only layout."""
    digits = _PHONE_SEPARATORS.sub("", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if not digits.isdigit():
        return False
    if digits.startswith("02"):
        return len(digits) == 11
    return len(digits) == 10 and digits[:2] in {"03", "05", "07", "08", "09"}


def is_valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email or ""))


def validate_agency(
    *,
    code: str,
    name: str,
    one_stop_phone: str,
    head_name: str = "",
    head_phone: str = "",
    head_email: str = "",
    province_office_email: str = "",
    inspection_team_email: str = "",
) -> list[FieldError]:
    """Every problem with an agency's published details, all at once (Điều 15, 18)."""
    errors: list[FieldError] = []
    if not is_valid_agency_code(code or ""):
        errors.append(
            FieldError(
                "code",
                N_("Mã định danh phải có dạng V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.20.H10 (13 ký tự)."),
            )
        )
    if not (name or "").strip():
        errors.append(FieldError("name", N_("Vui lòng nhập tên cơ quan.")))
    elif len(name) > 255:
        errors.append(FieldError("name", N_("Tên cơ quan quá dài (tối đa 255 ký tự).")))
    if not is_valid_phone(one_stop_phone):
        errors.append(FieldError("one_stop_phone", N_("Số điện thoại Bộ phận Một cửa không hợp lệ.")))
    if head_phone and not is_valid_phone(head_phone):
        errors.append(FieldError("head_phone", N_("Số điện thoại của thủ trưởng không hợp lệ.")))
    if head_email and not is_valid_email(head_email):
        errors.append(FieldError("head_email", N_("Thư điện tử của thủ trưởng không hợp lệ.")))
    if (head_phone or head_email) and not (head_name or "").strip():
        errors.append(FieldError("head_name", N_("Vui lòng nhập họ tên thủ trưởng.")))
    for name_, value in (
        ("province_office_email", province_office_email),
        ("inspection_team_email", inspection_team_email),
    ):
        if value and not is_valid_email(value):
            errors.append(FieldError(name_, N_("Địa chỉ thư điện tử không hợp lệ.")))
    return errors


AGENCY_FIELDS = (
    "name",
    "one_stop_phone",
    "head_name",
    "head_phone",
    "head_email",
    "address",
    "province_code",
    "district_code",
    "working_periods",
    "province_office_email",
    "inspection_team_email",
)


def upsert_agency(session: Session, code: str, **values) -> Agency:
    """Create or update the agency with this code; InvalidInput names every bad field."""
    unknown = set(values) - set(AGENCY_FIELDS)
    if unknown:
        raise TypeError(f"unknown agency fields: {sorted(unknown)}")
    code = (code or "").strip().upper()
    agency = session.scalar(select(Agency).where(Agency.code == code))
    merged = {name: getattr(agency, name) for name in AGENCY_FIELDS} if agency else {}
    merged.update(values)
    errors = validate_agency(
        code=code,
        name=merged.get("name") or "",
        one_stop_phone=merged.get("one_stop_phone") or "",
        head_name=merged.get("head_name") or "",
        head_phone=merged.get("head_phone") or "",
        head_email=merged.get("head_email") or "",
        province_office_email=merged.get("province_office_email") or "",
        inspection_team_email=merged.get("inspection_team_email") or "",
    )
    if errors:
        raise InvalidInput(N_("Thông tin cơ quan không hợp lệ."), field_errors=errors)
    if agency is None:
        agency = Agency(code=code)
        session.add(agency)
    for name, value in values.items():
        if getattr(agency, name) != value:
            setattr(agency, name, value)
    session.flush()
    return agency


@dataclass
class CatalogueSummary:
    procedures: int = 0
    postal: int = 0
    not_postal: int = 0
    needs_review: list[str] = dataclass_field(default_factory=list)


def catalogue_summary(session: Session) -> CatalogueSummary:
    rows = session.execute(select(Procedure.code, Procedure.postal_eligible, Procedure.needs_review)).all()
    return CatalogueSummary(
        procedures=len(rows),
        postal=sum(1 for row in rows if row.postal_eligible),
        not_postal=sum(1 for row in rows if not row.postal_eligible),
        needs_review=sorted(row.code for row in rows if row.needs_review),
    )
