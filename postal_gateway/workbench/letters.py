"""What the workbench's stored forms print: form 04 (Phiếu xin lỗi và hẹn lại ngày trả kết quả, Điều 9.3.d,
9.4.b, 9.4.d, 10.2.g) and form 02 at the processing stage (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ, Điều
9.3.b, 12.1.c), as the values ``official_forms.letter_layout.letter_pdf`` draws. The number, title, issuing
body and date are added by ``official_forms.issuing.issue``; the values are frozen with the PDF.

Official documents are printed in Vietnamese whatever the reader's interface language.
"""
from __future__ import annotations

from datetime import date

from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.formatting import format_local_date, to_local
from postal_gateway.dossiers.models import Dossier
from postal_gateway.official_forms.numbering import APOLOGY, TITLES

ONE_STOP_OFFICE = "BỘ PHẬN MỘT CỬA"
#: the title over the signature, by issuing body (the Circular leaves it to the body; ours)
SIGNATURE_TITLES = {
    "processing_agency": "THỦ TRƯỞNG CƠ QUAN",
    "cooperating_agency": "THỦ TRƯỞNG CƠ QUAN PHỐI HỢP",
    "one_stop_office": "TRƯỞNG BỘ PHẬN MỘT CỬA",
}


def _applicant(dossier: Dossier) -> str:
    name = f"Ông/Bà {dossier.citizen.full_name}"
    return f"{name} ({dossier.organisation_name})" if dossier.organisation_name else name


def _written_date(day: date) -> str:
    return f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def apology_form_data(
    dossier: Dossier, *, issuer_kind: str, cause: str, issuer: Agency, officer: User, reason: str,
    missed_due_at, previous_appointment: date, new_date: date,
) -> dict:
    """Form 04 of ``issuer`` for ``dossier``: when the dossier was received and by whom, what was promised,
    why it is not kept, the apology and the new date; signed for the issuing body, recorded by ``officer``."""
    received = to_local(dossier.received_at)
    issuer_name = issuer.name if issuer_kind != "one_stop_office" else f"Bộ phận Một cửa {issuer.name}"
    if cause == "late":
        promised = to_local(missed_due_at)
        promise = f"Thời hẹn trả kết quả giải quyết hồ sơ: {promised:%H} giờ {promised:%M}, {_written_date(promised)}."
        failure = f"Tuy nhiên đến nay, {issuer_name} chưa trả kết quả giải quyết hồ sơ cho Ông/Bà. Lý do: {reason}"
    else:
        promise = f"Ngày hẹn trả kết quả giải quyết hồ sơ: {format_local_date(previous_appointment)}."
        failure = (f"Tuy nhiên, khi tiếp nhận hồ sơ, {issuer_name} chưa hướng dẫn đầy đủ một lần các nội dung "
                   f"cần bổ sung, hoàn thiện. Lý do: {reason}")
    small_print = f"Người lập phiếu: {officer.full_name}."
    if issuer_kind == "cooperating_agency":
        small_print += f" Phiếu đồng thời gửi {dossier.agency.name} (cơ quan chủ trì) và Bộ phận Một cửa."
    return {
        "issuer_unit": ONE_STOP_OFFICE if issuer_kind == "one_stop_office" else "",
        "addressee": _applicant(dossier),
        "paragraphs": [
            f"Ngày {received:%d} tháng {received:%m} năm {received:%Y}, {dossier.agency.name} tiếp nhận giải quyết "
            f"hồ sơ của {_applicant(dossier)}.",
            f"Nội dung yêu cầu giải quyết: {dossier.procedure.name}.",
            f"Mã hồ sơ: {dossier.code}.",
            promise,
            failure,
            f"{issuer_name} xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ vào {_written_date(new_date)}.",
        ],
        "closing": "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.",
        "signature_title": SIGNATURE_TITLES[issuer_kind],
        "signer_name": issuer.head_name or officer.full_name,
        "small_print": small_print,
        "dossier_code": dossier.code,
        "issuer_kind": issuer_kind,
        "cause": cause,
        "reason": reason,
        "new_appointment_date": new_date.isoformat(),
    }


def supplement_form_data(dossier: Dossier, *, officer: User, items: list[dict], cause: str) -> dict:
    """Form 02 at the processing stage: every item with its reason at once (Điều 12.1.c); after
    verification the time already spent counts (Điều 9.3.b)."""
    citizen = dossier.citizen
    paragraphs = [
        f"Hồ sơ của: {_applicant(dossier)}.",
        f"Nội dung yêu cầu giải quyết: {dossier.procedure.name}.",
        f"Địa chỉ: {citizen.address or '—'}. Số điện thoại: {citizen.phone or '—'}. Email: {citizen.email or '—'}.",
        f"Mã hồ sơ: {dossier.code}.",
    ]
    if cause == "verification":
        paragraphs.append("Sau khi thẩm tra, xác minh, hồ sơ cần được bổ sung, hoàn thiện. Thời gian đã giải quyết "
                          "lần đầu được tính trong thời gian giải quyết hồ sơ.")
    else:
        paragraphs.append("Do sai sót khi tiếp nhận hồ sơ, hồ sơ cần được bổ sung, hoàn thiện; kèm theo Phiếu xin lỗi "
                          "và hẹn lại ngày trả kết quả của Bộ phận Một cửa.")
    paragraphs.append("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:")
    return {
        "issuer_unit": ONE_STOP_OFFICE,
        "addressee": _applicant(dossier),
        "paragraphs": paragraphs,
        "items": items,
        "closing": (f"Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với {officer.full_name} "
                    f"số điện thoại {dossier.agency.one_stop_phone or '—'} để được hướng dẫn."),
        "signature_title": "NGƯỜI HƯỚNG DẪN",
        "signer_name": officer.full_name,
        "dossier_code": dossier.code,
        "stage": "processing",
        "cause": cause,
    }


def legacy_apology_data(letter) -> dict:
    """The form 04 page of a letter written before forms were stored (``form_id`` NULL): drawn from what the
    letter recorded, under its old per-dossier number; never stored, so nothing is numbered for it now."""
    dossier = letter.dossier
    data = apology_form_data(
        dossier, issuer_kind=letter.issuer_kind, cause=letter.cause, issuer=letter.issuer_agency,
        officer=letter.issued_by, reason=letter.reason, missed_due_at=letter.missed_due_at,
        previous_appointment=letter.previous_appointment_date, new_date=letter.new_appointment_date,
    )
    return {**data, "title": TITLES[APOLOGY], "number_line": f"Số: {letter.number}/TXL",
            "issuer_name": letter.issuer_agency.name, "issued_at": letter.issued_at.isoformat()}
