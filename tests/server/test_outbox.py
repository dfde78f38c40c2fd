"""The durable outbox against real receivers on loopback: down for a while, 500s, timeouts,
permanent errors — nothing lost, no undetectable duplicates, dead letters when it must."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.databases import migrated
from tests.support.receiver import Receiver

from pageguide.channels.webhook import SIGNATURE_HEADER, WebhookChannel, verify
from pageguide.db import Database
from pageguide.db import models as m
from pageguide.escalation.outbox import Outbox, OutboxSettings, backoff

SECRET = "whsec_test"
FAST = OutboxSettings(max_attempts=6, base_delay=0.05, max_delay=0.2, lease=5.0, poll=0.05)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path: Path):
    async with migrated(request.param, tmp_path) as database:
        yield database


async def enqueue(db: Database, key: str, channel: str = "webhook") -> None:
    async with db.session() as s, s.begin():
        s.add(m.OutboxRow(channel=channel, idempotency_key=key, body={"handoff": {"id": key}}))


async def statuses(db: Database) -> dict[str, tuple[str, int]]:
    async with db.session() as s:
        rows = await s.scalars(select(m.OutboxRow))
        return {r.idempotency_key: (r.status, r.attempts) for r in rows}


async def until(predicate, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_backoff_grows_and_is_capped() -> None:
    s = OutboxSettings(base_delay=2, max_delay=60)
    assert backoff(1, s, lambda: 1.0) == 2 and backoff(3, s, lambda: 1.0) == 8
    assert backoff(10, s, lambda: 1.0) == 60 and backoff(10, s, lambda: 0.0) == 30


async def test_signed_delivery_verifies_with_the_documented_snippet(db) -> None:
    with Receiver() as receiver:
        channel = WebhookChannel("webhook", receiver.url, SECRET)
        outbox = Outbox(db, lambda name: channel, FAST)
        await enqueue(db, "k1")
        assert await outbox.deliver_due() == 1
    got = receiver.received[0]
    assert verify(SECRET, got.headers[SIGNATURE_HEADER.lower()], got.body)
    assert not verify("other-secret", got.headers[SIGNATURE_HEADER.lower()], got.body)
    assert not verify(SECRET, got.headers[SIGNATURE_HEADER.lower()], got.body + b" ")
    old = "t=1000000000," + got.headers[SIGNATURE_HEADER.lower()].split(",")[1]
    assert not verify(SECRET, old, got.body)  # a replay outside the tolerance
    assert got.headers["idempotency-key"] == "k1"
    assert json.loads(got.body) == {"handoff": {"id": "k1"}}
    assert (await statuses(db))["k1"] == ("delivered", 1)


async def test_receiver_down_then_500s_then_back_loses_nothing(db) -> None:
    receiver = Receiver().start()
    port = receiver.port
    receiver.stop()  # down
    channel = WebhookChannel("webhook", f"http://127.0.0.1:{port}/hook", SECRET, timeout=1.0)
    outbox = Outbox(db, lambda name: channel, FAST)
    outbox.start()
    try:
        for i in range(3):
            await enqueue(db, f"h{i}")
        outbox.wake()
        await until(lambda: _min_attempts(db, 2))
        back = Receiver(port=port, mode="error").start()  # up, but failing
        await until(lambda: _min_attempts(db, 3))
        back.mode = "ok"
        await until(lambda: _all_status(db, "delivered"), within=15)
        keys = [r.headers["idempotency-key"] for r in back.received]
        assert sorted(keys) == ["h0", "h1", "h2"]  # each exactly once
        back.stop()
    finally:
        await outbox.stop()


async def test_a_receiver_that_times_out_is_retried_and_duplicates_are_detectable(db) -> None:
    with Receiver(mode="slow", delay=1.5) as receiver:
        channel = WebhookChannel("webhook", receiver.url, SECRET, timeout=0.3)
        outbox = Outbox(db, lambda name: channel, FAST)
        await enqueue(db, "slow1")
        await outbox.deliver_due()  # times out on our side, though the receiver keeps going
        await asyncio.sleep(1.6)
        receiver.mode = "ok"
        await asyncio.sleep(0.3)
        await outbox.deliver_due()
        await until(lambda: _all_status(db, "delivered"))
    keys = [r.headers["idempotency-key"] for r in receiver.received]
    assert set(keys) == {"slow1"}  # any duplicate carries the same key: the receiver can drop it


async def test_permanent_errors_and_exhausted_retries_are_dead_lettered(db) -> None:
    with Receiver(mode="bad") as receiver:
        channel = WebhookChannel("webhook", receiver.url, SECRET)
        outbox = Outbox(db, lambda name: channel, FAST)
        await enqueue(db, "bad")
        await enqueue(db, "gone", channel="removed-channel")
        await outbox.deliver_due()
        assert (await statuses(db)) == {"bad": ("dead", 1), "gone": ("dead", 1)}
        dead = await outbox.dead_letters()
        assert {d.idempotency_key for d in dead} == {"bad", "gone"}
        assert "HTTP 400" in next(d.last_error for d in dead if d.idempotency_key == "bad")

        receiver.mode = "error"
        await enqueue(db, "flaky")
        for _ in range(FAST.max_attempts):
            await asyncio.sleep(FAST.max_delay)
            await outbox.deliver_due()
        assert (await statuses(db))["flaky"] == ("dead", FAST.max_attempts)

        receiver.mode = "ok"
        bad = next(d for d in await outbox.dead_letters() if d.idempotency_key == "flaky")
        assert await outbox.retry(bad.id)
        await outbox.deliver_due()
        assert (await statuses(db))["flaky"][0] == "delivered"


async def test_two_workers_never_send_one_row_twice(db) -> None:
    with Receiver() as receiver:
        channel = WebhookChannel("webhook", receiver.url, SECRET)
        workers = [Outbox(db, lambda name: channel, FAST) for _ in range(3)]
        for i in range(12):
            await enqueue(db, f"r{i}")
        await asyncio.gather(*(w.deliver_due() for w in workers))
        await asyncio.gather(*(w.deliver_due() for w in workers))
    keys = [r.headers["idempotency-key"] for r in receiver.received]
    assert sorted(keys) == sorted(f"r{i}" for i in range(12))


async def _min_attempts(db: Database, n: int) -> bool:
    return all(attempts >= n for _, attempts in (await statuses(db)).values())


async def _all_status(db: Database, status: str) -> bool:
    return all(s == status for s, _ in (await statuses(db)).values())
