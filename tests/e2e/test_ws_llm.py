"""The litellm path through the real server: a loopback OpenAI-compatible provider streams the
answer; when it fails or stalls, the user still gets the extractive answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import KNOWLEDGE, page
from tests.support.fake_llm import FakeLLM
from tests.support.server import LiveServer, run_server

from pageguide.demo import CONFIG
from pageguide.settings import Settings
from pageguide.sites import Sites

BILLING = page("/app/settings/billing", "Billing — Lumen", ["Billing", "Current plan"])


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as provider:
        yield provider


def serve(
    tmp_path_factory, embedder, fake: FakeLLM, model: str, fallbacks: list[str]
) -> Iterator[LiveServer]:
    settings = Settings(
        data=tmp_path_factory.mktemp("llm"),
        knowledge=KNOWLEDGE,
        secret="s",
        config=CONFIG,
        model=model,
        model_fallbacks=fallbacks,
        model_api_base=fake.base_url,
        model_api_key="test-key",
        model_first_token_timeout=1.0,
        model_timeout=5.0,
    )
    with run_server(settings, embedder, Sites.load(CONFIG)) as live:
        yield live


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory, embedder, fake) -> Iterator[LiveServer]:
    yield from serve(tmp_path_factory, embedder, fake, "openai/fake-ok", [])


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory, embedder, fake) -> Iterator[LiveServer]:
    yield from serve(tmp_path_factory, embedder, fake, "openai/fake-error", ["openai/fake-stall"])


async def test_answer_streams_from_the_provider_with_the_page_fenced(
    llm_server, fake, connect
) -> None:
    client = await connect(llm_server)
    await client.hello(BILLING)
    answer = await client.ask("how do I change my plan?")
    assert len(answer["deltas"]) > 1
    body = fake.requests[-1]
    prompt = "\n".join(str(m["content"]) for m in body["messages"])
    assert "<page_context>" in prompt and "Billing — Lumen" in prompt
    assert "<knowledge" in prompt and "Change your plan" in prompt
    assert answer["end"]["sources"] and answer["end"]["confidence"] >= 0.35
    assert "Change your plan" in answer["text"]  # the fake provider cites the passages it got


async def test_failing_and_stalling_providers_fall_back_to_the_extractive_answer(
    failing_server, connect
) -> None:
    client = await connect(failing_server)
    await client.hello(BILLING)
    answer = await client.ask("how do I change my plan?")
    assert answer["text"].startswith("From **")  # the extractive composer's own words
    assert "plan" in answer["text"].lower()
    assert answer["end"]["sources"]
