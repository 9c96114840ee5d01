"""One way of writing Vietnamese in the interface: the old tone-mark placement the regulation itself uses
("số hóa", "Ủy ban", "thỏa thuận"), the official form titles rather than informal names, and no
informal labels."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for package in ("postal_gateway", "payments", "contracts", "tracking")
           for path in (ROOT / package).rglob("*") if path.suffix in (".py", ".html", ".js") and path.is_file()]
CATALOGUE = ROOT / "postal_gateway" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
#: the new placement of tone marks, which the Quy chế does not use
NEW_STYLE = re.compile(r"(?<!\w)(hoá|hoà|uỷ|thuỷ|tuỳ|xoá|thoả|khoẻ|toà|loà)(?!\w)", re.IGNORECASE)
INFORMAL = ("Nhận & thu", "Mã website không phải của chúng tôi", "phiếu hẹn", "giấy hẹn")
#: where "phiếu hẹn" is the regulation's own words, quoted (Điều 18.2)
VERBATIM_QUOTES = {ROOT / "postal_gateway" / "dossiers" / "slip.py"}


def _text(path: Path) -> str:
    return unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))


def _msgids() -> str:
    return "\n".join(line for line in _text(CATALOGUE).splitlines() if line.startswith(("msgid", '"')))


@pytest.mark.parametrize("where", ["sources", "messages"])
def test_one_tone_mark_convention_the_regulations_own(where):
    texts = {str(path): _text(path) for path in SOURCES} if where == "sources" else {"messages.po": _msgids()}
    found = {name: sorted(set(NEW_STYLE.findall(text))) for name, text in texts.items() if NEW_STYLE.search(text)}
    assert found == {}


def test_no_informal_labels_in_the_interface():
    found = {}
    for path in SOURCES:
        if path in VERBATIM_QUOTES:
            continue
        text = _text(path).lower()
        hits = [label for label in INFORMAL if label.lower() in text]
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}
