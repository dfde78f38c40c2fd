"""What the LLM composer adds before the first token, against a loopback fake provider.

For each of N requests it times `LLMComposer.stream()` from the call to the first delta, and a
bare httpx streaming request with the same body to the same endpoint from send to the first
content delta: the provider's own time to first byte. The difference is our overhead (prompt
building, litellm, the OpenAI SDK). The two are interleaved so that both see the same machine.
The fake server runs in a thread of this process, so both numbers include the same GIL sharing.

    .venv/bin/python bench/llm_overhead.py [-n 200] [--passages 4] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "server")]  # run from a checkout: tests.support, pageguide

from pageguide.settings import Settings  # noqa: E402  (first: selects litellm's local cost map)

# isort: split
import httpx  # noqa: E402
from tests.support.fake_llm import FakeLLM  # noqa: E402

from pageguide.guidance.base import AnswerRequest, Usage  # noqa: E402
from pageguide.guidance.llm import LLMComposer  # noqa: E402
from pageguide.guidance.prompt import build_messages  # noqa: E402
from pageguide.protocol import PageContext  # noqa: E402
from pageguide.retrieval.search import Passage, Retrieval  # noqa: E402


def sample_request(passages: int) -> AnswerRequest:
    """A request of realistic size: a few heading-sized passages and a page with headings."""
    body = (
        "To change your plan, open Settings and choose Billing. Select the plan you want and "
        "confirm. The new price applies from the next invoice; unused days are credited. "
    ) * 5
    found = [
        Passage(
            f"billing-{i}.md", f"Billing {i}", f"/help/billing-{i}", "Change plan", "", body, 0.8
        )
        for i in range(passages)
    ]
    page = PageContext(
        url="https://app.example.com/settings/billing",
        path="/settings/billing",
        title="Billing — Example",
        headings=["Billing", "Plan", "Invoices", "Payment method"],
        route="/settings/billing",
    )
    return AnswerRequest("How do I change my plan?", page, Retrieval(found, 0.9, False))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


async def composer_ttft(composer: LLMComposer, request: AnswerRequest) -> float:
    start = time.perf_counter()
    stream = composer.stream(request, Usage())
    await anext(stream)
    first = time.perf_counter() - start
    async for _ in stream:  # drain, so the connection goes back to the pool like in service
        pass
    return first


async def raw_ttfb(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    first = 0.0
    async with client.stream("POST", url, json=body) as response:
        async for line in response.aiter_lines():
            if not first and line.startswith("data: {") and '"content": "' in line:
                if '"content": ""' not in line:
                    first = time.perf_counter() - start
    return first


async def run(n: int, warmup: int, passages: int) -> dict[str, Any]:
    request = sample_request(passages)
    with FakeLLM() as fake:
        settings = Settings(
            model="openai/fake-ok",
            model_api_base=fake.base_url,
            model_api_key="bench",
            model_first_token_timeout=10.0,
            model_timeout=30.0,
        )
        composer = LLMComposer(settings)
        body = {
            "model": "fake-ok",
            "messages": build_messages(request),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": settings.model_max_tokens,
        }
        url = f"{fake.base_url}/chat/completions"
        ours: list[float] = []
        bare: list[float] = []
        async with httpx.AsyncClient(headers={"Authorization": "Bearer bench"}) as client:
            for i in range(warmup + n):
                a = await composer_ttft(composer, request)
                b = await raw_ttfb(client, url, body)
                if i >= warmup:
                    ours.append(a)
                    bare.append(b)
        build = []
        for _ in range(n):
            start = time.perf_counter()
            build_messages(request)
            build.append(time.perf_counter() - start)

    composer_s, provider_s = summary(ours), summary(bare)
    overhead = [a - b for a, b in zip(ours, bare, strict=True)]
    prompt_chars = sum(len(m["content"]) for m in body["messages"])
    return {
        "requests": n,
        "passages": passages,
        "prompt_chars": prompt_chars,
        "composer_ttft": composer_s,
        "provider_ttfb": provider_s,
        "overhead": summary(overhead),
        "build_messages": summary(build),
        "ratio_p50": round(composer_s["p50_ms"] / provider_s["p50_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--passages", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.requests, args.warmup, args.passages))
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['requests']} requests, {result['passages']} passages, "
        f"prompt {result['prompt_chars']} chars"
    )
    for label, key in [
        ("composer stream() → first delta", "composer_ttft"),
        ("bare httpx → first delta", "provider_ttfb"),
        ("overhead (paired difference)", "overhead"),
        ("build_messages()", "build_messages"),
    ]:
        s = result[key]
        print(f"  {label:34} p50 {s['p50_ms']:8.3f} ms  p95 {s['p95_ms']:8.3f} ms")
    print(f"  ratio of p50s {result['ratio_p50']}×")


if __name__ == "__main__":
    main()
