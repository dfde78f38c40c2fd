"""Identity verification: who the visitor is, only as far as the host's backend vouches for it.

The host's server signs the user and account attributes as a JWT (HS256, a per-site secret,
`exp` required); the widget passes it in `hello.identity_token`; `verify_identity` checks it.
Anything the browser states without such a token is a claim, not an identity: it never reaches
account rules or routing, and with `enforce_identity` it is dropped altogether. docs/identity.md
has the host-side signing code. Pure: no I/O besides reading the environment for secrets.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from jwt.types import Options

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
DEFAULT_LEEWAY_S = 60  # clock skew between the host's servers and ours
DEFAULT_MAX_LIFETIME_S = 24 * 3600  # a leaked token stays usable at most this long
_REGISTERED = {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
_MAPPED = {"email", "name", "account"}
MAX_ATTRIBUTES = 20


class IdentityFailure(enum.StrEnum):
    """Why a token was not accepted (logged, and shown to agents as 'unverified: …')."""

    MISSING = "missing"  # no token sent
    NO_SECRET = "no_secret"  # the site has no identity secret configured
    MALFORMED = "malformed"  # not a JWT, or claims of the wrong type
    WRONG_ALGORITHM = "wrong_algorithm"  # anything but HS256, `none` included
    BAD_SIGNATURE = "bad_signature"  # tampered, or signed with another secret
    MISSING_EXP = "missing_exp"
    EXPIRED = "expired"
    TOO_FAR_IN_FUTURE = "too_far_in_future"  # exp beyond the allowed lifetime
    NOT_YET_VALID = "not_yet_valid"  # nbf or iat in the future
    MISSING_SUBJECT = "missing_subject"  # no `sub`: the token identifies nobody


class IdentityError(Exception):
    def __init__(self, reason: IdentityFailure, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


Scalar = str | int | float | bool
ShortStr = Annotated[str, Field(max_length=300)]


class VerifiedAccount(BaseModel):
    """The account (company, workspace) the user belongs to, as the host signed it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: ShortStr | None = None
    name: ShortStr | None = None
    tier: Annotated[str, Field(max_length=100)] | None = None
    mrr: Annotated[float, Field(ge=0)] | None = None


class VerifiedIdentity(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: Annotated[str, Field(min_length=1, max_length=300)]
    email: Annotated[str, Field(max_length=320)] | None = None
    name: ShortStr | None = None
    account: VerifiedAccount | None = None
    attributes: dict[str, Scalar] = {}  # other scalar claims, for the agent to read
    issued_at: datetime | None = None
    expires_at: datetime


def _epoch(now: datetime | float | None) -> float:
    if now is None:
        return datetime.now(UTC).timestamp()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IdentityError(IdentityFailure.MALFORMED, f"'{name}' must be a number")
    return float(value)


def _check_secret(secret: str) -> bytes:
    key = secret.encode()
    if len(key) < MIN_SECRET_BYTES:
        # A configuration error, not a bad token: fail loudly.
        raise ValueError(f"identity secret must be at least {MIN_SECRET_BYTES} bytes")
    return key


def _decode_signed(token: str, secrets: Sequence[str]) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise IdentityError(IdentityFailure.MALFORMED, str(exc)) from None
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise IdentityError(IdentityFailure.MALFORMED, "the header names no algorithm")
    if alg != ALGORITHM:
        # Checked before any key is used: `none` and algorithm confusion end here.
        raise IdentityError(IdentityFailure.WRONG_ALGORITHM, f"alg {alg!r}, expected HS256")
    options: Options = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
    }
    for secret in secrets:  # several during a secret rotation
        try:
            claims = jwt.decode(
                token, _check_secret(secret), algorithms=[ALGORITHM], options=options
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.DecodeError as exc:
            raise IdentityError(IdentityFailure.MALFORMED, str(exc)) from None
        if not isinstance(claims, dict):
            raise IdentityError(IdentityFailure.MALFORMED, "claims must be an object")
        return claims
    raise IdentityError(IdentityFailure.BAD_SIGNATURE, "signature does not match")


def _check_times(claims: Mapping[str, Any], now: float, leeway: float, max_life: float) -> None:
    exp = _number(claims, "exp")
    if exp is None:
        raise IdentityError(IdentityFailure.MISSING_EXP, "'exp' is required")
    if exp < now - leeway:
        raise IdentityError(IdentityFailure.EXPIRED, f"expired {int(now - exp)} s ago")
    if exp > now + max_life + leeway:
        raise IdentityError(
            IdentityFailure.TOO_FAR_IN_FUTURE, f"exp more than {int(max_life)} s ahead"
        )
    for name in ("nbf", "iat"):
        value = _number(claims, name)
        if value is not None and value > now + leeway:
            raise IdentityError(IdentityFailure.NOT_YET_VALID, f"'{name}' is in the future")


def _identity(claims: Mapping[str, Any]) -> VerifiedIdentity:
    sub = claims.get("sub")
    if isinstance(sub, int) and not isinstance(sub, bool):
        sub = str(sub)
    if not isinstance(sub, str) or not sub.strip():
        raise IdentityError(IdentityFailure.MISSING_SUBJECT, "'sub' must name the user")
    account = claims.get("account")
    if account is not None and not isinstance(account, dict):
        raise IdentityError(IdentityFailure.MALFORMED, "'account' must be an object")
    if isinstance(account, dict) and isinstance(account.get("id"), int):
        account = {**account, "id": str(account["id"])}
    extra = {
        k: v
        for k, v in claims.items()
        if k not in _REGISTERED | _MAPPED and isinstance(v, Scalar) and len(k) <= 64
    }
    attributes = {
        k: v[:300] if isinstance(v, str) else v for k, v in sorted(extra.items())[:MAX_ATTRIBUTES]
    }
    iat = _number(claims, "iat")
    try:
        return VerifiedIdentity(
            user_id=sub,
            email=claims.get("email"),
            name=claims.get("name"),
            account=VerifiedAccount.model_validate(account) if account else None,
            attributes=attributes,
            issued_at=datetime.fromtimestamp(iat, UTC) if iat is not None else None,
            expires_at=datetime.fromtimestamp(_number(claims, "exp") or 0, UTC),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise IdentityError(IdentityFailure.MALFORMED, f"{where}: {first['msg']}") from None


def decode_identity(
    token: str | None,
    secret: str | Sequence[str] | None,
    now: datetime | float | None = None,
    *,
    leeway_s: float = DEFAULT_LEEWAY_S,
    max_lifetime_s: float = DEFAULT_MAX_LIFETIME_S,
) -> VerifiedIdentity:
    """Verify an identity token or raise `IdentityError` with the reason.

    The signature is checked before any claim is read; `secret` may list several secrets
    (the new one first) while a site rotates. A secret under 32 bytes raises ValueError.
    """
    if not token:
        raise IdentityError(IdentityFailure.MISSING)
    secrets = [secret] if isinstance(secret, str) else list(secret or ())
    secrets = [s for s in secrets if s]
    if not secrets:
        raise IdentityError(IdentityFailure.NO_SECRET, "the site has no identity secret")
    claims = _decode_signed(token, secrets)
    _check_times(claims, _epoch(now), leeway_s, max_lifetime_s)
    return _identity(claims)


def verify_identity(
    token: str | None,
    secret: str | Sequence[str] | None,
    now: datetime | float | None = None,
    *,
    leeway_s: float = DEFAULT_LEEWAY_S,
    max_lifetime_s: float = DEFAULT_MAX_LIFETIME_S,
) -> VerifiedIdentity | None:
    """The verified identity, or None; `decode_identity` says why not."""
    try:
        return decode_identity(token, secret, now, leeway_s=leeway_s, max_lifetime_s=max_lifetime_s)
    except IdentityError:
        return None


# ---------------------------------------------------------------- site policy


class VisitorIdentity(BaseModel):
    """What the rest of the server may know about a visitor.

    `account` and `privileged` read only the verified identity. `claimed` holds unsigned
    traits from the page, for display with an 'unverified' label, and is always empty when the
    site enforces identity (the failure mode of chatwoot/chatwoot#9493: enforcement on, yet
    unverified visitors' data still shown and trusted).
    """

    model_config = ConfigDict(frozen=True)

    verified: VerifiedIdentity | None = None
    failure: IdentityFailure | None = None
    failure_detail: str = ""
    claimed: dict[str, Scalar] = {}

    @property
    def account(self) -> VerifiedAccount | None:
        return self.verified.account if self.verified is not None else None

    @property
    def privileged(self) -> bool:
        """May account rules and account-based routing apply? Only with a verified token."""
        return self.verified is not None


def resolve_identity(
    token: str | None,
    secret: str | Sequence[str] | None,
    *,
    enforce: bool,
    claimed: Mapping[str, Any] | None = None,
    now: datetime | float | None = None,
    leeway_s: float = DEFAULT_LEEWAY_S,
    max_lifetime_s: float = DEFAULT_MAX_LIFETIME_S,
) -> VisitorIdentity:
    """Apply a site's policy to what a `hello` brought: a token and perhaps unsigned traits."""
    try:
        verified = decode_identity(
            token, secret, now, leeway_s=leeway_s, max_lifetime_s=max_lifetime_s
        )
    except IdentityError as exc:
        kept: dict[str, Scalar] = {}
        if not enforce and claimed:
            kept = {
                k: v
                for k, v in list(claimed.items())[:MAX_ATTRIBUTES]
                if isinstance(k, str) and isinstance(v, Scalar)
            }
        return VisitorIdentity(failure=exc.reason, failure_detail=exc.detail, claimed=kept)
    return VisitorIdentity(verified=verified)  # the signed identity replaces any claim


def secret_env_var(site_key: str) -> str:
    """`PAGEGUIDE_SITE_<KEY>_IDENTITY_SECRET`, KEY the site key in capitals, `_` for the rest."""
    key = re.sub(r"[^A-Z0-9]+", "_", site_key.upper()).strip("_")
    return f"PAGEGUIDE_SITE_{key}_IDENTITY_SECRET"


def secrets_from_env(site_key: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """The site's identity secrets: the current one, then `…_PREVIOUS` during a rotation."""
    env = os.environ if environ is None else environ
    name = secret_env_var(site_key)
    found = [env.get(name, "").strip(), env.get(f"{name}_PREVIOUS", "").strip()]
    secrets = [s for s in found if s]
    for s in secrets:
        _check_secret(s)
    return secrets
