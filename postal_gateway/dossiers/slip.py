"""Receipt and appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả, R-09, Điều 17–18): what it says.

``SlipData`` is everything the slip prints, as plain values; ``slip_data_for`` reads it from a Dossier row;
``faults`` names every value the slip cannot print. How it is drawn on an A4 or A5 sheet or an 80 mm roll is
``postal_gateway.dossiers.slip_layout``. Nothing here knows Flask or reportlab.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields, replace
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
    lookup_web_address: str
    #: who took the dossier in, e.g. "Bưu cục Đồng Xoài – nhân viên Trần Thị B"; may be ""
    submitted_via: str = ""
    #: level 4 without a digital signature: the paper originals follow by post (Điều 7.3.a)
    originals_by_post: bool = False


def format_receipt_time(moment: datetime) -> str:
    """A moment as "HH:MM ngày DD/MM/YYYY" in Vietnam, whatever zone it comes in."""
    local = to_local(moment)
    return local.strftime("%H:%M ngày %d/%m/%Y")


def format_appointment(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]}, ngày {day.strftime('%d/%m/%Y')}"


def slip_data_for(dossier, public_base_url: str) -> SlipData:
    """Read a slip's data from a Dossier row and its agency, procedure, citizen and documents."""
    base = public_base_url.rstrip("/")
    agency = dossier.agency
    via = []
    if dossier.post_office is not None:
        via.append(dossier.post_office.name)
    if dossier.submitted_by is not None and dossier.submitted_by_id != dossier.citizen_id:
        via.append(f"nhân viên {dossier.submitted_by.full_name}")
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
        lookup_web_address=f"{base}/lookup",
        submitted_via=" – ".join(via),
        originals_by_post=dossier.level == 4 and not dossier.digitally_signed,
    )




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
