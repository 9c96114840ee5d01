"""One spelling for one text: Vietnamese typed as NFC, whatever keyboard or file produced it.

The same name can arrive precomposed (NFC: "Nguyễn", one code point per letter, what most keyboards
send) or decomposed (NFD: "Nguyễn" as e + circumflex + tilde, what macOS file names, some Telex/VNI
input methods and some CSV exports produce). Stored as typed, the two never find each other. So:

- ``to_nfc`` is THE helper for text on its way in;
- ``normalise_text_columns`` applies it at the ORM level to every String/Text column of every model
  (attribute "set" events), so no area can forget it; a column may opt out with
  ``info={"keep_as_typed": True}`` (none does today);
- ``fold`` is the search key: lower-case ASCII without diacritics, for accent-insensitive search.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Enum, String, event
from sqlalchemy.orm import Mapper

_SPACES = re.compile(r"\s+")
#: control characters (NUL among them) that PostgreSQL text refuses and no one types on purpose
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_nfc(value: str) -> str:
    """The composed (NFC) spelling; cheap when the text already is (the usual case)."""
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def fold(text: str) -> str:
    """Lower-case ASCII without diacritics, spaces collapsed: "Đăng ký  IN" -> "dang ky in".

    NFKD splits the tone and vowel marks off their letters (and turns compatibility forms such as
    full-width letters into plain ones), whichever form the text came in; đ/Đ are letters of their
    own, not marked d, so they are mapped by hand.
    """
    text = _CONTROL_CHARACTERS.sub("", text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped.lower()).strip()


def _nfc_on_set(_target, value, _old_value, _initiator):
    return to_nfc(value) if isinstance(value, str) else value


def _is_free_text(column) -> bool:
    # Enum is a String underneath, but its values are our own members, never typed text.
    return isinstance(column.type, String) and not isinstance(column.type, Enum) and not column.info.get("keep_as_typed")


def normalise_text_columns(mapper: Mapper, class_) -> None:
    """``mapper_configured`` listener: every text column of ``class_`` stores NFC, however it is set."""
    for attribute in mapper.column_attrs:
        if len(attribute.columns) == 1 and _is_free_text(attribute.columns[0]):
            event.listen(getattr(class_, attribute.key), "set", _nfc_on_set, retval=True)
