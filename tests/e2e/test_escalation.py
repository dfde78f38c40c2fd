"""Escalation by design, end to end: real uvicorn, real widget and agent WebSockets, real
channel receivers (HTTP and SMTP) on loopback.

One server for the module with three sites: `demo` (plain), `acme` (enforce_identity, an
identity secret in the environment) and `notify` (webhook + Slack + email channels). Handoffs
are found in the database by the widget's session id, so tests sharing the queue do not
confuse each other's conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import websockets
from sqlalchemy import select
from tests.conftest import KNOWLEDGE, WidgetClient, page
from tests.support.receiver import Receiver
from tests.support.server import LiveServer, run_server
from tests.support.smtp import SmtpServer

from pageguide.channels.webhook import verify
from pageguide.db import Database
from pageguide.db import models as m
from pageguide.inbox.auth import COOKIE, Agents
from pageguide.settings import Settings
from pageguide.sites import Sites

BILLING = page(
    "/app/settings/billing", "Billing — Lumen", ["Billing", "Current plan", "Payment method"]
)
TEAM = page("/app/settings/team", "Team — Lumen", ["Team", "Members", "Invite member"])
DASHBOARD = page("/app/dashboard", "Dashboard — Lumen", ["Dashboard"])

PASSWORD = "correct horse battery staple"
ANA = ("ana@example.com", "Ana Lopez")
BEN = ("ben@example.com", "Ben Okafor")
IDENTITY_SECRET = "acme-identity-secret-" + "x" * 32  # ≥ 32 bytes
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
WARM = "bringing in a person"

# Off-topic questions the demo knowledge cannot answer: low retrieval confidence.
OFF_TOPIC = ["write me a poem about the sea", "what is the capital of Mongolia?"]
# Well covered by the demo knowledge.
ON_TOPIC = "how do I invite a new member to my team?"

SITES = """
[[sites]]
site_key = "demo"
origins = ["http://127.0.0.1:*"]

[[sites]]
site_key = "acme"
origins = ["http://127.0.0.1:*"]
enforce_identity = true

[[sites]]
site_key = "notify"
origins = ["http://127.0.0.1:*"]

[[sites.channels]]
type = "webhook"
url_env = "PG_TEST_WEBHOOK_URL"
secret_env = "PG_TEST_WEBHOOK_SECRET"

[[sites.channels]]
type = "slack"
webhook_url_env = "PG_TEST_SLACK_URL"

[[sites.channels]]
type = "email"
to = ["support@example.com"]
sender = "pageguide@example.com"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
"""


# ---------------------------------------------------------------- the module's world


@dataclass
class World:
    live: LiveServer
    db: Database
    webhook: Receiver
    slack: Receiver
    smtp: SmtpServer


@pytest.fixture(scope="module")
def world_sync(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple]:
    tmp: Path = tmp_path_factory.mktemp("escalation")
    webhook, slack, smtp = Receiver().start(), Receiver().start(), SmtpServer().start()
    config = tmp / "sites.toml"
    config.write_text(SITES.format(smtp_port=smtp.port), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PG_TEST_WEBHOOK_URL", webhook.url)
        mp.setenv("PG_TEST_WEBHOOK_SECRET", WEBHOOK_SECRET)
        mp.setenv("PG_TEST_SLACK_URL", slack.url)
        mp.setenv("PAGEGUIDE_SITE_ACME_IDENTITY_SECRET", IDENTITY_SECRET)
        settings = Settings(
            data=tmp / "data", knowledge=KNOWLEDGE, secret="test-secret", config=config
        )
        sites = Sites.load(config)
        try:
            with run_server(settings, embedder, sites) as live:
                yield live, webhook, slack, smtp
        finally:
            webhook.stop()
            slack.stop()
            smtp.stop()


@pytest.fixture(scope="module")
async def world(world_sync: tuple) -> AsyncIterator[World]:
    live, webhook, slack, smtp = world_sync
    db = Database(live.settings.database_url_or_default())
    agents = Agents(db)
    for email, name in (ANA, BEN):
        await agents.add(email, name, PASSWORD)
    try:
        yield World(live, db, webhook, slack, smtp)
    finally:
        await db.close()


# ---------------------------------------------------------------- helpers


async def recv_quiet(client: WidgetClient, seconds: float = 0.8) -> list[dict[str, Any]]:
    """Every frame the widget gets within `seconds` (usually asserted empty)."""
    frames = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(await client.recv(within=left))
        except TimeoutError:
            break
    return frames


async def widget(world: World, connect: Any, at: dict = BILLING, **hello: Any) -> tuple:
    client = await connect(world.live)
    ready = await client.hello(at, **hello)
    assert ready["type"] == "ready", ready
    return client, ready["session_id"]


async def handoff_row(world: World, session_id: str, status: str | None = None) -> m.HandoffRow:
    """The session's newest handoff (waiting briefly for it, and for `status` if given)."""
    deadline = time.monotonic() + 5
    while True:
        async with world.db.session() as s:
            row = await s.scalar(
                select(m.HandoffRow)
                .where(m.HandoffRow.session_id == session_id)
                .order_by(m.HandoffRow.created_at.desc())
            )
        if row is not None and (status is None or row.status == status):
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"no handoff{f' {status}' if status else ''} for {session_id}")
        await asyncio.sleep(0.05)


async def handoff_count(world: World, session_id: str) -> int:
    async with world.db.session() as s:
        rows = await s.scalars(select(m.HandoffRow).where(m.HandoffRow.session_id == session_id))
        return len(rows.all())


async def escalate(client: WidgetClient, reason: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "escalate"}
    if reason is not None:
        frame["reason"] = reason
    await client.send(frame)
    handoff = await client.recv()
    assert handoff["type"] == "handoff" and handoff["status"] == "queued", handoff
    return handoff


async def ask_raw(client: WidgetClient, text: str) -> str:
    ask_id = uuid.uuid4().hex[:8]
    await client.send({"type": "ask", "id": ask_id, "text": text})
    return ask_id


def assert_warm_queued(frame: dict[str, Any]) -> None:
    assert frame["type"] == "handoff", frame
    assert frame["status"] == "queued"
    assert WARM in frame["message"] and "repeat yourself" in frame["message"], frame["message"]
    assert isinstance(frame["position"], int) and frame["position"] >= 1


# -- agents


@dataclass
class Login:
    token: str
    csrf: str
    set_cookie: str


async def login(live: LiveServer, email: str, password: str = PASSWORD) -> httpx.Response:
    """The sign-in form as a browser does it: GET for the CSRF cookie and field, then POST."""
    async with httpx.AsyncClient(base_url=live.url) as http:
        form = await http.get("/inbox/login")
        assert form.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        return await http.post(
            "/inbox/login", data={"email": email, "password": password, "csrf": csrf.group(1)}
        )


async def sign_in(live: LiveServer, email: str) -> Login:
    response = await login(live, email)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/inbox"
    token = response.cookies.get(COOKIE)
    assert token
    async with httpx.AsyncClient(base_url=live.url, cookies={COOKIE: token}) as http:
        app = await http.get("/inbox")
    assert app.status_code == 200
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', app.text)
    assert csrf is not None
    return Login(token, csrf.group(1), response.headers["set-cookie"])


def agent_ws_url(live: LiveServer) -> str:
    return live.url.replace("http", "ws", 1) + "/agent/ws"


class AgentClient:
    """A real agent WebSocket; frames are buffered so a test can wait for the one it wants."""

    def __init__(self, ws: Any, name: str) -> None:
        self.ws = ws
        self.name = name
        self.pending: list[dict[str, Any]] = []
        self.seen: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def _read(self, within: float) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        self.seen.append(frame)
        return frame

    async def expect(
        self, kind: str, check: Callable[[dict], bool] = lambda f: True, within: float = 10.0
    ) -> dict[str, Any]:
        """The first frame of `kind` passing `check`, taken out of the buffer."""
        for frame in self.pending:
            if frame["type"] == kind and check(frame):
                self.pending.remove(frame)
                return frame
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no {kind!r} frame; saw {self.seen[-10:]}")
            try:
                frame = await self._read(left)
            except TimeoutError:
                continue
            if frame["type"] == kind and check(frame):
                return frame
            self.pending.append(frame)

    async def drain(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Everything that arrives within `seconds`, plus what was buffered."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.pending.append(await self._read(left))
            except TimeoutError:
                break
        frames, self.pending = self.pending, []
        return frames


@contextlib.asynccontextmanager
async def agent(world: World, who: tuple[str, str] = ANA) -> AsyncIterator[AgentClient]:
    session = await sign_in(world.live, who[0])
    ws = await websockets.connect(
        agent_ws_url(world.live),
        origin=world.live.url,
        additional_headers={"Cookie": f"{COOKIE}={session.token}"},
        max_size=None,
    )
    client = AgentClient(ws, who[1])
    try:
        hello = await client.expect("hello")
        assert hello["agent"]["name"] == who[1] and hello["agent"]["email"] == who[0]
        await client.expect("queue")
        yield client
    finally:
        await ws.close()


def for_id(handoff_id: str) -> Callable[[dict], bool]:
    def check(frame: dict) -> bool:
        if "handoff" in frame and isinstance(frame["handoff"], dict):
            return frame["handoff"].get("id") == handoff_id
        return frame.get("handoff_id") == handoff_id

    return check


def kinds(row: m.HandoffRow) -> set[str]:
    return {t["kind"] for t in row.triggers}


# ---------------------------------------------------------------- asking for a person


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "can I speak with a real person please?",
        "agent please",
        "Please connect me to someone from your support team",
    ],
)
async def test_asking_for_a_person_hands_over_warmly_with_a_full_packet(
    world: World, connect: Any, text: str
) -> None:
    async with agent(world) as ana:
        client, session_id = await widget(world, connect, TEAM)
        await client.send({"type": "page", **BILLING})  # a page trail of two pages
        await asyncio.sleep(0.1)
        await ask_raw(client, text)
        handoff = await client.recv()
        assert_warm_queued(handoff)
        assert await recv_quiet(client) == [], "no AI answer once a person is asked for"

        row = await handoff_row(world, session_id)
        assert row.status == "queued" and row.site_key == "demo"
        assert row.path == "/app/settings/billing"
        assert "asked_for_human" in kinds(row)

        summary = (await ana.expect("handoff", for_id(row.id)))["handoff"]
        assert summary["status"] == "queued" and summary["path"] == "/app/settings/billing"
        assert "asked_for_human" in summary["triggers"]
        assert summary["summary"] and summary["position"] == handoff["position"]

        await ana.send({"type": "open", "handoff_id": row.id})
        conversation = await ana.expect("conversation", for_id(row.id))
        packet = conversation["packet"]
        assert packet["conversation_id"] == row.id and packet["site"] == "demo"
        assert [e["text"] for e in packet["transcript"] if e["role"] == "user"] == [text]
        assert [p["path"] for p in packet["page_trail"]] == [
            "/app/settings/team",
            "/app/settings/billing",
        ]
        assert packet["current_page"]["path"] == "/app/settings/billing"
        assert packet["current_page"]["title"] == "Billing — Lumen"
        assert "asked_for_human" in {t["kind"] for t in packet["triggers"]}
        assert packet["summary"]
        assert packet["visitor"]["anonymous_id"] == session_id
        assert packet["account"] is None
        assert text in conversation["markdown"] or "talk" in conversation["markdown"].lower()
        assert conversation["handoff"]["id"] == row.id


async def test_the_widgets_escalate_frame_hands_over(world: World, connect: Any) -> None:
    async with agent(world) as ana:
        client, session_id = await widget(world, connect)
        handoff = await escalate(client, "the button did nothing")
        assert_warm_queued(handoff)
        row = await handoff_row(world, session_id)
        trigger = row.triggers[0]
        assert trigger["kind"] == "asked_for_human" and trigger["source"] == "action"
        assert trigger["evidence"] == "the button did nothing"
        await ana.expect("handoff", for_id(row.id))

        # pressing it again does not open a second handoff: the same one is reported
        again = await escalate(client)
        assert again["position"] == handoff["position"]
        assert await handoff_count(world, session_id) == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I was charged twice this month and I want a refund", "billing_dispute"),
        ("We're switching to Mixpanel, please cancel our subscription", "churn_risk"),
        ("Our lawyer says you must delete all personal data you hold about me", "legal_security"),
    ],
)
async def test_dispute_churn_and_legal_phrasing_escalates(
    world: World, connect: Any, text: str, kind: str
) -> None:
    client, session_id = await widget(world, connect)
    await ask_raw(client, text)
    assert_warm_queued(await client.recv())
    assert await recv_quiet(client, 0.5) == []
    row = await handoff_row(world, session_id)
    assert kind in kinds(row), row.triggers


async def test_an_innocent_cancel_question_is_answered_not_escalated(
    world: World, connect: Any
) -> None:
    client, session_id = await widget(world, connect, DASHBOARD)
    answer = await client.ask("how do I cancel a scheduled report")
    assert answer["text"]
    assert await recv_quiet(client, 0.8) == []
    assert await handoff_count(world, session_id) == 0


async def test_two_low_confidence_answers_in_a_row_hand_over(world: World, connect: Any) -> None:
    client, session_id = await widget(world, connect)
    first = await client.ask(OFF_TOPIC[0])
    assert first["end"]["confidence"] < 0.35 and first["end"]["offer_human"] is True
    assert await recv_quiet(client, 0.8) == [], "one low-confidence answer is not enough"
    second = await client.ask(OFF_TOPIC[1])
    assert second["end"]["confidence"] < 0.35
    assert_warm_queued(await client.recv())
    row = await handoff_row(world, session_id)
    assert "low_confidence" in kinds(row)
    transcript = row.packet["transcript"]
    assert [e["role"] for e in transcript] == ["user", "assistant", "user", "assistant"]


async def test_a_thumbs_down_on_an_answer_hands_over(world: World, connect: Any) -> None:
    client, session_id = await widget(world, connect, TEAM)
    answer = await client.ask(ON_TOPIC)
    assert answer["end"]["confidence"] >= 0.35
    assert await recv_quiet(client, 0.5) == []
    await client.send({"type": "feedback", "message_id": answer["end"]["id"], "rating": "down"})
    assert_warm_queued(await client.recv())
    row = await handoff_row(world, session_id)
    assert "thumbs_down" in kinds(row)
    assert answer["end"]["id"] in {t["evidence"] for t in row.triggers}


# ---------------------------------------------------------------- a person takes over


async def test_the_conversation_goes_to_the_agent_and_back(world: World, connect: Any) -> None:
    async with agent(world) as ana:
        client, session_id = await widget(world, connect)
        await ask_raw(client, "I want to talk to a human")
        assert_warm_queued(await client.recv())
        row = await handoff_row(world, session_id)
        await ana.expect("handoff", for_id(row.id))
        await ana.send({"type": "open", "handoff_id": row.id})
        await ana.expect("conversation", for_id(row.id))

        # the user keeps typing while waiting: it goes to the agent, not to the assistant
        await ask_raw(client, "my card keeps getting declined on the payment form")
        message = await ana.expect("message", for_id(row.id))
        assert message["message"]["role"] == "user"
        assert message["message"]["text"] == "my card keeps getting declined on the payment form"
        assert await recv_quiet(client, 0.8) == [], "the assistant stays quiet"

        await ana.send({"type": "claim", "handoff_id": row.id})
        claimed = await ana.expect("claimed", for_id(row.id))
        assert claimed["agent"] == "Ana Lopez"
        assigned = await client.recv()
        assert assigned["type"] == "handoff" and assigned["status"] == "assigned"
        assert assigned["agent"] == "Ana Lopez" and "Ana Lopez" in assigned["message"]
        summary = (
            await ana.expect(
                "handoff", lambda f: for_id(row.id)(f) and f["handoff"]["status"] == "assigned"
            )
        )["handoff"]
        assert summary["agent"] == "Ana Lopez" and summary["position"] is None

        await ana.send({"type": "reply", "handoff_id": row.id, "text": "Hi! Let me look."})
        said = await client.recv()
        assert said == {"type": "agent_message", "text": "Hi! Let me look.", "agent": "Ana Lopez"}
        echo = await ana.expect("message", for_id(row.id))
        assert echo["message"]["role"] == "agent" and echo["message"]["author"] == "Ana Lopez"

        await ask_raw(client, "thanks, it is a Visa")
        follow_up = await ana.expect("message", for_id(row.id))
        assert follow_up["message"]["role"] == "user"
        assert follow_up["message"]["text"] == "thanks, it is a Visa"
        assert await recv_quiet(client, 0.5) == []

        await ana.send({"type": "hand_back", "handoff_id": row.id})
        back = await client.recv()
        assert back["type"] == "handoff" and back["status"] == "closed"
        assert "assistant" in back["message"].lower()
        assert (await handoff_row(world, session_id, "returned")).status == "returned"

        answer = await client.ask(ON_TOPIC)  # the assistant answers again
        assert answer["end"]["confidence"] >= 0.35 and answer["text"]

        # the thread as the agent reopens it: every message, in order, with the system note
        await ana.send({"type": "open", "handoff_id": row.id})
        thread = (await ana.expect("conversation", for_id(row.id)))["messages"]
        assert [(t["role"], t["text"]) for t in thread][:4] == [
            ("user", "my card keeps getting declined on the payment form"),
            ("agent", "Hi! Let me look."),
            ("user", "thanks, it is a Visa"),
            ("system", "Ana Lopez handed the conversation back to the assistant."),
        ]


async def test_after_a_hand_back_the_old_trigger_does_not_fire_again(
    world: World, connect: Any
) -> None:
    """A thumbs-down brought in a person, who handed back: the next good answer must not open a
    second handoff from that same old thumbs-down."""
    async with agent(world) as ana:
        client, session_id = await widget(world, connect, TEAM)
        answer = await client.ask(ON_TOPIC)
        await client.send({"type": "feedback", "message_id": answer["end"]["id"], "rating": "down"})
        assert_warm_queued(await client.recv())
        row = await handoff_row(world, session_id)
        await ana.send({"type": "claim", "handoff_id": row.id})
        assert (await client.recv())["status"] == "assigned"
        await ana.send({"type": "hand_back", "handoff_id": row.id})
        assert (await client.recv())["status"] == "closed"

        again = await client.ask("how do I change a member's role?")
        assert again["text"]
        extra = await recv_quiet(client, 1.0)
        assert extra == [], f"re-escalated on the stale thumbs-down: {extra}"
        assert await handoff_count(world, session_id) == 1


async def test_a_widget_that_reconnects_is_told_where_things_stand_and_what_it_missed(
    world: World, connect: Any
) -> None:
    async with agent(world) as ana:
        client = await connect(world.live)
        ready = await client.hello(BILLING)
        session_id, ready_token = ready["session_id"], ready["resume_token"]
        await escalate(client)
        row = await handoff_row(world, session_id)
        await ana.send({"type": "claim", "handoff_id": row.id})
        assert (await client.recv())["status"] == "assigned"
        await client.ws.close()  # the user's connection drops
        await asyncio.sleep(0.2)

        await ana.send({"type": "reply", "handoff_id": row.id, "text": "Are you still there?"})
        await ana.expect("message", lambda f: for_id(row.id)(f) and f["message"]["role"] == "agent")

        back = await connect(world.live)
        resumed = await back.hello(BILLING, session_id=session_id, resume_token=ready_token)
        assert resumed["resumed"] is True
        status = await back.recv()
        assert status["type"] == "handoff" and status["status"] == "assigned"
        assert status["agent"] == "Ana Lopez"
        missed = await recv_quiet(back, 1.0)
        assert {"type": "agent_message", "text": "Are you still there?", "agent": "Ana Lopez"} in (
            missed
        ), f"the reply sent while the widget was offline was not delivered: {missed}"

        # and what the user types now still goes to the agent
        await ask_raw(back, "yes, sorry, my wifi dropped")
        said = await ana.expect(
            "message", lambda f: for_id(row.id)(f) and f["message"]["role"] == "user"
        )
        assert said["message"]["text"] == "yes, sorry, my wifi dropped"


async def test_questions_resent_after_a_reconnect_during_a_handoff_get_no_ai_answer(
    world: World, connect: Any
) -> None:
    """The widget keeps every `ask` without an `answer_end` and sends it again after each
    reconnect or page load (widget/src/connection.js). During a handoff no ask is answered, so
    they all come back: none may reach the assistant, nor the agent a second time."""
    async with agent(world) as ana:
        client = await connect(world.live)
        ready = await client.hello(BILLING)
        session_id, token = ready["session_id"], ready["resume_token"]
        asks = [("q-human", "I want to talk to a human"), ("q-more", "it is about invoice 2041")]
        await client.send({"type": "ask", "id": asks[0][0], "text": asks[0][1]})
        assert_warm_queued(await client.recv())
        row = await handoff_row(world, session_id)
        await client.send({"type": "ask", "id": asks[1][0], "text": asks[1][1]})
        await ana.expect("message", lambda f: for_id(row.id)(f) and f["message"]["role"] == "user")
        await client.ws.close()  # the user goes to another page of the app

        back = await connect(world.live)
        resumed = await back.hello(TEAM, session_id=session_id, resume_token=token)
        assert resumed["resumed"] is True
        assert (await back.recv())["status"] == "queued"
        for ask_id, text in asks:
            await back.send({"type": "ask", "id": ask_id, "text": text})
        frames = await recv_quiet(back, 2.0)
        answers = [f for f in frames if f["type"].startswith("answer_")]
        assert answers == [], f"the assistant answered during a handoff: {answers[:2]}"
        again = [
            f for f in await ana.drain(0.5) if f["type"] == "message" and f["handoff_id"] == row.id
        ]
        assert again == [], f"the agent got a resent message twice: {again}"


async def test_a_closed_widget_socket_leaves_the_hub(world: World, connect: Any) -> None:
    """The hub maps a session to its open widget socket; a socket that closed must not stay
    there (a leak of every Connection ever opened, and sends to dead sockets)."""
    hub = world.live.server.config.app.state.services.hub
    client, session_id = await widget(world, connect)
    assert session_id in hub._widgets
    await client.ws.close()
    deadline = time.monotonic() + 5
    while session_id in hub._widgets:
        assert time.monotonic() < deadline, "the closed widget is still registered in the hub"
        await asyncio.sleep(0.05)


async def test_close_with_a_note_and_tags_is_stored(world: World, connect: Any) -> None:
    async with agent(world) as ana:
        client, session_id = await widget(world, connect)
        await escalate(client)
        row = await handoff_row(world, session_id)
        await ana.send({"type": "claim", "handoff_id": row.id})
        await ana.expect("claimed", for_id(row.id))
        assert (await client.recv())["status"] == "assigned"
        await ana.send({"type": "reply", "handoff_id": row.id, "text": "Fixed: card updated."})
        assert (await client.recv())["type"] == "agent_message"

        tags = {
            "issue_type": "billing",
            "root_cause": "ux_confusion",
            "resolution_path": "answered",
        }
        await ana.send(
            {"type": "close", "handoff_id": row.id, "note": "Card re-entered; works.", "tags": tags}
        )
        closed = await client.recv()
        assert closed["type"] == "handoff" and closed["status"] == "closed"
        summary = await ana.expect(
            "handoff", lambda f: for_id(row.id)(f) and f["handoff"]["status"] == "closed"
        )
        assert summary["handoff"]["agent"] == "Ana Lopez"

        stored = await handoff_row(world, session_id, "closed")
        assert stored.resolution_note == "Card re-entered; works."
        assert stored.tags == tags
        assert stored.closed_at is not None and stored.claimed_at is not None
        assert stored.first_response_at is not None
        assert stored.agent_id is not None

        answer = await client.ask(ON_TOPIC)  # the assistant is back
        assert answer["text"]
        await client.send({"type": "csat", "score": 5})


# ---------------------------------------------------------------- agents racing and rules


async def test_two_agents_claiming_at_the_same_instant_one_wins(world: World, connect: Any) -> None:
    async with agent(world, ANA) as ana, agent(world, BEN) as ben:
        winners: list[str] = []
        for _ in range(10):
            client, session_id = await widget(world, connect)
            await escalate(client)
            row = await handoff_row(world, session_id)
            await ana.expect("handoff", for_id(row.id))
            await ben.expect("handoff", for_id(row.id))

            claim = {"type": "claim", "handoff_id": row.id}
            await asyncio.gather(ana.send(claim), ben.send(claim))

            won = await ana.expect("claimed", for_id(row.id))
            assert (await ben.expect("claimed", for_id(row.id)))["agent"] == won["agent"]
            winner, loser = (ana, ben) if won["agent"] == ana.name else (ben, ana)
            error = await loser.expect("error")
            assert error["code"] == "already_claimed", error
            winners.append(winner.name)

            for who in (ana, ben):
                rest = [f for f in await who.drain(0.3) if f["type"] in ("claimed", "error")]
                assert rest == [], f"{who.name} got more: {rest}"
            assigned = await client.recv()
            assert assigned["status"] == "assigned" and assigned["agent"] == winner.name
            assert await recv_quiet(client, 0.2) == [], "the widget is told once"
            stored = await handoff_row(world, session_id, "assigned")
            async with world.db.session() as s:
                name = await s.scalar(select(m.Agent.name).where(m.Agent.id == stored.agent_id))
            assert name == winner.name
        assert len(winners) == 10


async def test_only_the_claiming_agent_may_reply_hand_back_or_close(
    world: World, connect: Any
) -> None:
    async with agent(world, ANA) as ana, agent(world, BEN) as ben:
        client, session_id = await widget(world, connect)
        await escalate(client)
        row = await handoff_row(world, session_id)

        await ben.send({"type": "reply", "handoff_id": row.id, "text": "before anyone claims"})
        assert (await ben.expect("error"))["code"] == "not_yours"

        await ana.send({"type": "claim", "handoff_id": row.id})
        await ana.expect("claimed", for_id(row.id))
        assert (await client.recv())["status"] == "assigned"

        for frame in (
            {"type": "reply", "handoff_id": row.id, "text": "I am not Ana"},
            {"type": "hand_back", "handoff_id": row.id},
            {"type": "close", "handoff_id": row.id, "note": "nope"},
        ):
            await ben.send(frame)
            assert (await ben.expect("error"))["code"] == "not_yours", frame
        assert await recv_quiet(client, 0.5) == [], "nothing of Ben's reached the widget"
        assert (await handoff_row(world, session_id)).status == "assigned"

        await ben.send({"type": "claim", "handoff_id": row.id})
        assert (await ben.expect("error"))["code"] == "already_claimed"
        await ben.send({"type": "open", "handoff_id": "nope"})
        assert (await ben.expect("error"))["code"] == "not_found"
        await ben.send({"type": "reply", "handoff_id": row.id})
        assert (await ben.expect("error"))["code"] == "bad_frame"


# ---------------------------------------------------------------- inbox authentication


async def test_agent_socket_needs_a_login_and_our_own_origin(world: World) -> None:
    live = world.live
    with pytest.raises(websockets.InvalidStatus) as no_cookie:
        await websockets.connect(agent_ws_url(live), origin=live.url)
    assert no_cookie.value.response.status_code == 403

    session = await sign_in(live, ANA[0])
    cookie = {"Cookie": f"{COOKIE}={session.token}"}
    with pytest.raises(websockets.InvalidStatus) as foreign:
        await websockets.connect(
            agent_ws_url(live), origin="https://evil.example", additional_headers=cookie
        )
    assert foreign.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus) as no_origin:
        await websockets.connect(agent_ws_url(live), additional_headers=cookie)
    assert no_origin.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus) as forged:
        await websockets.connect(
            agent_ws_url(live),
            origin=live.url,
            additional_headers={"Cookie": f"{COOKIE}=forged-token"},
        )
    assert forged.value.response.status_code == 403

    ws = await websockets.connect(agent_ws_url(live), origin=live.url, additional_headers=cookie)
    try:
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
    finally:
        await ws.close()


async def test_sign_in_cookie_and_wrong_password(world: World) -> None:
    live = world.live
    wrong = await login(live, ANA[0], "not the password at all")
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    assert COOKIE not in wrong.cookies
    unknown = await login(live, "nobody@example.com")
    assert unknown.status_code == 401 and COOKIE not in unknown.cookies

    # without the sign-in form's CSRF pair, no login even with the right password
    async with httpx.AsyncClient(base_url=live.url) as http:
        bare = await http.post("/inbox/login", data={"email": ANA[0], "password": PASSWORD})
    assert bare.status_code == 401 and COOKIE not in bare.cookies

    session = await sign_in(live, ANA[0])
    flags = session.set_cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags

    async with httpx.AsyncClient(base_url=live.url) as http:
        assert (await http.get("/inbox")).headers["location"] == "/inbox/login"


async def test_logout_needs_csrf_and_ends_the_login(world: World) -> None:
    live = world.live
    session = await sign_in(live, BEN[0])
    async with httpx.AsyncClient(base_url=live.url, cookies={COOKIE: session.token}) as http:
        missing = await http.post("/inbox/logout", data={})
        assert missing.status_code == 403
        wrong = await http.post("/inbox/logout", data={"csrf": "not-the-token"})
        assert wrong.status_code == 403
        assert (await http.get("/inbox")).status_code == 200, "still signed in"

        out = await http.post("/inbox/logout", data={"csrf": session.csrf})
        assert out.status_code == 303 and out.headers["location"] == "/inbox/login"

    async with httpx.AsyncClient(base_url=live.url, cookies={COOKIE: session.token}) as http:
        after = await http.get("/inbox")
        assert after.status_code == 303 and after.headers["location"] == "/inbox/login"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            agent_ws_url(live),
            origin=live.url,
            additional_headers={"Cookie": f"{COOKIE}={session.token}"},
        )
    assert refused.value.response.status_code == 403


# ---------------------------------------------------------------- verified identity


def identity_token(secret: str = IDENTITY_SECRET, exp_in: int = 3600) -> str:
    claims = {
        "sub": "user-42",
        "email": "dana@acme.example",
        "name": "Dana Acme",
        "account": {"id": "acct-7", "name": "Acme Corp", "tier": "enterprise", "mrr": 4200},
        "exp": int(time.time()) + exp_in,
        "iat": int(time.time()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


async def test_a_verified_enterprise_visitor_shows_in_the_packet_and_gets_a_person_sooner(
    world: World, connect: Any
) -> None:
    client, session_id = await widget(
        world, connect, BILLING, site_key="acme", identity_token=identity_token()
    )
    # one low-confidence answer is enough for a verified enterprise account
    answer = await client.ask(OFF_TOPIC[0])
    assert answer["end"]["confidence"] < 0.35
    assert_warm_queued(await client.recv())
    row = await handoff_row(world, session_id)
    assert {"enterprise_account", "low_confidence"} <= kinds(row), row.triggers
    packet = row.packet
    assert packet["account"] == {
        "id": "acct-7",
        "name": "Acme Corp",
        "tier": "enterprise",
        "mrr": 4200.0,
    }
    assert packet["visitor"]["identity"] == "verified"
    assert packet["visitor"]["user"]["id"] == "user-42"
    assert packet["visitor"]["user"]["email"] == "dana@acme.example"
    async with world.db.session() as s:
        session = await s.get(m.Session, session_id)
        assert session is not None and session.identity["user_id"] == "user-42"


@pytest.mark.parametrize("token", ["expired", "forged", "garbage"])
async def test_an_unverifiable_token_is_anonymous_and_account_rules_do_not_fire(
    world: World, connect: Any, token: str
) -> None:
    tokens = {
        "expired": identity_token(exp_in=-3600),
        "forged": identity_token(secret="someone-elses-secret-" + "y" * 32),
        "garbage": "not.a.jwt",
    }
    client, session_id = await widget(
        world, connect, BILLING, site_key="acme", identity_token=tokens[token]
    )
    answer = await client.ask(OFF_TOPIC[0])
    assert answer["end"]["confidence"] < 0.35
    assert await recv_quiet(client, 1.0) == [], "no enterprise shortcut without a verified token"
    assert await handoff_count(world, session_id) == 0

    await escalate(client)
    row = await handoff_row(world, session_id)
    assert "enterprise_account" not in kinds(row)
    assert row.packet["account"] is None
    assert row.packet["visitor"]["user"] is None
    assert row.packet["visitor"]["identity"] in ("anonymous", "unverified")
    assert "acct-7" not in json.dumps(row.packet) and "Acme Corp" not in json.dumps(row.packet)
    async with world.db.session() as s:
        session = await s.get(m.Session, session_id)
        assert session is not None and not session.identity


# ---------------------------------------------------------------- channels


def webhook_for(world: World, handoff_id: str) -> list[Any]:
    key = f"handoff-{handoff_id}-webhook"
    return [r for r in world.webhook.received if r.headers.get("idempotency-key") == key]


def slack_for(world: World, handoff_id: str) -> list[Any]:
    return [r for r in world.slack.received if f"#handoff={handoff_id}".encode() in r.body]


def email_for(world: World, handoff_id: str) -> list[Any]:
    return world.smtp.matching(lambda mail: f"handoff-{handoff_id}-email" in mail["Message-ID"])


async def wait_until(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
    return value


async def outbox_rows(world: World, handoff_id: str) -> dict[str, m.OutboxRow]:
    async with world.db.session() as s:
        rows = await s.scalars(select(m.OutboxRow).where(m.OutboxRow.handoff_id == handoff_id))
        return {row.channel: row for row in rows}


async def test_a_handoff_reaches_webhook_slack_and_email_once_each(
    world: World, connect: Any
) -> None:
    client, session_id = await widget(world, connect, BILLING, site_key="notify")
    await ask_raw(client, "I was double charged, I need to talk to a person")
    assert_warm_queued(await client.recv())
    row = await handoff_row(world, session_id)
    inbox_url = f"{world.live.url}/inbox#handoff={row.id}"

    await wait_until(lambda: webhook_for(world, row.id), 10, "the webhook")
    await wait_until(lambda: slack_for(world, row.id), 10, "the Slack message")
    await wait_until(lambda: email_for(world, row.id), 10, "the email")
    await asyncio.sleep(1.5)  # no second delivery follows
    assert len(webhook_for(world, row.id)) == 1
    assert len(slack_for(world, row.id)) == 1
    assert len(email_for(world, row.id)) == 1

    hook = webhook_for(world, row.id)[0]
    assert verify(WEBHOOK_SECRET, hook.headers["pageguide-signature"], hook.body)
    assert not verify("another-secret", hook.headers["pageguide-signature"], hook.body)
    assert not verify(WEBHOOK_SECRET, hook.headers["pageguide-signature"], hook.body + b" ")
    assert hook.headers["content-type"] == "application/json"
    body = json.loads(hook.body)
    assert body["event"] == "handoff.created" and body["inbox_url"] == inbox_url
    assert body["handoff"]["conversation_id"] == row.id
    assert body["handoff"]["current_page"]["path"] == "/app/settings/billing"
    assert body["handoff"]["transcript"][0]["text"] == (
        "I was double charged, I need to talk to a person"
    )

    slack = json.loads(slack_for(world, row.id)[0].body)
    assert slack["text"] and isinstance(slack["blocks"], list) and slack["blocks"]
    buttons = [
        element
        for block in slack["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]
    assert [b["url"] for b in buttons] == [inbox_url]

    mail = email_for(world, row.id)[0]
    assert mail["Message-ID"] == f"<handoff-{row.id}-email@pageguide>"
    assert mail["X-Pageguide-Idempotency-Key"] == f"handoff-{row.id}-email"
    assert mail.rcpt_tos == ["support@example.com"]
    assert mail["From"] == "pageguide@example.com" and mail["Subject"]
    assert "I was double charged, I need to talk to a person" in mail.text
    assert "/app/settings/billing" in mail.text and inbox_url in mail.text

    rows = await outbox_rows(world, row.id)
    assert set(rows) == {"notify:webhook", "notify:slack", "notify:email"}
    assert {r.status for r in rows.values()} == {"delivered"}
    assert {r.attempts for r in rows.values()} == {1}


async def test_a_receiver_that_is_down_gets_the_handoff_when_it_is_back(
    world: World, connect: Any
) -> None:
    world.webhook.stop()  # down: connection refused
    world.slack.mode = "error"  # up, but answering 500
    try:
        client, session_id = await widget(world, connect, BILLING, site_key="notify")
        await escalate(client)
        row = await handoff_row(world, session_id)

        async def failed_twice() -> bool:
            rows = await outbox_rows(world, row.id)
            hook, slack = rows["notify:webhook"], rows["notify:slack"]
            return hook.attempts >= 2 and slack.attempts >= 2 and bool(hook.last_error)

        deadline = time.monotonic() + 20
        while not await failed_twice():  # backoff: ~1-2 s, then ~2-4 s
            assert time.monotonic() < deadline, "the outbox did not retry"
            await asyncio.sleep(0.2)
        rows = await outbox_rows(world, row.id)
        assert rows["notify:webhook"].status == "pending"
        assert "HTTP 500" in rows["notify:slack"].last_error
        assert rows["notify:email"].status == "delivered"
        assert webhook_for(world, row.id) == [] and slack_for(world, row.id) == []
    finally:
        world.webhook.start()  # the same port
        world.slack.mode = "ok"

    await wait_until(lambda: webhook_for(world, row.id), 30, "the retried webhook")
    await wait_until(lambda: slack_for(world, row.id), 30, "the retried Slack message")
    await asyncio.sleep(2.0)
    assert len(webhook_for(world, row.id)) == 1, "no duplicates"
    assert len(slack_for(world, row.id)) == 1
    assert len(email_for(world, row.id)) == 1
    hook = webhook_for(world, row.id)[0]
    assert verify(WEBHOOK_SECRET, hook.headers["pageguide-signature"], hook.body)
    rows = await outbox_rows(world, row.id)
    assert {r.status for r in rows.values()} == {"delivered"}
    assert rows["notify:webhook"].attempts >= 2 and rows["notify:slack"].attempts >= 2
