"""Receipt and appointment slip (form 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả, R-09, Điều 17–18): what it says.

``SlipData`` is everything the slip prints, as plain values; ``slip_data_for`` reads it from a Dossier row;
``faults`` names every value the slip cannot print. ``form_values`` and ``from_form_values`` turn it into the
JSON frozen with the issued form 01 (``official_forms``) and back, so every layout of an issued form 01 is
drawn from the same frozen values. How it is drawn on an A4 or A5 sheet or an 80 mm roll is
``postal_gateway.dossiers.slip_layout``. Nothing here knows Flask or reportlab.
"""
from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime

from postal_gateway.core.domain import N_, FieldError
from postal_gateway.core.formatting import to_local
from postal_gateway.core.pdf import qr_matrix
from postal_gateway.dossiers.labels import status_label
from postal_gateway.dossiers.services import lookup_url

TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập – Tự do – Hạnh phúc"
#: Điều 18.2 of the provincial regulation, printed on the back as written there
BACK_NOTICE = (
    "Đến thời hạn giải quyết thủ tục hành chính ghi trong phiếu hẹn, nhưng chưa có kết quả "
    "hoặc cán bộ, công chức có hành vi yêu cầu nộp thêm các loại giấy tờ ghi trong phiếu hoặc "
    "phản ánh về thái độ giao tiếp, ứng xử của cán bộ, công chức, vui lòng liên hệ:"
)
NO_FEE = "Không thu phí"
NO_POSTAGE = "Không thu cước"

_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

ORIGINALS_BY_POST_NOTE = "Bản gốc gửi kèm qua bưu chính, ghi mã hồ sơ."
#: printed where Điều 18.2 asks for a phone number nobody has configured, for the officer to write in
DOTTED = "....."


@dataclass(frozen=True)
class BackPageContacts:
    """The province's contacts on the back of form 01 that no agency row holds (Điều 18.2.b–đ); they come
    from Settings (PROVINCE_PORTAL_ADDRESSES, ZALO_LOOKUP_NAME, PROVINCE_OFFICE_PHONE, INSPECTION_TEAM_PHONE)."""

    #: 18.2.d: the province's portal addresses, never the gateway's own lookup page
    portal_addresses: str
    #: 18.2.đ: the Zalo account that answers dossier lookups
    zalo_lookup_name: str
    #: 18.2.b: phone of the Phòng Tổng hợp, Văn phòng UBND tỉnh ("" prints a dotted line)
    province_office_phone: str = ""
    #: 18.2.c: phone of the Thường trực Tổ Kiểm tra Cải cách hành chính ("" prints a dotted line)
    inspection_team_phone: str = ""

    @classmethod
    def of(cls, settings) -> BackPageContacts:
        return cls(settings.province_portal_addresses, settings.zalo_lookup_name, settings.province_office_phone,
                   settings.inspection_team_phone)


@dataclass(frozen=True)
class SlipData:
    """Everything the slip prints; plain values so it can be built without a database."""

    dossier_code: str
    #: what the QR code encodes: the public lookup page of this dossier
    lookup_url: str
    procedure_name: str
    agency_name: str
    processing_department: str
    #: tổ chức nộp hồ sơ; "" when a person applies for themselves
    organisation_name: str
    applicant_name: str
    #: official receipt time, timezone-aware
    received_at: datetime
    appointment_date: date
    status_label: str
    #: lệ phí in VND; 0 prints "Không thu phí"
    fee_vnd: int
    #: cước in VND; 0 prints "Không thu cước"
    postage_vnd: int
    one_stop_phone: str
    document_titles: tuple[str, ...]
    missing_items: tuple[str, ...]
    agency_head_name: str
    agency_head_phone: str
    agency_head_email: str
    agency_phone: str
    province_office_email: str
    inspection_team_email: str
    #: Điều 18.2.d: the province's portal addresses (also printed under the QR code)
    portal_addresses: str
    #: Điều 18.2.đ: the Zalo lookup account
    zalo_lookup_name: str
    #: Điều 18.2.b, c: "" prints a dotted line
    province_office_phone: str = ""
    inspection_team_phone: str = ""
    #: level 4 without a digital signature: the paper originals follow by post (Điều 7.3.a)
    originals_by_post: bool = False
    #: "Số: 12/TNHS" of an issued form 01; "" for a dossier accepted before forms were numbered
    number_line: str = ""
    #: the one-stop officer who accepted the dossier, under "NGƯỜI TIẾP NHẬN HỒ SƠ"; may be ""
    officer_name: str = ""


def format_receipt_time(moment: datetime) -> str:
    """A moment as "HH:MM ngày DD/MM/YYYY" in Vietnam, whatever zone it comes in."""
    local = to_local(moment)
    return local.strftime("%H:%M ngày %d/%m/%Y")


def format_appointment(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]}, ngày {day.strftime('%d/%m/%Y')}"


def slip_data_for(dossier, public_base_url: str, contacts: BackPageContacts) -> SlipData:
    """Read a slip's data from a Dossier row and its agency, procedure, citizen, documents and accepting
    officer, with the province's contacts for the back (Điều 18.1, 18.2). The post office that carried the
    dossier is not printed: it belongs on the post's consignment slip, not on the agency's form 01."""
    agency = dossier.agency
    return SlipData(
        dossier_code=dossier.code,
        lookup_url=lookup_url(dossier.code, public_base_url),
        procedure_name=dossier.procedure.name,
        agency_name=agency.name,
        processing_department=dossier.procedure.processing_department or "",
        organisation_name=dossier.organisation_name or "",
        applicant_name=dossier.citizen.full_name,
        received_at=dossier.received_at,
        appointment_date=dossier.appointment_date,
        status_label=status_label(dossier.status),
        fee_vnd=dossier.fee_vnd or 0,
        postage_vnd=dossier.postage_vnd or 0,
        one_stop_phone=agency.one_stop_phone or "",
        document_titles=tuple(document.title for document in dossier.documents),
        missing_items=tuple(_item_name(item) for item in (dossier.missing_items or ())),
        agency_head_name=agency.head_name or "",
        agency_head_phone=agency.head_phone or "",
        agency_head_email=agency.head_email or "",
        agency_phone=agency.one_stop_phone or "",
        province_office_email=agency.province_office_email or "",
        inspection_team_email=agency.inspection_team_email or "",
        portal_addresses=contacts.portal_addresses,
        zalo_lookup_name=contacts.zalo_lookup_name,
        province_office_phone=contacts.province_office_phone,
        inspection_team_phone=contacts.inspection_team_phone,
        originals_by_post=dossier.level == 4 and not dossier.digitally_signed,
        officer_name=dossier.accepted_by.full_name if dossier.accepted_by is not None else "",
    )


def form_values(data: SlipData) -> dict:
    """The slip's values as JSON, to be frozen with the issued form 01 (times as ISO text)."""
    values = asdict(data)
    values["received_at"] = data.received_at.isoformat()
    values["appointment_date"] = data.appointment_date.isoformat()
    for name, value in values.items():
        if isinstance(value, tuple):
            values[name] = list(value)
    return values


def from_form_values(values: dict) -> SlipData:
    """The slip an issued form 01 prints, from its frozen values (other keys of the form are ignored)."""
    given = {item.name: values[item.name] for item in fields(SlipData) if item.name in values}
    given["received_at"] = datetime.fromisoformat(given["received_at"])
    given["appointment_date"] = date.fromisoformat(given["appointment_date"])
    for name in ("document_titles", "missing_items"):
        given[name] = tuple(given.get(name) or ())
    return SlipData(**given)


def faults(data: SlipData) -> list[FieldError]:
    """Every value the slip cannot print, at once."""
    errors = []
    if not isinstance(data.received_at, datetime) or data.received_at.tzinfo is None:
        errors.append(FieldError("received_at", N_("Thời gian nhận hồ sơ phải có múi giờ.")))
    if not isinstance(data.appointment_date, date):
        errors.append(FieldError("appointment_date", N_("Ngày hẹn trả không hợp lệ.")))
    for name in ("fee_vnd", "postage_vnd"):
        value = getattr(data, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.append(FieldError(name, N_("Số tiền phải là số nguyên không âm.")))
    try:
        qr_matrix(data.lookup_url)
    except ValueError:  # qrcode's DataOverflowError: more than a QR code holds
        errors.append(FieldError("lookup_url", N_("Địa chỉ tra cứu quá dài để in thành mã QR.")))
    if not data.dossier_code:
        errors.append(FieldError("dossier_code", N_("Thiếu mã hồ sơ.")))
    return errors


def normalised(data: SlipData) -> SlipData:
    """NFC text: the font has precomposed Vietnamese letters, and reportlab does no shaping."""
    changes = {}
    for item in fields(data):
        value = getattr(data, item.name)
        if isinstance(value, str):
            changes[item.name] = unicodedata.normalize("NFC", value)
        elif isinstance(value, tuple):
            changes[item.name] = tuple(unicodedata.normalize("NFC", str(v)) for v in value)
    return replace(data, **changes)


def _item_name(item) -> str:
    if isinstance(item, dict):
        return str(item.get("name") or item.get("title") or "")
    return str(item)
