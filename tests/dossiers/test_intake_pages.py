"""A document photographed page by page: pages kept one by one in the wizard's folder, one refused file
losing nothing else, reordering and deleting, and the pages combined into one PDF (Điều 7.2.a: one file per
document)."""
from __future__ import annotations

import io
import re
import threading
from datetime import datetime, timezone

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.core.domain import NotFound
from postal_gateway.dossiers import controllers, intake, page_pdf
from postal_gateway.dossiers.models import Dossier
from tests import factories
from tests.conftest import log_in


def image_bytes(size=(40, 30), colour=(200, 30, 30), kind="JPEG", exif_orientation: int | None = None) -> bytes:
    image = Image.new("RGBA" if kind == "PNG" else "RGB", size, colour)
    buffer = io.BytesIO()
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(buffer, format=kind, exif=exif)
    else:
        image.save(buffer, format=kind)
    return buffer.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=(300, 400), invariant=1)
    for number in range(pages):
        drawing.drawString(20, 20, f"page {number + 1}")
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def shapes(pdf: bytes) -> list[tuple[float, float]]:
    return [(round(float(page.mediabox.width)), round(float(page.mediabox.height)))
            for page in PdfReader(io.BytesIO(pdf)).pages]


# --- combining ---------------------------------------------------------------------------------------------


def test_photos_become_pdf_pages_in_their_order_and_a_pdf_keeps_its_own_pages():
    portrait, landscape = image_bytes((30, 40)), image_bytes((40, 30), kind="PNG")
    combined = page_pdf.combine([
        page_pdf.PageFile("image/jpeg", portrait),
        page_pdf.PageFile("application/pdf", pdf_bytes(2)),
        page_pdf.PageFile("image/png", landscape),
    ])
    assert shapes(combined) == [(632, 842), (300, 400), (300, 400), (842, 632)]
    reader = PdfReader(io.BytesIO(combined))
    assert "page 2" in reader.pages[2].extract_text()
    assert portrait in combined  # a small JPEG is carried as it is: no second loss of quality


def test_a_single_pdf_is_kept_byte_for_byte_so_a_signature_stays_valid():
    original = pdf_bytes(3)
    assert page_pdf.combine([page_pdf.PageFile("application/pdf", original)]) == original
    single_photo = page_pdf.combine([page_pdf.PageFile("image/jpeg", image_bytes())])
    assert single_photo.startswith(b"%PDF") and len(PdfReader(io.BytesIO(single_photo)).pages) == 1
    with pytest.raises(ValueError):
        page_pdf.combine([])


def test_a_camera_sized_photo_is_scaled_down_and_a_turned_one_stands_upright():
    big = image_bytes((3000, 2400))
    reader = PdfReader(io.BytesIO(page_pdf.combine([page_pdf.PageFile("image/jpeg", big)])))
    (embedded,) = reader.pages[0].images
    assert max(embedded.image.size) == page_pdf.LONG_SIDE_PX
    # the camera held sideways: stored 40 x 30 with "turn 90°" in its EXIF, shown 30 x 40
    turned = page_pdf.combine([page_pdf.PageFile("image/jpeg", image_bytes((40, 30), exif_orientation=6))])
    assert shapes(turned) == [(632, 842)]
    assert Image.open(io.BytesIO(page_pdf.thumbnail(image_bytes((40, 30), exif_orientation=6)))).size == (30, 40)


# --- the pages of a wizard's document ----------------------------------------------------------------------


@pytest.fixture()
def store(tmp_path):
    return intake.ScanStore(tmp_path)


def test_one_refused_file_loses_none_of_the_good_ones(store):
    wizard = intake.new_state(1, "T").wizard_id
    kept, refused = intake.keep_pages(
        store, wizard, 7,
        [("trang-1.jpg", image_bytes()), ("hong.jpg", b"not a photo"), ("trang-2.png", image_bytes(kind="PNG")),
         ("to-khai.pdf", pdf_bytes(2))],
        max_bytes=1024 * 1024, field="scan_7",
    )
    assert [page.filename for page in kept] == ["trang-1.jpg", "trang-2.png", "to-khai.pdf"]
    assert [page.page_count for page in kept] == [1, 1, 2]
    assert len(refused) == 1 and refused[0].field == "scan_7" and refused[0].params["filename"] == "hong.jpg"
    assert [page.id for page in store.pages(wizard, 7)] == [page.id for page in kept]
    assert store.pages(wizard, 8) == []


def test_pages_are_moved_within_the_document_and_deleted(store):
    wizard = intake.new_state(1, "T").wizard_id
    a, b, c = (intake.keep_pages(store, wizard, 1, [(name, image_bytes(colour=colour))], max_bytes=10**6,
                                 field="scan_1")[0][0]
               for name, colour in (("a.jpg", (1, 1, 1)), ("b.jpg", (2, 2, 2)), ("c.jpg", (3, 3, 3))))
    names = lambda pages: [page.filename for page in pages]  # noqa: E731
    assert names(store.move_page(wizard, 1, a.id, +1)) == ["b.jpg", "a.jpg", "c.jpg"]
    assert names(store.move_page(wizard, 1, b.id, -1)) == ["b.jpg", "a.jpg", "c.jpg"]  # already first
    assert names(store.move_page(wizard, 1, c.id, -1)) == ["b.jpg", "c.jpg", "a.jpg"]
    before = intake.pages_fingerprint(store.pages(wizard, 1))
    assert names(store.delete_page(wizard, 1, c.id)) == ["b.jpg", "a.jpg"]
    assert intake.pages_fingerprint(store.pages(wizard, 1)) != before
    assert store.page_data(wizard, 1, b.id) == image_bytes(colour=(2, 2, 2))
    for missing in (c.id, "../../etc/passwd", ""):
        with pytest.raises(NotFound):
            store.page_data(wizard, 1, missing)
        with pytest.raises(NotFound):
            store.delete_page(wizard, 1, missing)
    with pytest.raises(NotFound):  # a page of another document
        store.move_page(wizard, 2, b.id, 1)


def test_pages_sent_at_the_same_moment_are_all_kept(store):
    wizard = intake.new_state(1, "T").wizard_id
    photos = [image_bytes(colour=(n, n, n)) for n in range(12)]
    start = threading.Barrier(len(photos))

    def send(n: int) -> None:
        start.wait()
        intake.keep_pages(store, wizard, 3, [(f"p{n}.jpg", photos[n])], max_bytes=10**6, field="scan_3")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(photos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(page.filename for page in store.pages(wizard, 3)) == sorted(f"p{n}.jpg" for n in range(12))


def test_a_document_holds_at_most_so_many_pages(store, monkeypatch):
    monkeypatch.setattr(intake, "MAX_PAGES_PER_DOCUMENT", 2)
    wizard = intake.new_state(1, "T").wizard_id
    kept, refused = intake.keep_pages(store, wizard, 1, [(f"{n}.jpg", image_bytes()) for n in range(3)],
                                      max_bytes=10**6, field="scan_1")
    assert len(kept) == 2 and len(refused) == 1 and refused[0].params == {"filename": "2.jpg", "limit": 2}


def test_the_document_file_is_named_after_the_checklist_item(store):
    wizard = intake.new_state(1, "T").wizard_id
    assert intake.document_file(store, wizard, 1, "Tờ khai") is None
    intake.keep_pages(store, wizard, 1, [("a.jpg", image_bytes()), ("b.pdf", pdf_bytes(2))], max_bytes=10**6,
                      field="scan_1")
    document = intake.document_file(store, wizard, 1, "Tờ khai: bản chính/sao")
    assert document.filename == "Tờ khai_ bản chính-sao.pdf" and document.page_count == 3
    assert len(PdfReader(io.BytesIO(document.data)).pages) == 3
    signed = pdf_bytes(1)
    intake.keep_pages(store, wizard, 2, [("hop-dong-ky-so.pdf", signed)], max_bytes=10**6, field="scan_2")
    kept_as_is = intake.document_file(store, wizard, 2, "Hợp đồng")
    assert (kept_as_is.filename, kept_as_is.data) == ("hop-dong-ky-so.pdf", signed)


# --- the wizard's scans step and its page API -------------------------------------------------------------


@pytest.fixture()
def world(session):
    agency = factories.agency(session, code="000.00.20.H10")
    procedure = factories.procedure(session, agency, checklist=("Tờ khai", "Bản sao giấy phép"), fee_vnd=0, level=4)
    staff = factories.user(session, Role.postal_staff)
    citizen = factories.user(session, Role.citizen)
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    return {"procedure": procedure, "staff": staff, "citizen": citizen,
            "items": [item.id for item in procedure.checklist]}


def scans_step(client, world) -> str:
    log_in(client, world["staff"])
    response = client.post("/intake", data={"citizen_id": world["citizen"].id,
                                            "procedure_code": world["procedure"].code})
    wizard = re.search(r"/intake/([0-9a-f]{32})/checklist", response.headers["Location"]).group(1)
    assert client.post(f"/intake/{wizard}/checklist", data={"item": world["items"]}).status_code == 302
    return wizard


def send_page(client, wizard, item_id, name, data, **kwargs):
    return client.post(f"/intake/{wizard}/scans/{item_id}/pages", data={"page": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kwargs)


def test_the_plain_form_keeps_every_good_file_and_names_the_bad_one(client, session, world, app):
    first, second = world["items"]
    wizard = scans_step(client, world)
    response = client.post(
        f"/intake/{wizard}/scans",
        data={f"scan_{first}": [(io.BytesIO(image_bytes()), "trang-1.jpg"), (io.BytesIO(b"rubbish"), "hong.png"),
                                (io.BytesIO(image_bytes(kind="PNG")), "trang-2.png")],
              f"scan_{second}": [(io.BytesIO(pdf_bytes(2)), "giay-phep.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert text.count('class="field-error"') == 1 and "hong.png" in text
    assert "trang-1.jpg" in text and "trang-2.png" in text and "giay-phep.pdf" in text  # kept and listed
    store = intake.ScanStore(app.config["SETTINGS"].instance_dir / "intake_scans")
    assert [page.filename for page in store.pages(wizard, first)] == ["trang-1.jpg", "trang-2.png"]

    # the plain form's buttons move and delete pages too
    page_ids = [page.id for page in store.pages(wizard, first)]
    moved = client.post(f"/intake/{wizard}/scans", data={"page_action": f"down:{first}:{page_ids[0]}"})
    assert moved.status_code == 302
    assert [page.filename for page in store.pages(wizard, first)] == ["trang-2.png", "trang-1.jpg"]

    # nothing more to add: the step completes with one PDF per document
    assert client.post(f"/intake/{wizard}/scans", data={}).status_code == 302
    with client.session_transaction() as flask_session:
        state = intake.load(flask_session, wizard)
    assert "scans" in state.done
    combined = store.get(wizard, first)
    assert len(PdfReader(io.BytesIO(combined)).pages) == 2
    assert state.scans[str(first)]["page_count"] == 2 and state.scans[str(first)]["filename"] == "Tờ khai.pdf"
    assert store.get(wizard, second) == pdf_bytes(2)  # a single PDF as it came

    client.post(f"/intake/{wizard}/collection",
                data={"collection_place": "post_office", "fee_method": "", "postage_vnd": "0", "postage_method": ""})
    assert client.post(f"/intake/{wizard}/review").status_code == 302
    dossier = session.scalars(select(Dossier)).one()
    documents = {document.checklist_item_id: document for document in dossier.documents}
    assert documents[first].content_type == "application/pdf" and documents[first].content == combined
    assert documents[second].filename == "giay-phep.pdf"


def test_the_page_api_keeps_names_moves_and_deletes(client, world):
    first, _second = world["items"]
    wizard = scans_step(client, world)
    sent = send_page(client, wizard, first, "a.jpg", image_bytes((30, 40)))
    assert sent.status_code == 201
    body = sent.get_json()
    assert body["page"]["filename"] == "a.jpg" and body["page_count"] == 1 and body["page"]["kind"] == "JPEG"
    thumbnail = client.get(body["page"]["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"

    refused = send_page(client, wizard, first, "hong.jpg", b"GIF89a not a jpeg")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "hong.jpg" in refused.get_json()["detail"] and refused.get_json()["errors"][0]["field"] == f"scan_{first}"

    pdf = send_page(client, wizard, first, "b.pdf", pdf_bytes(3)).get_json()
    assert pdf["page_count"] == 4 and pdf["page"]["thumbnail_url"] is None and pdf["page"]["kind"] == "PDF"
    listed = client.get(f"/intake/{wizard}/scans/{first}/pages").get_json()
    assert [page["filename"] for page in listed["pages"]] == ["a.jpg", "b.pdf"]  # the refused file is no page

    b_id = pdf["page"]["id"]
    moved = client.post(listed["move_url"], data={"page_id": b_id, "direction": "up"})
    assert [page["filename"] for page in moved.get_json()["pages"]] == ["b.pdf", "a.jpg"]
    assert client.post(listed["move_url"], data={"page_id": b_id, "direction": "sideways"}).status_code == 422
    assert client.post(listed["move_url"], data={"direction": "up"}).status_code == 422
    left = client.post(listed["delete_url"], data={"page_id": b_id})
    assert [page["filename"] for page in left.get_json()["pages"]] == ["a.jpg"]
    gone = client.post(listed["delete_url"], data={"page_id": b_id})
    assert gone.status_code == 404 and gone.mimetype == "application/problem+json"

    assert send_page(client, wizard, 987654, "c.jpg", image_bytes()).status_code == 404  # not a ticked document
    assert send_page(client, "f" * 32, first, "c.jpg", image_bytes()).status_code == 404  # no such wizard
    assert client.post(f"/intake/{wizard}/scans/{first}/pages", data={}).status_code == 422  # no file


def test_only_the_staff_member_who_opened_the_wizard_uses_it(client, session, world):
    first, _second = world["items"]
    wizard = scans_step(client, world)
    other = factories.user(session, Role.postal_staff)
    session.commit()
    with client.session_transaction() as flask_session:  # the wizard in a session that is someone else's now
        wizards = dict(flask_session[intake.STORE_KEY])
        wizards[wizard] = {**wizards[wizard], "staff_id": other.id}
        flask_session[intake.STORE_KEY] = wizards
    assert send_page(client, wizard, first, "a.jpg", image_bytes()).status_code == 404
    assert client.get(f"/intake/{wizard}/scans").status_code == 404
    assert client.get(f"/intake/{wizard}/scans/{first}/pages").status_code == 404


def test_every_page_post_needs_the_csrf_token(client, world, app):
    first, _second = world["items"]
    wizard = scans_step(client, world)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/intake/{wizard}/scans").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert send_page(client, wizard, first, "a.jpg", image_bytes()).status_code == 400
        sent = send_page(client, wizard, first, "a.jpg", image_bytes(), headers={"X-CSRFToken": token})
        assert sent.status_code == 201
        page_id = sent.get_json()["page"]["id"]
        base = f"/intake/{wizard}/scans/{first}/pages"
        assert client.post(base + "/delete", data={"page_id": page_id}).status_code == 400
        assert client.post(base + "/move", data={"page_id": page_id, "direction": "up"}).status_code == 400
        deleted = client.post(base + "/delete", data={"page_id": page_id}, headers={"X-CSRFToken": token})
        assert deleted.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_pages_changed_after_the_scans_step_send_the_worker_back_to_it(client, world):
    first, second = world["items"]
    wizard = scans_step(client, world)
    for item_id in (first, second):
        send_page(client, wizard, item_id, "a.jpg", image_bytes())
    extra = send_page(client, wizard, first, "b.jpg", image_bytes((30, 40))).get_json()
    assert client.post(f"/intake/{wizard}/scans", data={}).status_code == 302
    client.post(f"/intake/{wizard}/collection",
                data={"collection_place": "post_office", "fee_method": "", "postage_vnd": "0", "postage_method": ""})
    assert client.get(f"/intake/{wizard}/review").status_code == 200
    client.post(extra["delete_url"], data={"page_id": extra["page"]["id"]})  # from another tab
    back = client.post(f"/intake/{wizard}/review")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/intake/{wizard}/scans")
    assert client.post(f"/intake/{wizard}/scans", data={}).status_code == 302  # combined again: one page now
    assert client.post(f"/intake/{wizard}/review").status_code == 302
    assert client.post(f"/intake/{wizard}/scans/{first}/pages", data={}).status_code == 409  # sent: no more changes


def test_a_document_without_pages_or_too_big_is_named_on_the_scans_step(client, world, monkeypatch):
    first, second = world["items"]
    wizard = scans_step(client, world)
    send_page(client, wizard, first, "a.jpg", image_bytes())
    missing = client.post(f"/intake/{wizard}/scans", data={})
    assert missing.status_code == 422 and "Thiếu tệp quét của: Bản sao giấy phép" in missing.get_data(as_text=True)
    send_page(client, wizard, second, "b.jpg", image_bytes())
    monkeypatch.setattr(controllers, "_document_limit", lambda: 100)
    too_big = client.post(f"/intake/{wizard}/scans", data={})
    assert too_big.status_code == 422 and "vượt quá dung lượng" in too_big.get_data(as_text=True)


def test_a_wizard_opened_before_documents_had_pages_keeps_its_files(client, world, app):
    first, second = world["items"]
    wizard = scans_step(client, world)
    store = intake.ScanStore(app.config["SETTINGS"].instance_dir / "intake_scans")
    with client.session_transaction() as flask_session:  # one file per document, as the wizard kept them before
        state = intake.load(flask_session, wizard)
        for item_id in (first, second):
            store.put(wizard, item_id, image_bytes())
            state.scans[str(item_id)] = {"filename": f"{item_id}.jpg", "sha256": "0" * 64}
        intake.save(flask_session, state)
    assert client.post(f"/intake/{wizard}/scans", data={}).status_code == 302
    store.drop(wizard)  # without their files they are missing again
    missing = client.post(f"/intake/{wizard}/scans", data={})
    assert missing.status_code == 422 and missing.get_data(as_text=True).count('class="field-error"') == 2
