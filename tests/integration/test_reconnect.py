"""The reconnect policy of the relay and the consumers: exponential backoff from 0.5 s capped at 15 s
on a lost broker or database, reset once a step succeeds, ended at once by the stop event.

No broker, database or real waiting: the stop event records the waits it is asked for."""
import logging
import threading

import pytest
from pika.exceptions import AMQPConnectionError, StreamLostError
from sqlalchemy.exc import OperationalError

from postal_gateway.integration import consumers, relay
from postal_gateway.integration.reconnect import MAX_WAIT_SECONDS, Stopped, reconnect_policy

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:9/%2F"


class RecordingStop(threading.Event):
    """A stop event that waits no time, records each wait and sets itself on the ``set_on_wait``-th."""

    def __init__(self, set_on_wait: int | None = None) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.set_on_wait = set_on_wait

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if self.set_on_wait is not None and len(self.waits) >= self.set_on_wait:
            self.set()
        return self.is_set()


class _NullContext:
    """Stands for a session factory where the step under test never touches the database."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _failing(times: int, error: Exception, result="done"):
    calls = []

    def step():
        calls.append(1)
        if len(calls) <= times:
            raise error
        return result

    return step, calls


def test_a_broker_error_is_retried_with_waits_doubling_up_to_15_seconds():
    stop = RecordingStop()
    step, calls = _failing(8, AMQPConnectionError("refused"))
    logged = []
    policy = reconnect_policy(stop, retry_on=(AMQPConnectionError,),
                              log_wait=lambda state: logged.append((type(state.outcome.exception()), state.upcoming_sleep)))
    assert policy(step) == "done" and len(calls) == 9
    assert stop.waits == [0.5, 1, 2, 4, 8, 15, 15, 15] and max(stop.waits) == MAX_WAIT_SECONDS
    assert logged == [(AMQPConnectionError, wait) for wait in stop.waits]
    # a new outage starts again at the shortest wait
    stop.waits.clear()
    step, _ = _failing(2, AMQPConnectionError("refused"))
    assert policy(step) == "done" and stop.waits == [0.5, 1]


def test_setting_the_stop_event_ends_the_wait_without_another_try():
    stop = RecordingStop(set_on_wait=3)
    step, calls = _failing(100, OSError("connection refused"))
    with pytest.raises(Stopped):
        reconnect_policy(stop, retry_on=(OSError,), log_wait=lambda state: None)(step)
    assert stop.waits == [0.5, 1, 2] and len(calls) == 3


def test_a_stop_set_while_a_step_fails_raises_stopped_without_waiting():
    stop = RecordingStop()

    def step():
        stop.set()
        raise OSError("connection reset")

    with pytest.raises(Stopped):
        reconnect_policy(stop, retry_on=(OSError,), log_wait=lambda state: None)(step)
    assert stop.waits == []


def test_an_error_that_is_not_an_outage_is_not_retried():
    stop = RecordingStop()
    step, calls = _failing(1, ValueError("a bug"))
    with pytest.raises(ValueError):
        reconnect_policy(stop, retry_on=(AMQPConnectionError, OSError), log_wait=lambda state: None)(step)
    assert len(calls) == 1 and stop.waits == []


def test_the_relay_waits_out_the_broker_and_the_database_and_starts_over_after_a_batch(monkeypatch, caplog):
    database_down = OperationalError("SELECT 1", {}, ConnectionRefusedError("5432"))
    outcomes = [AMQPConnectionError("refused"), StreamLostError("reset"), database_down, 3,
                AMQPConnectionError("refused"), 0]

    def relay_batch(session, publish, *, limit):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    class Publisher:
        closed = 0

        def publish(self, message):
            raise AssertionError("relay_batch is replaced")

        def close(self):
            Publisher.closed += 1

    monkeypatch.setattr(relay, "relay_batch", relay_batch)
    stop = RecordingStop()
    with caplog.at_level(logging.WARNING, logger=relay.__name__):
        assert relay.run_relay(_NullContext, Publisher(), stop=stop, once=True) == 3
    assert stop.waits == [0.5, 1, 2, 0.5] and outcomes == []
    assert Publisher.closed == 4  # after each broker failure, so the next try declares the topology anew; and at the end
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "relay: broker unavailable (AMQPConnectionError), retrying in 0.5 s",
        "relay: broker unavailable (StreamLostError), retrying in 1.0 s",
        "relay: database unavailable (ConnectionRefusedError), retrying in 2.0 s",
        "relay: broker unavailable (AMQPConnectionError), retrying in 0.5 s",
    ]


def test_the_relay_stops_promptly_while_the_broker_is_away(monkeypatch):
    def relay_batch(session, publish, *, limit):
        raise AMQPConnectionError("refused")

    class Publisher:
        publish = None

        def close(self):
            pass

    monkeypatch.setattr(relay, "relay_batch", relay_batch)
    stop = RecordingStop(set_on_wait=4)
    assert relay.run_relay(_NullContext, Publisher(), stop=stop) == 0
    assert stop.waits == [0.5, 1, 2, 4]


def test_a_consumer_waits_for_an_unreachable_broker_and_stops_promptly(caplog):
    stop = RecordingStop(set_on_wait=7)
    consumer = consumers.Consumer("probe", lambda session, event: None)
    with caplog.at_level(logging.WARNING, logger=consumers.__name__):
        assert consumers.run_consumer(UNREACHABLE_BROKER, consumer, _NullContext, stop=stop) == 0
    assert stop.waits == [0.5, 1, 2, 4, 8, 15, 15]
    ours = [record.getMessage() for record in caplog.records if record.name == consumers.__name__]
    assert ours == [f"consumer probe: broker unavailable (AMQPConnectionError), reconnecting in {wait:.1f} s"
                    for wait in stop.waits]


def test_a_consumer_that_lost_its_connection_starts_its_backoff_over(monkeypatch):
    """Connecting ends an outage: a connection lost later waits 0.5 s again, not where the last
    outage left off."""
    stop = RecordingStop()
    script = ["refused", "refused", "connected", "lost", "refused", "connected", "stop"]

    class Channel:
        def consume(self, queue, inactivity_timeout):
            step = script.pop(0)
            if step == "lost":
                raise StreamLostError("connection reset by the broker")
            assert step == "stop"
            stop.set()
            yield None, None, None

        def cancel(self):
            pass

    def open_link(link):
        step = script.pop(0)
        if step == "refused":
            raise AMQPConnectionError("refused")
        link.channel = Channel()

    monkeypatch.setattr(consumers._BrokerLink, "open", open_link)
    consumer = consumers.Consumer("probe", lambda session, event: None)
    assert consumers.run_consumer(UNREACHABLE_BROKER, consumer, _NullContext, stop=stop) == 0
    assert script == [] and stop.waits == [0.5, 1, 0.5, 1]
