"""Identity tokens: only what the host's backend signed becomes an identity."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from pageguide.identity import (
    IdentityError,
    IdentityFailure,
    decode_identity,
    resolve_identity,
    secret_env_var,
    secrets_from_env,
    verify_identity,
)

SECRET = "s3cret-for-tests-0123456789abcdef"  # 33 bytes: HS256 wants at least 32
OTHER = "another-secret-0123456789abcdefgh"
NOW = 1_800_000_000


def token(claims: dict[str, Any] | None = None, secret: str = SECRET, **headers: Any) -> str:
    body = {"sub": "u_42", "exp": NOW + 600, "iat": NOW, **(claims or {})}
    return jwt.encode(body, secret, algorithm="HS256", headers=headers or None)


def reason(tok: str | None, secret: str | list[str] | None = SECRET, now: float = NOW) -> str:
    with pytest.raises(IdentityError) as caught:
        decode_identity(tok, secret, now)
    return caught.value.reason.value


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_valid_token_maps_claims_to_user_and_account() -> None:
    tok = token(
        {
            "email": "ada@acme.test",
            "name": "Ada",
            "account": {"id": 7, "name": "Acme", "tier": "enterprise", "mrr": 4200},
            "role": "admin",
            "nested": {"ignored": True},
        }
    )
    who = verify_identity(tok, SECRET, NOW)
    assert who is not None
    assert (who.user_id, who.email, who.name) == ("u_42", "ada@acme.test", "Ada")
    assert who.account is not None
    assert (who.account.id, who.account.name, who.account.tier, who.account.mrr) == (
        "7",
        "Acme",
        "enterprise",
        4200.0,
    )
    assert who.attributes == {"role": "admin"}  # scalars only: objects are not displayed
    assert who.expires_at.timestamp() == NOW + 600


def test_expired_tokens_are_refused_after_the_leeway() -> None:
    tok = token({"exp": NOW - 30})
    assert verify_identity(tok, SECRET, NOW) is not None  # within the 60 s clock leeway
    assert reason(token({"exp": NOW - 61})) == "expired"


def test_a_tampered_payload_fails_the_signature() -> None:
    header, _, signature = token().split(".")
    forged = b64(
        {"sub": "someone_else", "exp": NOW + 600, "account": {"tier": "enterprise", "mrr": 10**6}}
    )
    assert reason(f"{header}.{forged}.{signature}") == "bad_signature"


def test_alg_none_is_refused_before_any_key_is_used() -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': 'x', 'exp': NOW + 60})}."
    assert reason(unsigned) == "wrong_algorithm"
    assert (
        reason(
            unsigned.replace(b64({"alg": "none", "typ": "JWT"}), b64({"alg": "NONE", "typ": "JWT"}))
        )
        == "wrong_algorithm"
    )


def test_other_algorithms_are_refused() -> None:
    hs512 = jwt.encode({"sub": "u", "exp": NOW + 60}, SECRET * 2, algorithm="HS512")
    assert reason(hs512) == "wrong_algorithm"


def test_the_wrong_secret_fails_the_signature() -> None:
    assert reason(token(secret=OTHER)) == "bad_signature"


def test_rotation_accepts_the_previous_secret_too() -> None:
    assert verify_identity(token(secret=OTHER), [SECRET, OTHER], NOW) is not None


def test_exp_is_required() -> None:
    tok = jwt.encode({"sub": "u_42", "iat": NOW}, SECRET, algorithm="HS256")
    assert reason(tok) == "missing_exp"


def test_exp_too_far_ahead_is_refused() -> None:
    assert reason(token({"exp": NOW + 2 * 24 * 3600})) == "too_far_in_future"
    assert verify_identity(token({"exp": NOW + 3600}), SECRET, NOW) is not None


def test_a_token_issued_in_the_future_is_not_yet_valid() -> None:
    assert reason(token({"iat": NOW + 600, "exp": NOW + 900})) == "not_yet_valid"
    assert reason(token({"nbf": NOW + 600})) == "not_yet_valid"


@pytest.mark.parametrize("bad", ["", "not a jwt", "a.b.c", "e30.e30.e30"])
def test_garbage_is_malformed_or_missing(bad: str) -> None:
    assert reason(bad) in {"missing", "malformed"}


def test_wrongly_typed_claims_are_malformed() -> None:
    assert reason(token({"exp": "tomorrow"})) == "malformed"
    assert reason(token({"account": {"mrr": "lots"}})) == "malformed"
    assert reason(token({"account": ["acme"]})) == "malformed"


def test_a_token_without_subject_identifies_nobody() -> None:
    tok = jwt.encode({"exp": NOW + 60}, SECRET, algorithm="HS256")
    assert reason(tok) == "missing_subject"


def test_no_secret_configured() -> None:
    assert reason(token(), None) == "no_secret"
    assert reason(token(), []) == "no_secret"


def test_a_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        decode_identity(token(), "short", NOW)


def test_now_defaults_to_the_clock() -> None:
    import time

    tok = jwt.encode({"sub": "u", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    assert verify_identity(tok, SECRET) is not None


# ---------------------------------------------------------------- site policy


def test_enforced_policy_gives_an_unverified_visitor_nothing() -> None:
    claimed = {"email": "ceo@bigcorp.test", "tier": "enterprise", "mrr": 99_999}
    for tok in (None, token(secret=OTHER), token({"exp": NOW - 3600})):
        visitor = resolve_identity(tok, SECRET, enforce=True, claimed=claimed, now=NOW)
        assert visitor.verified is None
        assert visitor.account is None
        assert not visitor.privileged
        assert visitor.claimed == {}  # whatever the browser says


def test_unenforced_policy_keeps_claims_for_display_but_never_privileges() -> None:
    claimed = {"email": "ceo@bigcorp.test", "tier": "enterprise"}
    visitor = resolve_identity(None, SECRET, enforce=False, claimed=claimed, now=NOW)
    assert visitor.failure is IdentityFailure.MISSING
    assert visitor.claimed == claimed
    assert visitor.account is None and not visitor.privileged


def test_a_verified_token_wins_over_claims() -> None:
    tok = token({"account": {"id": "acme", "tier": "enterprise"}})
    visitor = resolve_identity(tok, SECRET, enforce=True, claimed={"tier": "free"}, now=NOW)
    assert visitor.privileged
    assert visitor.account is not None and visitor.account.tier == "enterprise"
    assert visitor.claimed == {}


def test_the_failure_reason_is_kept() -> None:
    visitor = resolve_identity(token({"exp": NOW - 3600}), SECRET, enforce=True, now=NOW)
    assert visitor.failure is IdentityFailure.EXPIRED
    assert "expired" in visitor.failure_detail


# ---------------------------------------------------------------- secrets from the environment


def test_secret_env_var_names() -> None:
    assert secret_env_var("demo") == "PAGEGUIDE_SITE_DEMO_IDENTITY_SECRET"
    assert secret_env_var("acme-app.eu") == "PAGEGUIDE_SITE_ACME_APP_EU_IDENTITY_SECRET"


def test_secrets_from_env_with_rotation() -> None:
    env = {
        "PAGEGUIDE_SITE_DEMO_IDENTITY_SECRET": SECRET,
        "PAGEGUIDE_SITE_DEMO_IDENTITY_SECRET_PREVIOUS": OTHER,
    }
    assert secrets_from_env("demo", env) == [SECRET, OTHER]
    assert secrets_from_env("other", env) == []
    with pytest.raises(ValueError):
        secrets_from_env("demo", {"PAGEGUIDE_SITE_DEMO_IDENTITY_SECRET": "short"})
