"""Folding Vietnamese text for search: people type "cap giay phep" for "Cấp giấy phép"."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ASCII without diacritics, spaces collapsed: "Đăng ký  IN" -> "dang ky in".

    NFD splits the tone and vowel marks off their letters; đ/Đ are separate letters, not marks,
    so they are mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped.lower()).strip()


def procedure_search_text(code: str, name: str) -> str:
    return f"{fold(code)} {fold(name)}".strip()
