"""Folding Vietnamese text for search: people type "cap giay phep" for "Cấp giấy phép"."""
from __future__ import annotations

import re

from postal_gateway.core import unicode_text

#: control characters (NUL among them) that PostgreSQL text refuses and no one types on purpose
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def fold(text: str) -> str:
    """Lower-case ASCII without diacritics, spaces collapsed: "Đăng ký  IN" -> "dang ky in" (see unicode_text)."""
    return unicode_text.fold(text)


def procedure_search_text(code: str, name: str) -> str:
    return f"{fold(code)} {fold(name)}".strip()
