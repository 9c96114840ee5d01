"""The ID document staff must record when they register a citizen: issue date and a photo of the card."""
from __future__ import annotations

import base64
import io
from datetime import date

from PIL import Image

from postal_gateway.accounts.identity_documents import IdentityDocument
from postal_gateway.core.uploads import validate_scan

ISSUED_ON = date(2021, 4, 15)


def card_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 20), (200, 180, 150)).save(buffer, format="JPEG")
    return buffer.getvalue()


def card_document(issued_on: date = ISSUED_ON) -> IdentityDocument:
    return IdentityDocument(issued_on, validate_scan("can-cuoc.jpg", card_photo(), max_bytes=1 << 20, field="id_photo"))


def card_form() -> dict:
    """Fields of a multipart page form (post with content_type="multipart/form-data")."""
    return {"id_issued_on": ISSUED_ON.isoformat(), "id_photo": (io.BytesIO(card_photo()), "can-cuoc.jpg")}


def card_json() -> dict:
    return {"id_issued_on": ISSUED_ON.isoformat(), "id_photo_base64": base64.b64encode(card_photo()).decode(),
            "id_photo_filename": "can-cuoc.jpg"}
