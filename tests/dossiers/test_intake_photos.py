"""Photographing a document page by page on a 360 px phone, in a real browser with CSRF on (issue 15, item 2).

One bad file loses none of the good pages, the pages can be reordered and deleted, each document reaches the
dossier as one PDF of its pages, and a camera-sized photo is made small on the phone before it is sent.
"""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.dossiers import intake
from postal_gateway.dossiers.models import Dossier
from tests import factories
from tests.accessibility import assert_accessible
from tests.conftest import log_in_on_page, save_screenshot

WAIT_MS = 60_000


def jpeg_bytes(size: tuple[int, int], colour: tuple[int, int, int], noise: int = 0, quality: int = 90) -> bytes:
    """A photo-like JPEG: one colour, with sensor-like noise of ``noise`` levels."""
    from PIL import Image

    image = Image.new("RGB", size, colour)
    if noise:
        grain = Image.effect_noise(size, noise).convert("RGB")
        image = Image.blend(image, grain, 0.35)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def page_names(page) -> list[str]:
    return page.locator(".page-row .page-name .hint").all_inner_texts()


def wait_for_rows(page, count: int) -> None:
    """``count`` pages listed, nothing still on its way, every thumbnail loaded from the server."""
    page.wait_for_function(
        f"() => document.querySelectorAll('.page-row').length === {count}"
        " && document.querySelectorAll('.upload-row progress').length === 0"
        " && Array.from(document.querySelectorAll('img.page-thumb')).every(i => i.complete && i.naturalWidth > 0)",
        timeout=WAIT_MS,
    )


@pytest.fixture()
def desk(session):
    agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, checklist=("Hợp đồng cung ứng dịch vụ",), fee_vnd=0, level=4,
                                    name="Thông báo hoạt động bưu chính")
    staff = factories.user(session, Role.postal_staff,
                           post_office=factories.post_office(session, province_code="70", district_code="689"))
    citizen = factories.user(session, Role.citizen, full_name="Lê Văn Cường")
    factories.consent(session, citizen, staff, now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                      valid_until=datetime(2099, 1, 1, tzinfo=timezone.utc))
    session.commit()
    return {"procedure": procedure, "staff": staff, "citizen": citizen,
            "item_id": procedure.checklist[0].id}


def open_scans_step(phone, live_server, desk) -> str:
    log_in_on_page(phone, live_server, desk["staff"])
    phone.goto(f"{live_server}/intake?citizen_id={desk['citizen'].id}")
    phone.click("text=Chọn thủ tục này")
    phone.wait_for_url(re.compile(r".*/checklist$"))
    phone.check(f"input[name=item][value='{desk['item_id']}']")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r".*/scans$"))
    return re.search(r"/intake/([0-9a-f]{32})/scans", phone.url).group(1)


@pytest.mark.timeout(240)
def test_pages_survive_a_bad_file_are_reordered_deleted_and_reach_the_dossier_as_one_pdf(
        session, live_server, phone, desk):
    item_id = desk["item_id"]
    refused_by_csp = []
    phone.on("console", lambda message: refused_by_csp.append(message.text)
             if "Content Security Policy" in message.text else None)
    open_scans_step(phone, live_server, desk)
    camera = f"#camera_{item_id}"
    assert phone.locator(camera).get_attribute("capture") == "environment"

    # page by page with the camera, a broken file from the gallery in between, then two more pages
    phone.set_input_files(camera, {"name": "trang-a.jpg", "mimeType": "image/jpeg",
                                   "buffer": jpeg_bytes((600, 800), (200, 40, 40))})  # portrait
    wait_for_rows(phone, 1)
    phone.set_input_files(f"#scan_{item_id}", [
        {"name": "hong.jpg", "mimeType": "image/jpeg", "buffer": b"this is no photo at all"},
        {"name": "trang-b.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 600), (40, 160, 40))},  # landscape
    ])
    phone.set_input_files(camera, {"name": "trang-c.jpg", "mimeType": "image/jpeg",
                                   "buffer": jpeg_bytes((700, 700), (40, 40, 200))})  # square
    wait_for_rows(phone, 3)

    refused = phone.locator(".upload-row.refused .field-error")
    assert refused.count() == 1
    assert "hong.jpg" in refused.inner_text() and "không phải PDF, JPEG hoặc PNG" in refused.inner_text()
    assert page_names(phone) == ["trang-a.jpg", "trang-b.jpg", "trang-c.jpg"]  # every good page kept, in order
    assert phone.locator(".page-row img.page-thumb").count() == 3
    assert no_sideways_scroll(phone)
    for button in phone.locator(".page-actions button").all():  # thumb-sized and named for screen readers
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        assert button.get_attribute("aria-label")
    save_screenshot(phone, "issue15-item2-photos-1-bad-file-named-pages-kept")
    assert_accessible(phone)

    # page 1 down: b, a, c; then delete the third page (c)
    phone.click("[aria-label='Chuyển trang 1 xuống']")
    phone.wait_for_function("() => document.querySelector('.page-row .page-name .hint').textContent === 'trang-b.jpg'",
                            timeout=WAIT_MS)
    assert page_names(phone) == ["trang-b.jpg", "trang-a.jpg", "trang-c.jpg"]
    phone.click("[aria-label='Xóa trang 3']")
    wait_for_rows(phone, 2)
    assert page_names(phone) == ["trang-b.jpg", "trang-a.jpg"]
    assert "2 trang" in phone.locator("[data-page-summary]").inner_text()
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "issue15-item2-photos-2-reordered-and-deleted")
    assert_accessible(phone)

    # a reload shows the same pages from the server (nothing lived only in the page)
    phone.reload()
    assert page_names(phone) == ["trang-b.jpg", "trang-a.jpg"]

    phone.click("[data-continue]")
    phone.wait_for_url(re.compile(r".*/collection$"))
    phone.click("button[type=submit]:not([value=quote])")
    phone.wait_for_url(re.compile(r".*/review$"))
    phone.click("#submit-button")
    phone.wait_for_url(re.compile(r".*/dossiers/RA\d{9}VN$"))
    assert no_sideways_scroll(phone)
    save_screenshot(phone, "issue15-item2-photos-3-dossier")
    assert_accessible(phone)

    assert refused_by_csp == []  # no inline script, no eval, no worker from elsewhere
    session.expire_all()
    dossier = session.scalars(select(Dossier)).one()
    (document,) = dossier.documents
    assert document.checklist_item_id == item_id and document.content_type == "application/pdf"
    assert document.filename == "Hợp đồng cung ứng dịch vụ.pdf"
    pdf = PdfReader(io.BytesIO(document.content))
    assert len(pdf.pages) == 2
    shapes = ["landscape" if page.mediabox.width > page.mediabox.height else "portrait" for page in pdf.pages]
    assert shapes == ["landscape", "portrait"]  # b then a, as reordered


@pytest.mark.timeout(240)
def test_a_camera_sized_photo_is_made_small_on_the_phone_before_it_is_sent(session, live_server, phone, desk, app):
    from PIL import Image

    item_id = desk["item_id"]
    wizard_id = open_scans_step(phone, live_server, desk)
    original = jpeg_bytes((4000, 3000), (180, 170, 150), noise=40, quality=92)
    assert len(original) > 4 * 1024 * 1024  # what a phone camera makes

    phone.evaluate("""() => {
        window.progressSeen = false;
        new MutationObserver(() => {
            if (document.querySelector('.upload-row progress')) { window.progressSeen = true; }
        }).observe(document.body, {childList: true, subtree: true});
    }""")
    phone.set_input_files(f"#camera_{item_id}", {"name": "IMG_0001.jpg", "mimeType": "image/jpeg",
                                                  "buffer": original})
    wait_for_rows(phone, 1)
    assert phone.evaluate("() => window.progressSeen")
    save_screenshot(phone, "issue15-item2-photos-4-large-photo-sent-small")
    assert_accessible(phone)

    store = intake.ScanStore(app.config["SETTINGS"].instance_dir / "intake_scans")
    (page,) = store.pages(wizard_id, item_id)
    received = store.page_data(wizard_id, item_id, page.id)
    assert page.size_bytes == len(received)
    assert len(received) <= 1.1 * 1024 * 1024 and len(received) < len(original) / 4
    with Image.open(io.BytesIO(received)) as photo:
        assert photo.format == "JPEG" and max(photo.size) <= 2000 and photo.size[0] > photo.size[1]


@pytest.mark.timeout(240)
def test_without_javascript_the_plain_form_takes_several_pages_and_names_the_bad_file(
        session, live_server, browser, desk):
    item_id = desk["item_id"]
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1, locale="vi-VN",
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        open_scans_step(page, live_server, desk)
        page.set_input_files(f"#scan_{item_id}", [
            {"name": "trang-a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((600, 800), (200, 40, 40))},
            {"name": "hong.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 broken"},
            {"name": "trang-b.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((800, 600), (40, 160, 40))},
        ])
        page.click("[data-continue]")
        assert "hong.pdf" in page.locator(".field-error").inner_text()
        assert page_names(page) == ["trang-a.jpg", "trang-b.jpg"]  # kept, though the step is refused
        assert no_sideways_scroll(page)
        # axe needs scripts: it checks the same page in the tests above
        save_screenshot(page, "issue15-item2-photos-5-without-javascript")
        page.click("[aria-label='Chuyển trang 1 xuống']")  # the plain form's buttons submit it
        assert page_names(page) == ["trang-b.jpg", "trang-a.jpg"]
        page.click("[data-continue]")
        page.wait_for_url(re.compile(r".*/collection$"))
    finally:
        context.close()
