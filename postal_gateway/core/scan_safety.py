"""Refusing scans that carry something besides a picture of paper: active PDF content and HTML polyglots.

``uploads.validate_scan`` proves a file is a readable PDF, JPEG or PNG; a file can be that and still
be dangerous when it is opened again: a PDF with JavaScript, an open action, a launch action or an
embedded file, or an HTML page glued to a PDF (readers find a "%PDF-" header anywhere in the first
kilobyte, browsers render the markup). A signed authorisation is a scan or a photo: it needs none of
that, so any of it is refused, checked both on the raw bytes and on the structure pypdf reads (a
name can be written with #xx escapes to slip past a byte search; pypdf decodes it).
"""
from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.uploads import ValidatedScan

#: PDF names that run code, open something, or carry a file
ACTIVE_NAMES = frozenset({
    "/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles",
    "/RichMedia", "/XFA", "/SubmitForm", "/ImportData", "/GoToE", "/FileAttachment", "/Sound", "/Movie",
})
_ACTIVE_NAME_BYTES = re.compile(
    rb"/(?:JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|GoToE|FileAttachment)"
    rb"(?=[\s/<>\[\]()%{}]|$)"
)
#: tags a browser would act on; long enough never to occur by chance in compressed image data
_HTML_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|iframe|svg|object|embed|meta|form)\b", re.IGNORECASE)
#: objects walked at most: a scan has a few dozen; a file built to exhaust the walk is refused
MAX_OBJECTS = 20_000


def _walk_finds_active_content(reader) -> bool:
    """Depth-first over every object reachable from the trailer; True at the first active name."""
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            return True
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in ACTIVE_NAMES:
                    return True
                if name in ("/S", "/Subtype", "/Type") and isinstance(value, NameObject) and value in ACTIVE_NAMES:
                    return True
                if name != "/Parent":  # the page tree points back up; its nodes are reached from the root
                    stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _pdf_is_passive(data: bytes) -> bool:
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        return not reader.is_encrypted and not _walk_finds_active_content(reader)
    except Exception:  # noqa: BLE001 - a structure pypdf cannot walk is not accepted as passive
        return False


def refuse_active_content(scan: ValidatedScan, *, field: str = "scan") -> ValidatedScan:
    """The scan unchanged if it is only a picture of paper; InvalidInput on ``field`` otherwise."""
    data = scan.data
    refused = bool(_HTML_MARKUP.search(data))
    if scan.content_type == "application/pdf":
        refused = (
            refused
            or not data.startswith(b"%PDF-")  # anything before the header is what a polyglot hides there
            or bool(_ACTIVE_NAME_BYTES.search(data))
            or not _pdf_is_passive(data)
        )
    if refused:
        raise InvalidInput.on_field(
            field,
            N_("Tệp %(filename)s chứa nội dung chủ động (mã lệnh, tệp đính kèm hoặc HTML). "
               "Chỉ nhận bản chụp hoặc bản quét giấy ủy quyền."),
            filename=scan.filename,
        )
    return scan
