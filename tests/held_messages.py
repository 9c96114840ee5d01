"""The notification dispatcher of the test app (no worker runs under test): committed messages stay
queued in the outbox, their ids and one-time codes are kept here for the tests to read."""
from __future__ import annotations

from collections.abc import Mapping

#: ids of committed messages, the latest last
held: list[int] = []
#: message id -> the one-time code its task would carry (tests read codes here, not in the outbox)
held_codes: dict[int, str] = {}


def held_dispatcher(message_ids: list[int], one_time_codes: Mapping[int, str]) -> None:
    held.extend(message_ids)
    del held[:-1000]
    held_codes.update(one_time_codes)
    for stale in sorted(held_codes)[:-1000]:
        del held_codes[stale]
