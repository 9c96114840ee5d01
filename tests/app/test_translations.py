"""Every text a person can see has its English translation: the catalogue covers what the code says today."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "postal_gateway" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


@pytest.mark.slow
def test_every_message_of_the_code_has_an_english_translation(tmp_path):
    template = tmp_path / "messages.pot"
    # the extraction `make messages` does
    subprocess.run(["make", "--no-print-directory", "-s", "pot", f"POT={template}"], cwd=ROOT, check=True)
    with template.open(encoding="utf-8") as handle:
        extracted = {message.id for message in read_po(handle) if message.id}
    with CATALOGUE.open(encoding="utf-8") as handle:
        catalogue = read_po(handle)
    translated = {message.id for message in catalogue if message.id and message.string and not message.fuzzy}
    missing = sorted(str(message_id) for message_id in extracted - translated)
    assert not missing, f"{len(missing)} messages without English (run `make messages`, then translate): {missing[:20]}"
