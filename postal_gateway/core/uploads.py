"""Scans of documents (one file per document, R-05): PDF, JPEG or PNG, judged by their content.

A file is accepted only if its first bytes say what it is, a real parser can read it, and its
extension agrees with what it is. Nothing here knows Flask: callers pass the name and the bytes.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader

from postal_gateway.core.domain import N_, FieldError, InvalidInput

#: content type -> extensions a file of that type may carry
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
}
#: content type -> the extension added to a name that has none (phone cameras sometimes send "image")
DEFAULT_EXTENSION = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
KIND_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}

MAX_FILENAME_LENGTH = 120
#: characters kept in a file name besides letters and digits of any script (Vietnamese included)
_SAFE_PUNCTUATION = set(" .-_()+,")


@dataclass(frozen=True)
class ValidatedScan:
    #: sanitised name, safe to show and to use in a Content-Disposition header
    filename: str
    #: application/pdf, image/jpeg or image/png, from the content, never from the client
    content_type: str
    size_bytes: int
    #: hex SHA-256 of data
    sha256: str
    data: bytes


def sanitise_filename(filename: str) -> str:
    """The last path part only, NFC, letters (any script), digits and a little punctuation, capped."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    cleaned = []
    for char in name:
        category = unicodedata.category(char)
        if char in _SAFE_PUNCTUATION or category[0] in ("L", "N") or category == "Mn":
            cleaned.append(char)
        elif category[0] == "C":  # control and format characters vanish
            continue
        else:
            cleaned.append("_")
    name = re.sub(r"\s+", " ", "".join(cleaned)).strip(" .")
    name = re.sub(r"_{2,}", "_", name)
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 8:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip(" .")
    return name


def sniff_content_type(data: bytes) -> str | None:
    """What the first bytes claim the file is, or None if it is none of the accepted kinds."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    # Readers accept a PDF header anywhere in the first kilobyte; so do we.
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    return None


def _parses(content_type: str, data: bytes) -> bool:
    """Really read the file: a header alone is easy to fake."""
    if content_type == "application/pdf":
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return False
            return len(reader.pages) > 0
        except Exception:  # noqa: BLE001 - any parser failure means "not a readable PDF"
            return False
    expected = {"image/png": "PNG", "image/jpeg": "JPEG"}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    return False
                image.verify()
            # verify() checks structure; loading decodes the pixels, which catches truncation.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
        return True
    except Exception:  # noqa: BLE001 - any decoder failure means "not a readable image"
        return False


def _format_megabytes(max_bytes: int) -> str:
    megabytes = max_bytes / (1024 * 1024)
    return f"{megabytes:.0f}" if megabytes == int(megabytes) else f"{megabytes:.1f}".replace(".", ",")


def _check(filename: str, data: bytes, max_bytes: int) -> ValidatedScan | tuple[str, dict]:
    """A ValidatedScan, or (message id, params) saying what is wrong."""
    name = sanitise_filename(filename)
    shown = name or N_("(không có tên)")
    if not name:
        name = "tep"
    if not data:
        return N_("Tệp %(filename)s rỗng. Vui lòng chụp hoặc chọn lại tệp."), {"filename": shown}
    if len(data) > max_bytes:
        return (
            N_("Tệp %(filename)s vượt quá dung lượng cho phép %(limit_mb)s MB."),
            {"filename": shown, "limit_mb": _format_megabytes(max_bytes)},
        )
    content_type = sniff_content_type(data)
    if content_type is None or not _parses(content_type, data):
        return (
            N_("Tệp %(filename)s không phải PDF, JPEG hoặc PNG đọc được. Chỉ nhận tệp PDF, JPEG hoặc PNG."),
            {"filename": shown},
        )
    stem, dot, extension = name.rpartition(".")
    extension = ("." + extension.lower()) if dot and stem else ""
    if not extension:
        name = name + DEFAULT_EXTENSION[content_type]
    elif extension not in EXTENSIONS[content_type]:
        return (
            N_("Tệp %(filename)s có đuôi %(extension)s nhưng nội dung là %(actual)s. Vui lòng chọn đúng tệp."),
            {"filename": shown, "extension": extension, "actual": KIND_NAMES[content_type]},
        )
    return ValidatedScan(
        filename=name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def validate_scan(filename: str, data: bytes, *, max_bytes: int, field: str = "file") -> ValidatedScan:
    """Accept one scan or raise InvalidInput with a FieldError on ``field``."""
    return validate_scans([(field, filename, data)], max_bytes=max_bytes)[0]


def validate_scans(items: list[tuple[str, str, bytes]], *, max_bytes: int) -> list[ValidatedScan]:
    """Accept every (field, filename, data) or raise InvalidInput naming every bad file at once."""
    accepted: list[ValidatedScan] = []
    errors: list[FieldError] = []
    for field, filename, data in items:
        outcome = _check(filename, data or b"", max_bytes)
        if isinstance(outcome, ValidatedScan):
            accepted.append(outcome)
        else:
            message, params = outcome
            errors.append(FieldError(field, message, params))
    if errors:
        raise InvalidInput(N_("Có tệp tải lên không hợp lệ."), field_errors=errors)
    return accepted
