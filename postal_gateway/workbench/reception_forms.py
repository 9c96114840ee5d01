"""The forms the one-stop office issues at reception, from the dossier and the officer's words: form 01
(Giấy tiếp nhận hồ sơ và hẹn trả kết quả, Điều 9.1.c, 14.4, 18), form 02 (Phiếu yêu cầu bổ sung, hoàn thiện
hồ sơ, Điều 9.1.b, 12.1.c) and form 03 (Phiếu từ chối tiếp nhận giải quyết hồ sơ, Điều 9.1.b).

Each ``issue_*`` numbers, renders and stores its form through ``official_forms.issuing.issue`` in the
caller's transaction (per agency and year, never per dossier), with the values plan §2 lists for it.
Form 01 is the slip (``dossiers.slip``) frozen at acceptance; forms 02 and 03 are the A4 letter page
(``official_forms.letter_layout``). No Flask here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from postal_gateway.accounts.models import User
from postal_gateway.dossiers import slip
from postal_gateway.dossiers.models import Dossier
from postal_gateway.dossiers.slip_layout import render_form_01
from postal_gateway.official_forms import issuing
from postal_gateway.official_forms.letter_layout import letter_pdf
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.official_forms.numbering import COMPLETION, RECEIPT, REFUSAL

ONE_STOP_UNIT = "BỘ PHẬN MỘT CỬA"
#: printed where a phone number is missing, for the officer to write in
DOTTED = slip.DOTTED


def form_url(form: OfficialForm, ref: str, public_base_url: str = "") -> str:
    """The address of the stored PDF (``/dossiers/<ref>/forms/<id>.pdf``), absolute when a base is given."""
    return f"{public_base_url.rstrip('/')}/dossiers/{ref}/forms/{form.id}.pdf"


def issue_receipt(session: Session, dossier: Dossier, *, officer: User, now: datetime, public_base_url: str,
                  contacts: slip.BackPageContacts) -> OfficialForm:
    """Form 01 of an accepted dossier (Điều 9.1.c, 14.4, 18.1, 18.2): the front of 18.1 (code and QR,
    agency, department, applicant, receipt time, appointment, fee, one-stop phone, documents), the number
    "Số: N/TNHS", the accepting officer under "NGƯỜI TIẾP NHẬN HỒ SƠ", and the back of 18.2 with the
    province's portal and Zalo lookup from ``contacts``. Frozen: every later print reads these values."""
    values = slip.form_values(slip.slip_data_for(dossier, public_base_url, contacts))
    return issuing.issue(session, form_no=RECEIPT, dossier=dossier, agency=dossier.agency, officer=officer, now=now,
                         data=values, render=render_form_01)


def _applicant(dossier: Dossier) -> str:
    name = dossier.citizen.full_name
    return f"{name} ({dossier.organisation_name})" if dossier.organisation_name.strip() else name


def _applicant_lines(dossier: Dossier) -> list[str]:
    citizen = dossier.citizen
    return [
        f"Nội dung yêu cầu giải quyết: {dossier.procedure.name}.",
        f"Địa chỉ: {citizen.address.strip() or DOTTED}; Số điện thoại: {citizen.phone.strip() or DOTTED}; "
        f"Email: {(citizen.email or '').strip() or DOTTED}.",
        f"Số hiệu bưu gửi: {dossier.shipment_number} (hồ sơ chưa được tiếp nhận, chưa có mã hồ sơ).",
    ]


def issue_completion_request(session: Session, dossier: Dossier, *, officer: User, now: datetime,
                             items: list[str], reasons: list[str]) -> OfficialForm:
    """Form 02 at reception (Điều 9.1.b, 12.1.c "đầy đủ một lần"): every item to complete, each with its
    reason, in one form; the guidance line names the issuing officer and the one-stop office's phone."""
    agency = dossier.agency
    phone = (agency.one_stop_phone or "").strip() or DOTTED
    values = {
        "issuer_unit": ONE_STOP_UNIT,
        "addressee": f"Ông/Bà {_applicant(dossier)}",
        "paragraphs": [f"Hồ sơ của: {_applicant(dossier)}.", *_applicant_lines(dossier),
                       "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:"],
        "items": [{"item": item, "reason": reason} for item, reason in zip(items, reasons, strict=True)],
        "closing": f"Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông (bà) liên hệ với {officer.full_name}, "
                   f"số điện thoại {phone} để được hướng dẫn.",
        "signature_title": "NGƯỜI HƯỚNG DẪN",
        "signer_name": officer.full_name,
        "shipment_number": dossier.shipment_number,
        "guidance_phone": phone,
    }
    return issuing.issue(session, form_no=COMPLETION, dossier=dossier, agency=agency, officer=officer, now=now,
                         data=values, render=letter_pdf)


def issue_refusal(session: Session, dossier: Dossier, *, officer: User, now: datetime, reasons: list[str],
                  competent_agency: str) -> OfficialForm:
    """Form 03 (Điều 9.1.b): why the dossier is not received and, when it is out of the agency's remit,
    the competent agency the citizen should go to."""
    agency = dossier.agency
    guidance = (f"Đề nghị Ông/Bà liên hệ {competent_agency} là cơ quan có thẩm quyền giải quyết để được hướng dẫn. "
                if competent_agency else "")
    values = {
        "issuer_unit": ONE_STOP_UNIT,
        "addressee": f"Ông/Bà {_applicant(dossier)}",
        "paragraphs": [f"Bộ phận Một cửa {agency.name} tiếp nhận hồ sơ của: {_applicant(dossier)}.",
                       *_applicant_lines(dossier),
                       "Sau khi xem xét, đối chiếu thành phần hồ sơ với quy định, hồ sơ của Ông/Bà không đủ điều "
                       "kiện để tiếp nhận giải quyết với lý do cụ thể như sau:"],
        "items": [{"item": reason, "reason": ""} for reason in reasons],
        "closing": f"{guidance}Xin thông báo cho Ông/Bà được biết và thực hiện./.",
        "signature_title": "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "signer_name": officer.full_name,
        "shipment_number": dossier.shipment_number,
        "competent_agency": competent_agency,
    }
    return issuing.issue(session, form_no=REFUSAL, dossier=dossier, agency=agency, officer=officer, now=now,
                         data=values, render=letter_pdf)
