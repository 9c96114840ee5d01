"""The sandbox's Zalo page on a 360 px phone: the citizen's notice arrives as a ZNS, and a dossier code typed into
the OA's chat gets the dossier's status back (Điều 14.4, 17), through the signed webhook, over real HTTP."""
from __future__ import annotations

from datetime import datetime, timezone

from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications import adapters, service, zalo
from tests import factories
from tests.conftest import save_screenshot
from tests.dossiers.test_intake_phone import no_sideways_scroll


def test_notice_and_oa_lookup_on_the_sandbox_phone(app, session, live_server, phone):
    agency = factories.agency(session)
    citizen = factories.user(session, full_name="Trần Thị Bích", id_number="070190007777")
    dossier = factories.dossier(session, agency, factories.procedure(session, agency), citizen,
                                received_at=datetime(2026, 11, 30, 2, tzinfo=timezone.utc))
    service.set_preferences(session, citizen.id, sms=True, email=True, zalo=True)
    session.commit()
    base = f"{live_server}/zalo/sandbox"
    api = zalo.ZaloApi(zalo.SANDBOX_APP_ID, zalo.SANDBOX_APP_SECRET, f"{base}/v4/oa/access_token",
                       f"{base}/message/template", f"{base}/v3.0/oa/message/cs", zalo.SANDBOX_FIRST_REFRESH_TOKEN,
                       also_hyphenated=True)
    service.configure_adapter(adapters.ChannelRouter(zalo=zalo.ZaloAdapter(api, app.config["SETTINGS"])))
    try:
        with unit_of_work(session):
            message = service.send(session, channel="sms", recipient=citizen.phone, template="dossier_received",
                                   user_id=citizen.id, context={
                                       "code": dossier.code, "agency_name": agency.name, "procedure_name": "Cấp phép",
                                       "received_at": "09:00 30/11/2026", "appointment_date": "07/12/2026",
                                       "form_url": f"{live_server}/lookup", "lookup_url": f"{live_server}/lookup"})
        with unit_of_work(session):
            assert service.deliver(session, message.id).result == "sent"

        phone.goto(f"{base}/?phone={citizen.phone}")
        notice = phone.locator(".zns-message").first
        assert dossier.code in notice.inner_text() and "07/12/2026" in notice.inner_text()

        phone.fill("#text", dossier.code)
        phone.click("button[value=send]")
        phone.wait_for_selector(".oa-out")
        reply = phone.locator(".oa-out").last.inner_text()
        assert dossier.code in reply and "Tình trạng: Đã tiếp nhận" in reply and "Trần Thị Bích" in reply
        assert no_sideways_scroll(phone)
        save_screenshot(phone, "zalo_sandbox_phone")
    finally:
        service.configure_adapter(None)
