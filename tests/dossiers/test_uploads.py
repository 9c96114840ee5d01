"""Scan validation: content decides, the extension must agree, every bad file is named at once."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.uploads import sanitise_filename, validate_scan, validate_scans

MB = 1024 * 1024


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 16, 46)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size=(16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 60, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Don de nghi")
    page.showPage()
    page.save()
    return buffer.getvalue()


def only_error(excinfo) -> tuple[str, str, dict]:
    errors = excinfo.value.field_errors
    assert len(errors) == 1
    return errors[0].field, errors[0].message % errors[0].params, errors[0].params


@pytest.mark.parametrize(
    ("filename", "maker", "content_type"),
    [("anh.png", png_bytes, "image/png"), ("chup.JPG", jpeg_bytes, "image/jpeg"),
     ("giay-phep.jpeg", jpeg_bytes, "image/jpeg"), ("don.pdf", pdf_bytes, "application/pdf")],
)
def test_real_files_are_accepted_with_type_from_content(filename, maker, content_type):
    data = maker()
    scan = validate_scan(filename, data, max_bytes=MB)
    assert scan.content_type == content_type
    assert scan.size_bytes == len(data)
    assert scan.sha256 == hashlib.sha256(data).hexdigest()
    assert scan.data == data
    assert scan.filename == filename


def test_a_pdf_name_on_png_content_is_refused_naming_the_file():
    with pytest.raises(InvalidInput) as excinfo:
        validate_scan("to-khai.pdf", png_bytes(), max_bytes=MB, field="documents-3")
    field, message, params = only_error(excinfo)
    assert field == "documents-3"
    assert "to-khai.pdf" in message and "PNG" in message
    assert params["extension"] == ".pdf"


def test_a_png_name_on_jpeg_content_is_refused():
    with pytest.raises(InvalidInput) as excinfo:
        validate_scan("anh.png", jpeg_bytes(), max_bytes=MB)
    assert "JPEG" in only_error(excinfo)[1]


def test_garbage_named_pdf_is_refused():
    with pytest.raises(InvalidInput) as excinfo:
        validate_scan("hop-dong.pdf", b"this is not a pdf at all" * 10, max_bytes=MB)
    field, message, _params = only_error(excinfo)
    assert field == "file"
    assert "hop-dong.pdf" in message and "PDF, JPEG hoặc PNG" in message


def test_fake_headers_that_do_not_parse_are_refused():
    for name, data in (
        ("x.pdf", b"%PDF-1.7\n garbage without objects or trailer"),
        ("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("x.jpg", jpeg_bytes()[:40]),  # truncated
    ):
        with pytest.raises(InvalidInput):
            validate_scan(name, data, max_bytes=MB)


def test_other_formats_are_refused_even_when_real():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")
    with pytest.raises(InvalidInput):
        validate_scan("anh.gif", buffer.getvalue(), max_bytes=MB)
    with pytest.raises(InvalidInput):
        validate_scan("anh.png", buffer.getvalue(), max_bytes=MB)


def test_empty_file_is_refused():
    with pytest.raises(InvalidInput) as excinfo:
        validate_scan("trong.pdf", b"", max_bytes=MB)
    assert "rỗng" in only_error(excinfo)[1]


def test_oversize_file_is_refused_with_the_limit_in_megabytes():
    data = png_bytes()
    with pytest.raises(InvalidInput) as excinfo:
        validate_scan("lon.png", data, max_bytes=len(data) - 1)
    with pytest.raises(InvalidInput) as excinfo:
        validate_scan("lon.png", data + b"\x00" * (2 * MB), max_bytes=2 * MB)
    _field, message, params = only_error(excinfo)
    assert params["limit_mb"] == "2"
    assert "2 MB" in message
    assert validate_scan("vua.png", data, max_bytes=len(data)).size_bytes == len(data)


def test_filename_is_sanitised_keeping_vietnamese_letters():
    scan = validate_scan("../../etc/Giấy phép kinh doanh<1>.PNG", png_bytes(), max_bytes=MB)
    assert scan.filename == "Giấy phép kinh doanh_1_.PNG"
    assert sanitise_filename("C:\\Users\\an\\Đơn đề nghị.pdf") == "Đơn đề nghị.pdf"
    assert sanitise_filename("a\x00b\nc.pdf") == "abc.pdf"
    assert sanitise_filename("..") == ""
    long_name = "Bản sao " + "rất dài " * 40 + ".pdf"
    capped = sanitise_filename(long_name)
    assert len(capped) <= 120 and capped.endswith(".pdf")


def test_decomposed_vietnamese_is_normalised_to_nfc():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Đơn.pdf")
    assert sanitise_filename(decomposed) == "Đơn.pdf"


def test_name_without_extension_gets_the_one_of_its_content():
    assert validate_scan("image", jpeg_bytes(), max_bytes=MB).filename == "image.jpg"
    assert validate_scan("", pdf_bytes(), max_bytes=MB).filename == "tep.pdf"


def test_validate_scans_reports_every_bad_file_at_once():
    with pytest.raises(InvalidInput) as excinfo:
        validate_scans(
            [("doc-1", "ok.png", png_bytes()), ("doc-2", "rong.pdf", b""),
             ("doc-3", "sai.pdf", png_bytes()), ("doc-4", "rac.pdf", b"rac")],
            max_bytes=MB,
        )
    assert [error.field for error in excinfo.value.field_errors] == ["doc-2", "doc-3", "doc-4"]
    scans = validate_scans([("a", "a.png", png_bytes()), ("b", "b.pdf", pdf_bytes())], max_bytes=MB)
    assert [scan.content_type for scan in scans] == ["image/png", "application/pdf"]
