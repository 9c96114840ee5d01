"""The intake wizard through the test client: a postal worker on a phone, step by step."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from postal_gateway.accounts.models import Role
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers import intake
from postal_gateway.dossiers.models import Dossier
from postal_gateway.workbench import reception
from tests import factories
from tests.conftest import log_in


def png_bytes(colour=(10, 200, 10)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture()
def world(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(session, agency, checklist=("Tờ khai", "Bản sao giấy phép"), fee_vnd=50_000, level=4)
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    return {"agency": agency, "procedure": procedure, "staff": staff, "citizen": citizen}


def open_wizard(client, world) -> str:
    response = client.post(
        "/intake", data={"citizen_id": world["citizen"].id, "procedure_code": world["procedure"].code}
    )
    assert response.status_code == 302
    return re.search(r"/intake/([0-9a-f]{32})/checklist", response.headers["Location"]).group(1)


def test_start_without_citizen_offers_to_find_one_and_with_citizen_lists_procedures(client, world):
    log_in(client, world["staff"])
    page = client.get("/intake")
    assert page.status_code == 200
    assert "citizen_id" in page.get_data(as_text=True)
    listed = client.get(f"/intake?citizen_id={world['citizen'].id}").get_data(as_text=True)
    assert world["procedure"].name in listed and "50.000" in listed
    assert client.get("/intake?citizen_id=rác").status_code == 422
    assert client.get("/intake?citizen_id=999999").status_code == 422


def test_without_consent_the_worker_is_sent_to_ask_for_it(client, session, world):
    other = factories.user(session, Role.citizen)
    session.commit()
    log_in(client, world["staff"])
    response = client.get(f"/intake?citizen_id={other.id}")
    if "consents.start" in client.application.view_functions:
        assert response.status_code == 302 and "consent" in response.headers["Location"]
    else:
        assert response.status_code == 403


def test_wizard_end_to_end_and_a_repeated_submit_makes_no_second_dossier(client, session, world):
    log_in(client, world["staff"])
    wizard = open_wizard(client, world)
    first, second = [item.id for item in world["procedure"].checklist]

    # nothing ticked: both documents named at once
    missing = client.post(f"/intake/{wizard}/checklist", data={})
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert "Tờ khai" in text and "Bản sao giấy phép" in text

    assert client.post(f"/intake/{wizard}/checklist", data={"item": [first, second]}).status_code == 302
    scans_page = client.get(f"/intake/{wizard}/scans").get_data(as_text=True)
    assert 'capture="environment"' in scans_page and 'accept="image/*,application/pdf"' in scans_page

    # one file missing and one bad file: both named
    bad = client.post(
        f"/intake/{wizard}/scans",
        data={f"scan_{first}": (io.BytesIO(b"not an image"), "a.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert bad.get_data(as_text=True).count('class="field-error"') == 2

    ok = client.post(
        f"/intake/{wizard}/scans",
        data={f"scan_{first}": (io.BytesIO(png_bytes()), "to-khai.png"),
              f"scan_{second}": (io.BytesIO(png_bytes((1, 1, 1))), "giay-phep.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302

    no_address = client.post(
        f"/intake/{wizard}/collection",
        data={"collection_place": "citizen_address", "pickup_address": "", "fee_method": "cash",
              "postage_vnd": "abc", "postage_method": "cash"},
    )
    assert no_address.status_code == 422
    assert client.post(
        f"/intake/{wizard}/collection",
        data={"collection_place": "citizen_address", "pickup_address": "5 Lê Lợi", "fee_method": "cash",
              "postage_vnd": "25.000", "postage_method": "collection_on_behalf"},
    ).status_code == 302

    review = client.get(f"/intake/{wizard}/review").get_data(as_text=True)
    assert "5 Lê Lợi" in review and "Bản gốc gửi kèm qua bưu chính" in review
    submitted = client.post(f"/intake/{wizard}/review")
    assert submitted.status_code == 302
    detail_url = submitted.headers["Location"]
    # submitted, not received: the dossier's address is its shipment number until the agency accepts it
    assert re.search(r"/dossiers/RA\d{9}VN$", detail_url)

    again = client.post(f"/intake/{wizard}/review")
    assert again.status_code == 302 and again.headers["Location"] == detail_url
    assert session.scalar(select(func.count(Dossier.id))) == 1

    detail = client.get(detail_url).get_data(as_text=True)
    assert "Mới đăng ký" in detail and "Chưa tiếp nhận" in detail and "In phiếu A4" not in detail
    assert "25.000" in detail and "Bản gốc gửi kèm qua bưu chính" in detail
    listed = client.get("/dossiers").get_data(as_text=True)
    assert detail_url.rsplit("/", 1)[1] in listed
    # no Giấy tiếp nhận before acceptance (Điều 14.4)
    assert client.get(detail_url + "/slip.pdf?layout=roll80").status_code == 409

    dossier = session.scalars(select(Dossier)).one()
    officer = factories.user(session, Role.agency_staff, agency_id=dossier.agency_id)
    reception.accept(session, officer=officer, ref=dossier.shipment_number, basis="online_valid", now=utcnow())
    session.commit()
    detail = client.get(detail_url).get_data(as_text=True)
    assert "In phiếu A4" in detail and "In phiếu khổ 80 mm" in detail and "Chia sẻ" in detail and dossier.code in detail
    slip = client.get(detail_url + "/slip.pdf?layout=roll80")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    assert slip.headers["Content-Disposition"].startswith("inline")
    assert client.get(detail_url + "/slip.pdf?layout=a3").status_code == 422


def test_retried_submit_after_lost_state_is_still_one_dossier(client, session, world, app):
    """The server is idempotent on the wizard's key even if the session lost the finished mark."""
    log_in(client, world["staff"])
    wizard = open_wizard(client, world)
    first, second = [item.id for item in world["procedure"].checklist]
    client.post(f"/intake/{wizard}/checklist", data={"item": [first, second]})
    client.post(
        f"/intake/{wizard}/scans",
        data={f"scan_{first}": (io.BytesIO(png_bytes()), "a.png"), f"scan_{second}": (io.BytesIO(png_bytes((2, 2, 2))), "b.png")},
        content_type="multipart/form-data",
    )
    client.post(f"/intake/{wizard}/collection",
                data={"collection_place": "post_office", "fee_method": "", "postage_vnd": "0", "postage_method": ""})
    with client.session_transaction() as flask_session:
        before = dict(flask_session[intake.STORE_KEY][wizard])
    first_reply = client.post(f"/intake/{wizard}/review")
    assert first_reply.status_code == 302
    # put back the state as it was before the first submit (a reply lost on a weak link)
    with client.session_transaction() as flask_session:
        wizards = dict(flask_session[intake.STORE_KEY])
        wizards[wizard] = before
        flask_session[intake.STORE_KEY] = wizards
    retry = client.post(f"/intake/{wizard}/review")
    assert retry.status_code == 302 and retry.headers["Location"] == first_reply.headers["Location"]
    assert session.scalar(select(func.count(Dossier.id))) == 1


def test_pages_need_the_right_role_and_unknown_wizards_are_404(client, session, world):
    assert client.get("/intake").status_code == 302  # to login
    log_in(client, world["citizen"])
    assert client.get("/intake").status_code == 403
    client.post("/logout")
    log_in(client, world["staff"])
    assert client.get("/intake/" + "0" * 32 + "/checklist").status_code == 404
    assert client.get("/intake/../../etc/checklist").status_code == 404
    assert client.get("/dossiers/khong-co-ma").status_code == 404
    assert client.post("/intake", data={"citizen_id": "x", "procedure_code": ""}).status_code == 422


@pytest.mark.parametrize(
    "step, data",
    [
        ("checklist", {"item": ["x", "-1", "99999999999999999999"]}),
        ("collection", {"collection_place": "moon", "postage_vnd": "-5", "postage_method": "gold",
                        "fee_method": "bitcoin", "pickup_address": "x" * 600}),
        ("collection", {}),
        ("review", {}),
        ("scans", {}),
    ],
)
def test_garbage_in_any_step_is_a_clear_answer_not_a_500(client, world, step, data):
    log_in(client, world["staff"])
    wizard = open_wizard(client, world)
    response = client.post(f"/intake/{wizard}/{step}", data=data)
    assert response.status_code in (302, 422)
    if response.status_code == 302:  # an earlier step is not done yet: back to it
        assert f"/intake/{wizard}/" in response.headers["Location"]


def test_collection_step_names_every_bad_field(client, world):
    log_in(client, world["staff"])
    wizard = open_wizard(client, world)
    first, second = [item.id for item in world["procedure"].checklist]
    client.post(f"/intake/{wizard}/checklist", data={"item": [first, second]})
    client.post(
        f"/intake/{wizard}/scans",
        data={f"scan_{first}": (io.BytesIO(png_bytes()), "a.png"), f"scan_{second}": (io.BytesIO(png_bytes((3, 3, 3))), "b.png")},
        content_type="multipart/form-data",
    )
    response = client.post(
        f"/intake/{wizard}/collection",
        data={"collection_place": "moon", "postage_vnd": "-5", "postage_method": "gold",
              "fee_method": "bitcoin", "delivery_address": "x" * 600},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert text.count('class="field-error"') >= 4  # place, delivery address, fee method, postage
    assert client.get(f"/intake/{wizard}/review").status_code == 302  # not reachable yet
