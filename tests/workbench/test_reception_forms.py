"""The forms issued at reception and stored (Thông tư 01/2018/TT-VPCP as named by the Quy chế): form 01 on
acceptance (Điều 9.1.c, 14.4, 18), form 02 on a completion request (Điều 9.1.b, 12.1.c) and form 03 on a
refusal (Điều 9.1.b), each numbered per agency and year and linked in the citizen's message."""
from __future__ import annotations

import email
import email.policy
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.core.config import process_settings
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.dossiers.workflow import IllegalTransition
from postal_gateway.notifications import service
from postal_gateway.notifications.adapters import ChannelRouter, SmtpMailer
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.official_forms import issuing
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.official_forms.numbering import COMPLETION, RECEIPT, REFUSAL
from postal_gateway.workbench import reception
from tests import factories
from tests.conftest import log_in
from tests.notifications import test_notifications_delivery
from tests.workbench import test_reception
from tests.workbench.test_reception import TUESDAY, at, submitted

#: the fixtures this module shares: the agency's world of reception, a local SMTP server
world = test_reception.world
smtp_server = test_notifications_delivery.smtp_server

TITLE_01 = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
BASE = "http://testserver"


def text_of(pdf: bytes) -> str:
    """The PDF's text with runs of whitespace folded, so line wrapping does not matter."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def accepted(session, world, hour: int = 9):
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.accept(session, officer=world["officer"], ref=dossier.shipment_number, basis="online_valid",
                     now=at(TUESDAY, hour, 0), public_base_url=BASE)
    return dossier


@pytest.fixture()
def province(monkeypatch):
    """The back page's settings (Điều 18.2.b–đ) as an operator set them for this province."""
    settings = process_settings()
    monkeypatch.setattr(settings, "province_portal_addresses", "https://dichvucong.tinh.gov.vn; http://www.tinh.gov.vn")
    monkeypatch.setattr(settings, "zalo_lookup_name", "BP-công dân và công vụ")
    monkeypatch.setattr(settings, "province_office_phone", "0271 3879 123")
    monkeypatch.setattr(settings, "inspection_team_phone", "")
    return settings


def test_acceptance_issues_form_01_once_numbered_per_agency_and_year__dieu_9_1_c_14_4(session, world):
    """Điều 9.1.c, 14.4: accepting a dossier issues its form 01 once; the numbers run per agency and year
    (1, 2 for two dossiers of one agency; another agency starts at 1), never per dossier."""
    first, second = accepted(session, world, 9), accepted(session, world, 10)
    other_agency = factories.agency(session)
    other_officer = factories.user(session, Role.agency_staff, agency_id=other_agency.id)
    foreign = factories.postal_dossier(
        session, procedure=factories.procedure(session, other_agency), citizen=world["citizen"],
        entered_at=at(TUESDAY, 8, 0), status=DossierStatus.submitted, code=None, received_at=None,
        processing_start_at=None, due_at=None, appointment_date=None, accepted_at=None, receipt_basis=None)
    reception.accept(session, officer=other_officer, ref=foreign.shipment_number, basis="online_valid",
                     now=at(TUESDAY, 11, 0))
    numbers = [(issuing.latest_form(session, d, RECEIPT).year, issuing.latest_form(session, d, RECEIPT).number)
               for d in (first, second, foreign)]
    assert numbers == [(2026, 1), (2026, 2), (2026, 1)]
    with pytest.raises(IllegalTransition):
        reception.accept(session, officer=world["officer"], ref=first.code, basis="online_valid",
                         now=at(TUESDAY, 12, 0))
    count = session.scalar(select(func.count()).select_from(OfficialForm).where(OfficialForm.dossier_id == first.id))
    assert count == 1
    form = issuing.latest_form(session, first, RECEIPT)
    assert form.data["number_line"] == "Số: 1/TNHS" and form.data["officer_name"] == world["officer"].full_name


def test_form_01_prints_title_code_appointment_and_the_provinces_back_page__dieu_18_1_18_2(session, world, province):
    """Điều 18.1, 18.2: the exact title, the number, the code, the appointment date and the accepting
    officer on the front; on the back the province's portal (settings, not the gateway's /lookup), the
    Zalo lookup line of 18.2.đ and the phones of 18.2.b–c (a dotted line where none is configured). The
    post office that carried it is not form 01's (no "Nơi tiếp nhận")."""
    dossier = accepted(session, world)
    text = text_of(issuing.readable_form(session, world["officer"], dossier.code,
                                         issuing.latest_form(session, dossier, RECEIPT).id, with_pdf=True).pdf)
    assert TITLE_01 in text and "Số: 1/TNHS" in text
    assert dossier.code in text and dossier.appointment_date.strftime("%d/%m/%Y") in text
    assert world["officer"].full_name in text
    assert "https://dichvucong.tinh.gov.vn; http://www.tinh.gov.vn" in text
    assert "Địa chỉ trên Zalo để tra cứu tình trạng hồ sơ: BP-công dân và công vụ" in text
    assert "điện thoại: 0271 3879 123" in text and "điện thoại: ....." in text
    assert "/lookup" not in text and "testserver" not in text
    assert "Nơi tiếp nhận" not in text


def test_form_01_stored_bytes_are_the_slip_a4_and_other_layouts_never_drift__dieu_18(client, session, world, province):
    """Điều 18: the slip's A4 answer is the stored form 01 byte for byte; A5 and 80 mm are drawn from the
    values frozen with it, so renaming the agency afterwards changes none of them."""
    dossier = accepted(session, world)
    form = issuing.latest_form(session, dossier, RECEIPT)
    agency_name = world["agency"].name
    world["agency"].name = "Tên cơ quan đổi sau khi cấp"
    session.commit()
    log_in(client, world["citizen"])
    a4 = client.get(f"/dossiers/{dossier.code}/slip.pdf?layout=a4")
    assert a4.status_code == 200 and a4.data == form.pdf
    assert client.get(f"/dossiers/{dossier.code}/forms/{form.id}.pdf").data == form.pdf
    for layout in ("a5", "roll80"):
        answer = client.get(f"/dossiers/{dossier.code}/slip.pdf?layout={layout}")
        assert answer.status_code == 200
        printed = text_of(answer.data)
        assert agency_name.upper() in printed and "TÊN CƠ QUAN ĐỔI" not in printed.upper()
        assert "Số: 1/TNHS" in printed and world["officer"].full_name in printed


def test_a_dossier_accepted_before_forms_were_stored_prints_from_live_data__dieu_18(client, session, world, province):
    """A dossier accepted before form 01 was stored has none; its slip is drawn from the live rows, with
    the back page from the settings as for a new one (Điều 18.2.d–đ)."""
    dossier = factories.postal_dossier(session, procedure=world["procedure"], citizen=world["citizen"])
    session.commit()
    assert issuing.latest_form(session, dossier, RECEIPT) is None
    log_in(client, world["citizen"])
    answer = client.get(f"/dossiers/{dossier.code}/slip.pdf?layout=a4")
    assert answer.status_code == 200
    printed = text_of(answer.data)
    assert dossier.code in printed and "https://dichvucong.tinh.gov.vn" in printed and "/lookup" not in printed


def test_acceptance_message_links_form_01__dieu_12_1_b(client, session, world):
    """Điều 12.1.b, 14.4: the SMS and the e-mail give the code, the date and the absolute link to the
    stored form 01, which opens for the citizen."""
    dossier = accepted(session, world)
    session.commit()
    form = issuing.latest_form(session, dossier, RECEIPT)
    link = f"{BASE}/dossiers/{dossier.code}/forms/{form.id}.pdf"
    bodies = session.scalars(select(OutboxMessage.body).where(OutboxMessage.template == "dossier_received")).all()
    assert len(bodies) == 2 and all(link in body and dossier.code in body for body in bodies)
    assert all(dossier.appointment_date.strftime("%d/%m/%Y") in body for body in bodies)
    log_in(client, world["citizen"])
    assert client.get(link.removeprefix(BASE)).data == form.pdf


def test_form_02_lists_every_item_with_its_reason_and_the_guidance__dieu_12_1_c(session, world):
    """Điều 12.1.c "đầy đủ một lần", 9.1.b: form 02 names every item with its reason, the officer and the
    one-stop phone to ask; the citizen's message links it."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    items, reasons = ["Bản sao giấy khai sinh", "Ảnh 4x6", "Tờ khai"], ["Bản chụp mờ", "Thiếu ảnh", "Chưa ký tên"]
    reception.request_completion(session, officer=world["officer"], ref=dossier.shipment_number, items=items,
                                 reasons=reasons, now=at(TUESDAY, 9, 0), public_base_url=BASE)
    form = issuing.latest_form(session, dossier, COMPLETION)
    assert form.data["items"] == [{"item": i, "reason": r} for i, r in zip(items, reasons, strict=True)]
    text = text_of(form.pdf)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text and "Số: 1/YCBS" in text
    for position, (item, reason) in enumerate(zip(items, reasons, strict=True), start=1):
        assert f"{position}. {item}. Lý do: {reason}." in text
    assert world["agency"].one_stop_phone in text and text.count(world["officer"].full_name) >= 2
    assert dossier.shipment_number in text
    link = f"{BASE}/dossiers/{dossier.shipment_number}/forms/{form.id}.pdf"
    bodies = session.scalars(select(OutboxMessage.body).where(OutboxMessage.template == "completion_requested")).all()
    assert len(bodies) == 2 and all(link in body for body in bodies)


def test_form_03_lists_every_reason_and_names_the_competent_agency__dieu_9_1_b(session, world):
    """Điều 9.1.b: form 03 gives every reason and, when out of remit, the competent agency to go to; the
    citizen's message links it. Its number runs apart from forms 01 and 02 (Số: 1/TCTN)."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.refuse(session, officer=world["officer"], ref=dossier.shipment_number,
                     reasons=["Thủ tục không thuộc thẩm quyền của Sở", "Hồ sơ của tổ chức khác"],
                     competent_agency="UBND huyện Đồng Phú", now=at(TUESDAY, 9, 0), public_base_url=BASE)
    form = issuing.latest_form(session, dossier, REFUSAL)
    text = text_of(form.pdf)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text and "Số: 1/TCTN" in text
    assert "1. Thủ tục không thuộc thẩm quyền của Sở." in text and "2. Hồ sơ của tổ chức khác." in text
    assert "UBND huyện Đồng Phú là cơ quan có thẩm quyền giải quyết" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and world["officer"].full_name in text
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "dossier_refused")).all()
    link = f"{BASE}/dossiers/{dossier.shipment_number}/forms/{form.id}.pdf"
    assert len(messages) == 2 and all(link in message.body for message in messages)
    assert "UBND huyện Đồng Phú" in next(m.body for m in messages if m.channel.value == "email")


def test_both_dossier_pages_list_the_forms_with_their_numbers__dieu_18_3(client, session, world):
    """Điều 18.3: the forms are provided; the officer's and the citizen's pages list each issued form with
    its number line and link."""
    dossier = submitted(session, world, at(TUESDAY, 8, 0))
    reception.request_completion(session, officer=world["officer"], ref=dossier.shipment_number, items=["Tờ khai"],
                                 reasons=["Chưa ký"], now=at(TUESDAY, 9, 0))
    session.commit()
    form = issuing.latest_form(session, dossier, COMPLETION)
    link = f"/dossiers/{dossier.shipment_number}/forms/{form.id}.pdf"
    for person, page in ((world["officer"], f"/workbench/{dossier.shipment_number}"),
                         (world["citizen"], f"/dossiers/{dossier.shipment_number}")):
        log_in(client, person)
        html = client.get(page).get_data(as_text=True)
        assert "Số: 1/YCBS" in html and link in html, page
        assert re.search(r'id="forms"', html)
        client.post("/logout")


def test_the_email_carries_form_01_as_issued_the_sms_only_its_link__dieu_12_1_b(session, world, smtp_server):
    """Điều 12.1.b, 14.4: the e-mail of the acceptance carries the stored form 01 PDF, byte for byte; the SMS
    only links it."""
    port, mails = smtp_server
    dossier = accepted(session, world)
    form = issuing.latest_form(session, dossier, RECEIPT)
    messages = {m.channel.value: m for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "dossier_received"))}
    assert messages["email"].attachment_form_id == form.id and messages["sms"].attachment_form_id is None
    router = ChannelRouter(email=SmtpMailer("127.0.0.1", port, sender="no-reply@buudien.vn"))
    assert service.deliver(session, messages["email"].id, adapter=router, now=at(TUESDAY, 9, 5)).result == "sent"
    mail = email.message_from_string(mails[0]["data"], policy=email.policy.default)
    attached = [part for part in mail.iter_attachments()]
    assert [part.get_filename() for part in attached] == [issuing.file_name(form)]
    assert attached[0].get_content() == form.pdf
