"""The durable outbox: handoff deliveries are rows first, sends second.

A delivery row is written in the same transaction as the handoff it carries. A worker leases
due rows (so several server processes never send one row at once), delivers through the
channel, and on failure schedules a retry with exponential backoff and jitter. Every attempt
carries the same idempotency key, so a receiver that saw a send whose answer was lost can
drop the duplicate. After `max_attempts` (or a permanent error) the row is dead-lettered and
shows in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update

from ..channels.base import Channel, Delivery, DeliveryError
from ..db import Database
from ..db import models as m

log = logging.getLogger("pageguide.outbox")


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 10
    base_delay: float = 2.0  # seconds before the second attempt; doubles each time
    max_delay: float = 300.0
    lease: float = 60.0  # a worker that dies mid-send frees its row after this long
    poll: float = 1.0  # look for due rows this often even without a wake-up
    batch: int = 20


def backoff(
    attempt: int, settings: OutboxSettings, rand: Callable[[], float] = random.random
) -> float:
    """Delay after `attempt` failed tries: exponential, capped, with full jitter in its top half."""
    ceiling = min(settings.max_delay, settings.base_delay * 2 ** (attempt - 1))
    return ceiling / 2 + rand() * ceiling / 2


def now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    def __init__(
        self,
        db: Database,
        channels: Callable[[str], Channel | None],
        settings: OutboxSettings | None = None,
    ) -> None:
        self.db = db
        self.channels = channels  # channel name -> channel (None if no longer configured)
        self.settings = settings or OutboxSettings()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    # -- the loop

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("outbox pass failed")
                sent = 0
            if sent:
                continue  # more may be due right away
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.poll)
            except TimeoutError:
                pass

    async def deliver_due(self) -> int:
        """Lease and deliver the rows that are due; returns how many were attempted."""
        rows = await self._lease()
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _lease(self) -> list[m.OutboxRow]:
        t = now()
        until = t + timedelta(seconds=self.settings.lease)
        async with self.db.session() as s, s.begin():
            due = (
                await s.scalars(
                    select(m.OutboxRow.id)
                    .where(
                        m.OutboxRow.status == "pending",
                        m.OutboxRow.next_attempt_at <= t,
                        or_(m.OutboxRow.leased_until.is_(None), m.OutboxRow.leased_until < t),
                    )
                    .order_by(m.OutboxRow.next_attempt_at)
                    .limit(self.settings.batch)
                )
            ).all()
        leased = []
        for row_id in due:
            # A conditional update is the lease: of two workers, one sees rowcount 1.
            async with self.db.session() as s, s.begin():
                result = await s.execute(
                    update(m.OutboxRow)
                    .where(
                        and_(
                            m.OutboxRow.id == row_id,
                            m.OutboxRow.status == "pending",
                            or_(m.OutboxRow.leased_until.is_(None), m.OutboxRow.leased_until < t),
                        )
                    )
                    .values(leased_until=until, attempts=m.OutboxRow.attempts + 1)
                )
                if result.rowcount == 1:
                    leased.append(await s.get(m.OutboxRow, row_id))
        return [row for row in leased if row is not None]

    async def _deliver(self, row: m.OutboxRow) -> None:
        channel = self.channels(row.channel)
        values: dict[str, object]
        if channel is None:
            values = {"status": "dead", "last_error": f"channel {row.channel!r} is not configured"}
        else:
            try:
                await channel.deliver(Delivery(row.idempotency_key, row.body, row.attempts))
                values = {"status": "delivered", "delivered_at": now(), "last_error": ""}
                log.info(
                    "handoff delivered", extra={"channel": row.channel, "attempt": row.attempts}
                )
            except DeliveryError as exc:
                values = self._failed(row, str(exc), exc.retryable)
            except Exception as exc:  # a channel bug must not kill the worker
                log.exception("channel crashed", extra={"channel": row.channel})
                values = self._failed(row, f"{type(exc).__name__}: {exc}", True)
        async with self.db.session() as s, s.begin():
            await s.execute(
                update(m.OutboxRow)
                .where(m.OutboxRow.id == row.id)
                .values(leased_until=None, **values)
            )

    def _failed(self, row: m.OutboxRow, error: str, retryable: bool) -> dict[str, object]:
        if not retryable or row.attempts >= self.settings.max_attempts:
            log.warning(
                "delivery dead-lettered",
                extra={"channel": row.channel, "attempts": row.attempts, "error": error},
            )
            return {"status": "dead", "last_error": error}
        delay = backoff(row.attempts, self.settings)
        log.info(
            "delivery failed, will retry",
            extra={"channel": row.channel, "attempt": row.attempts, "in_s": round(delay, 1)},
        )
        return {"last_error": error, "next_attempt_at": now() + timedelta(seconds=delay)}

    # -- reads for the inbox

    async def dead_letters(self, limit: int = 100) -> list[m.OutboxRow]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(m.OutboxRow)
                .where(m.OutboxRow.status == "dead")
                .order_by(m.OutboxRow.created_at.desc())
                .limit(limit)
            )
            return list(rows)

    async def retry(self, row_id: int) -> bool:
        """Send a dead-lettered delivery again (from the inbox)."""
        async with self.db.session() as s, s.begin():
            result = await s.execute(
                update(m.OutboxRow)
                .where(m.OutboxRow.id == row_id, m.OutboxRow.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=now(), leased_until=None)
            )
        self.wake()
        return result.rowcount == 1
