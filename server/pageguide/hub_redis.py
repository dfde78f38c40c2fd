"""The hub across several server processes: Redis pub/sub carries a frame to the process whose
socket holds the session, and agent frames to the agents of every process.

Channels, under a prefix (`pageguide:<redis db number>:`, because pub/sub ignores the db number
and two deployments sharing a Redis must not hear each other):

- `agents`: frames for every agent. Every process subscribes.
- `handoff:<id>`: frames for the agents watching one handoff. A process subscribes while one of
  its agents looks at that handoff, so "is anybody watching" is PUBSUB NUMSUB, and a process
  that dies takes its subscriptions with it (a set of watchers in Redis would need expiry and
  refreshing to forget a dead process).
- `widget`: frames for a user's widget. Every process subscribes and answers on the sender's
  `reply:<process>` channel whether it delivered the frame to a socket it holds. PUBLISH says
  how many processes heard it, so the sender knows how many answers to wait for: "not
  delivered" comes back as soon as every process has said no, and a frame counts as delivered
  only when the holder's socket took it. A widget joining or leaving is then a local matter
  (no subscription per session, nothing to race with the stored-message resend on resume).

Each process has one subscriber connection. Frames for sockets this process holds never touch
Redis, so a Redis outage leaves local delivery whole; while the subscriber is down (reconnecting
with backoff) the hub acts as a single process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .hub import Hub
from .protocol import SERVER_FRAMES, Frame

log = logging.getLogger("pageguide.hub")

REPLY_TIMEOUT = 3.0  # a holder that has not answered by then is treated as gone
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0  # seconds between subscriber reconnects
STARTUP_WAIT = 3.0  # start() waits this long for the subscription, then serves anyway


@dataclass
class _Replies:
    """What the processes said about one widget frame."""

    count: int = 0
    delivered: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def settle(self, expected: int) -> None:
        while not (self.delivered or self.count >= expected):
            self.arrived.clear()
            await self.arrived.wait()


class RedisHub(Hub):
    def __init__(self, url: str, prefix: str | None = None) -> None:
        super().__init__()
        # One quick retry covers a pooled connection left stale by a Redis restart; a Redis
        # that stays down fails fast, and the subscriber loop does the patient reconnecting.
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=2.0,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 1),
        )
        self._where = _safe_address(url)
        db = self._redis.connection_pool.connection_kwargs.get("db", 0)
        self._prefix = prefix if prefix is not None else f"pageguide:{db}:"
        self._me = secrets.token_hex(8)  # this process on the bus
        self._pubsub: PubSub | None = None  # set while subscribed
        self._handoff_channels: set[str] = set()  # handoff channels subscribed right now
        self._subscribing = asyncio.Lock()
        self._pending: dict[str, _Replies] = {}  # widget frame id -> its replies
        self._listener: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._listening = asyncio.Event()

    def _channel(self, name: str) -> str:
        return self._prefix + name

    @property
    def connected(self) -> bool:
        return self._pubsub is not None

    # -- lifecycle

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_forever(), name="hub-redis")
        try:
            await asyncio.wait_for(self._listening.wait(), STARTUP_WAIT)
            log.info("hub routing through redis", extra={"redis": self._where})
        except TimeoutError:
            log.warning(
                "redis not reachable at start; serving this process's sockets only",
                extra={"redis": self._where},
            )

    async def stop(self) -> None:
        tasks = [t for t in (self._listener, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._redis.aclose()

    # -- widgets

    async def to_widget(self, session_id: str, frame: Frame) -> bool:
        if self.holds(session_id):
            return await self._to_widget_here(session_id, frame)
        if not self.connected:
            return False  # no one could answer us: not delivered, so stored and resent
        ask = secrets.token_hex(8)
        replies = self._pending[ask] = _Replies()
        message = {
            "from": self._me,
            "ask": ask,
            "session": session_id,
            "frame": frame.model_dump(mode="json"),
        }
        try:
            heard = await self._redis.publish(self._channel("widget"), json.dumps(message))
            await asyncio.wait_for(replies.settle(heard), REPLY_TIMEOUT)
        except RedisError as exc:
            log.warning("redis publish failed", extra={"redis": self._where, "error": str(exc)})
        except TimeoutError:
            log.warning("no reply about a widget frame", extra={"session": session_id})
        finally:
            del self._pending[ask]
        return replies.delivered

    async def _widget_frame(self, message: dict[str, Any]) -> None:
        data = message["frame"]
        frame = SERVER_FRAMES[data["type"]].model_validate(data)
        delivered = self.holds(message["session"]) and await self._to_widget_here(
            message["session"], frame
        )
        reply = {"ask": message["ask"], "delivered": delivered}
        with contextlib.suppress(RedisError):  # unanswered, the sender times out: undelivered
            await self._redis.publish(self._channel(f"reply:{message['from']}"), json.dumps(reply))

    def _reply(self, message: dict[str, Any]) -> None:
        replies = self._pending.get(message["ask"])
        if replies is not None:
            replies.count += 1
            replies.delivered = replies.delivered or bool(message["delivered"])
            replies.arrived.set()

    # -- agents

    def agent_offline(self, key: int) -> None:
        super().agent_offline(key)
        self._resubscribe()

    def watch(self, key: int, handoff_id: str) -> None:
        super().watch(key, handoff_id)
        self._resubscribe()

    async def watched(self, handoff_id: str) -> bool:
        if await super().watched(handoff_id):
            return True
        if not self.connected:
            return False
        try:
            [(_, watchers)] = await self._redis.pubsub_numsub(
                self._channel(f"handoff:{handoff_id}")
            )
        except RedisError:
            return False
        return int(watchers) > 0

    async def to_agents(self, frame: dict[str, Any], handoff_id: str | None = None) -> None:
        plain = json.loads(json.dumps(frame, default=str))
        await self._to_agents_here(plain, handoff_id)  # first: needs no Redis
        if not self.connected:
            return
        channel = "agents" if handoff_id is None else f"handoff:{handoff_id}"
        try:
            await self._redis.publish(
                self._channel(channel), json.dumps({"from": self._me, "frame": plain})
            )
        except RedisError as exc:
            log.warning("redis publish failed", extra={"redis": self._where, "error": str(exc)})

    # -- the subscriber

    def _resubscribe(self) -> None:
        task = asyncio.get_running_loop().create_task(self._sync_handoff_channels())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_handoff_channels(self) -> None:
        """Subscribe to the handoffs this process's agents watch, and only those."""
        async with self._subscribing:
            pubsub = self._pubsub
            if pubsub is None:
                return  # the reconnect subscribes to whatever is watched by then
            wanted = {self._channel(f"handoff:{h}") for h in self.watched_here()}
            try:
                if added := wanted - self._handoff_channels:
                    await pubsub.subscribe(*added)
                if dropped := self._handoff_channels - wanted:
                    await pubsub.unsubscribe(*dropped)
            except RedisError:
                return  # the listener sees the broken connection and starts over
            self._handoff_channels = wanted

    async def _listen_forever(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            pubsub = self._redis.pubsub()
            try:
                async with self._subscribing:
                    wanted = {self._channel(f"handoff:{h}") for h in self.watched_here()}
                    fixed = [self._channel(c) for c in ("agents", "widget", f"reply:{self._me}")]
                    await pubsub.subscribe(*fixed, *wanted)
                    self._handoff_channels = wanted
                reconnected, delay = delay > BACKOFF_FIRST, BACKOFF_FIRST
                await self._listen(pubsub, fixed[-1], reconnected)
            except (RedisError, OSError) as exc:
                log.warning(
                    "redis subscriber down; reconnecting",
                    extra={"redis": self._where, "in_s": delay, "error": str(exc)},
                )
            except Exception:  # whatever it was, routing must come back
                log.exception("redis subscriber failed; reconnecting", extra={"in_s": delay})
            finally:
                self._pubsub = None
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def _listen(self, pubsub: PubSub, last_fixed: str, reconnected: bool) -> None:
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is None:
                continue
            channel = message["channel"].decode()
            if message["type"] == "subscribe" and channel == last_fixed and self._pubsub is None:
                self._pubsub = pubsub  # every fixed channel is live: we can route
                self._listening.set()
                self._resubscribe()  # for an agent who opened a handoff while we connected
                if reconnected:
                    log.info("redis subscriber back", extra={"redis": self._where})
            if message["type"] != "message":
                continue
            try:
                await self._dispatch(channel.removeprefix(self._prefix), message["data"])
            except Exception:
                log.exception("bad hub message", extra={"channel": channel})

    async def _dispatch(self, channel: str, data: bytes) -> None:
        # In the listener itself, one at a time: a conversation's frames keep their order.
        message = json.loads(data)
        if channel == "widget":
            await self._widget_frame(message)
        elif channel.startswith("reply:"):
            self._reply(message)
        elif message["from"] != self._me:  # this process delivered its own already
            handoff_id = channel.removeprefix("handoff:") if channel != "agents" else None
            await self._to_agents_here(message["frame"], handoff_id)


def _safe_address(url: str) -> str:
    """host:port/db for the logs, without the password a URL may carry."""
    parts = urlsplit(url)
    if not parts.hostname:  # unix:///path/to/redis.sock
        return parts.path
    return f"{parts.hostname}:{parts.port or 6379}{parts.path}"
