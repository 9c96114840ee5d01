"""Run the same work in many threads at once, each with its own connection and session, to prove that a
row lock or an atomic upsert orders them (the tests that use it are marked ``commits``)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from postal_gateway.core.db import SessionFactory


def all_at_once(app, work: Callable[[Session, int], Any], count: int, *, timeout: float = 120) -> tuple[list, list]:
    """Call ``work(session, index)`` for index 0..count-1, each in its own thread, released together by a barrier.
    A call that returns commits its session; one that raises is rolled back. Returns (results, failures)."""
    # one connection per thread: the app's pool is smaller than the crowd
    engine = create_engine(app.extensions["engine"].url, pool_size=count, max_overflow=0, pool_timeout=timeout)
    barrier, results, failures, lock = threading.Barrier(count), [], [], threading.Lock()

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        own = SessionFactory(bind=engine)
        try:
            result = work(own, index)
            own.commit()
            with lock:
                results.append(result)
        except BaseException as error:  # noqa: BLE001 - the test asserts on every failure
            own.rollback()
            with lock:
                failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    engine.dispose()
    return results, failures
