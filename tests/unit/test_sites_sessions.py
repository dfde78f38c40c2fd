from __future__ import annotations

from pathlib import Path

import pytest

from pageguide.sessions import RateLimiter, check_resume_token, new_session_id, resume_token
from pageguide.sites import ConfigError, Sites


def test_development_site_allows_localhost_on_any_port_only() -> None:
    site = Sites.load(None).get("demo")
    assert site is not None
    assert site.allows("http://localhost:3000")
    assert site.allows("http://127.0.0.1:8000")
    assert not site.allows("https://example.com")
    assert not site.allows("http://localhost.evil.com")
    assert not site.allows(None)


def test_config_file_declares_sites(tmp_path: Path) -> None:
    path = tmp_path / "pageguide.toml"
    path.write_text(
        '[[sites]]\nsite_key = "acme"\norigins = ["https://app.acme.com/"]\n'
        '[[sites]]\nsite_key = "beta"\norigins = ["https://*.beta.io"]\n'
    )
    sites = Sites.load(path)
    assert not sites.development
    assert sites.get("acme").allows("https://APP.acme.com")
    assert not sites.get("acme").allows("http://app.acme.com")
    assert sites.get("beta").allows("https://eu.beta.io")
    assert sites.get("nope") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sites = 3", "sites"),
        ("[[sites]]\nsite_key = 'a'\norigins = []", "origins"),
        (
            "[[sites]]\nsite_key = 'a'\norigins = ['x']\n"
            "[[sites]]\nsite_key = 'a'\norigins = ['y']",
            "unique",
        ),
        ("not toml [", "not valid TOML"),
        (
            "[[sites]]\nsite_key = 'acme-app'\norigins = ['x']\n"
            "[[sites]]\nsite_key = 'ACME_app'\norigins = ['y']",
            "punctuation",
        ),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        Sites.load(path)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        Sites.load(tmp_path / "nope.toml")


def test_resume_tokens_verify_only_for_their_session_and_secret() -> None:
    sid = new_session_id()
    token = resume_token(b"k1", sid)
    assert check_resume_token(b"k1", sid, token)
    assert not check_resume_token(b"k2", sid, token)
    assert not check_resume_token(b"k1", new_session_id(), token)


def test_rate_limiter_allows_a_burst_then_the_sustained_rate() -> None:
    limiter = RateLimiter(rate=10, burst=5)
    start = limiter.stamp
    assert all(limiter.allow(start) for _ in range(5))
    assert not limiter.allow(start)
    assert limiter.allow(start + 0.11)  # one token back after 1/rate seconds
    assert not limiter.allow(start + 0.11)
