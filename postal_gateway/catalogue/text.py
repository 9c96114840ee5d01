"""Folding Vietnamese text for search: people type "cap giay phep" for "Cấp giấy phép"."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
#: control characters (NUL among them) that PostgreSQL text refuses and no one types on purpose
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def fold(text: str) -> str:
    """Lower-case ASCII without diacritics, spaces collapsed: "Đăng ký  IN" -> "dang ky in".

    NFD splits the tone and vowel marks off their letters; đ/Đ are separate letters, not marks,
    so they are mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", strip_control(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped.lower()).strip()


def procedure_search_text(code: str, name: str) -> str:
    return f"{fold(code)} {fold(name)}".strip()
