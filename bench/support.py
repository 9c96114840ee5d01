"""What every bench shares: a throwaway PostgreSQL database next to the one the tests use."""
from __future__ import annotations

import os
import resource
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text

#: the server the tests use; each bench makes its own database there and drops it afterwards
DEFAULT_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_database(admin_url: str, prefix: str) -> tuple[str, Callable[[], None]]:
    """A new empty database named ``<prefix>_<random>``: its URL, and the function that drops it."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def peak_memory_mb() -> float:
    """This process's own peak resident memory. On Linux the high-water mark of the address space
    (VmHWM), which starts afresh at exec; ru_maxrss would also carry the parent's peak across a
    fork and exec, so a bench started from a large process (the test run) would report that."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
