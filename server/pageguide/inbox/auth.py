"""Agents and their logins: Argon2id password hashes, random session tokens stored hashed,
and a CSRF token per login."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from ..db import Database
from ..db import models as m

COOKIE = "pageguide_agent"
LOGIN_HOURS = 12
_hasher = PasswordHasher()  # Argon2id with the library's current defaults
# Verifying against this when the email is unknown keeps timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AgentError(ValueError):
    pass


@dataclass(frozen=True)
class SignedIn:
    agent_id: int
    name: str
    email: str
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_csrf(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


class Agents:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, email: str, name: str, password: str) -> int:
        email = email.strip().lower()
        if "@" not in email:
            raise AgentError(f"not an email address: {email!r}")
        if len(password) < 10:
            raise AgentError("passwords need at least 10 characters")
        async with self.db.session() as s, s.begin():
            if await s.scalar(select(m.Agent.id).where(m.Agent.email == email)) is not None:
                raise AgentError(f"an agent {email} already exists")
            agent = m.Agent(email=email, name=name or email, password_hash=_hasher.hash(password))
            s.add(agent)
            await s.flush()
            return agent.id

    async def remove(self, email: str) -> bool:
        async with self.db.session() as s, s.begin():
            result = await s.execute(delete(m.Agent).where(m.Agent.email == email.strip().lower()))
            return result.rowcount == 1

    async def list(self) -> list[m.Agent]:
        async with self.db.session() as s:
            return list(await s.scalars(select(m.Agent).order_by(m.Agent.email)))

    async def sign_in(self, email: str, password: str) -> str | None:
        """A new session token, or None for a wrong email or password."""
        async with self.db.session() as s:
            agent = await s.scalar(select(m.Agent).where(m.Agent.email == email.strip().lower()))
        try:
            _hasher.verify(agent.password_hash if agent else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if agent is None:
            return None
        token = secrets.token_urlsafe(32)
        async with self.db.session() as s, s.begin():
            s.add(
                m.AgentLogin(
                    token_hash=_digest(token),
                    agent_id=agent.id,
                    csrf=secrets.token_urlsafe(24),
                    expires_at=datetime.now(UTC) + timedelta(hours=LOGIN_HOURS),
                )
            )
        return token

    async def session(self, token: str | None) -> SignedIn | None:
        if not token:
            return None
        async with self.db.session() as s:
            row = await s.execute(
                select(m.AgentLogin, m.Agent)
                .join(m.Agent, m.Agent.id == m.AgentLogin.agent_id)
                .where(m.AgentLogin.token_hash == _digest(token))
            )
            found = row.first()
        if found is None:
            return None
        login, agent = found
        expires = (
            login.expires_at if login.expires_at.tzinfo else login.expires_at.replace(tzinfo=UTC)
        )
        if expires < datetime.now(UTC):
            return None
        return SignedIn(agent.id, agent.name, agent.email, login.csrf)

    async def sign_out(self, token: str) -> None:
        async with self.db.session() as s, s.begin():
            await s.execute(delete(m.AgentLogin).where(m.AgentLogin.token_hash == _digest(token)))
