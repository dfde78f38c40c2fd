"""A small OpenAI-compatible chat server on loopback, for tests and benches.

Real uvicorn on 127.0.0.1 and a free port, in a background thread with its own event loop, so
the same server serves async tests, sync tests and `bench/llm_overhead.py` alike:

    with FakeLLM() as fake:
        settings = Settings(model="openai/fake-ok", model_api_base=fake.base_url, ...)

The model name picks the behaviour per request (litellm strips the `openai/` prefix):
    fake-ok         streams the answer, then a usage chunk, then [DONE]
    fake-nousage    the same without the usage chunk
    fake-error      HTTP 500
    fake-stall      sends the response headers, then nothing
    fake-stall-mid  a few deltas, then nothing
    fake-slow       every delta after `slow_delay` seconds
Every request body is recorded in `requests` so tests can check what the provider was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

STALL_SECONDS = 3_600.0
_SOURCE = re.compile(r'<knowledge source="([^"]*)"')


def fake_answer(messages: list[dict[str, Any]]) -> str:
    """A deterministic answer built from the knowledge titles the prompt carries."""
    text = "\n".join(str(m.get("content", "")) for m in messages)
    titles = list(dict.fromkeys(_SOURCE.findall(text)))
    if not titles:
        return "I could not find this in the help articles. Would you like to talk to a person?"
    steps = [f"{i}. See {title}." for i, title in enumerate(titles, 1)]
    return "Here is how:\n" + "\n".join(steps)


def split_deltas(answer: str) -> list[str]:
    """Word-sized deltas that join back to the answer."""
    return re.findall(r"\S+\s*|\s+", answer)


def count_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in messages)


class FakeLLM:
    """The server and what it saw. Use as a context manager, or `start()` / `stop()`."""

    def __init__(self, slow_delay: float = 0.2, stall_after: int = 3) -> None:
        self.slow_delay = slow_delay
        self.stall_after = stall_after  # deltas sent by fake-stall-mid before it stalls
        self.requests: deque[dict[str, Any]] = deque(maxlen=200)
        self.open_streams = 0  # streaming responses still running: shows that clients hang up
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeLLM:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-llm", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ the endpoint

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        model = str(body.get("model", ""))
        mode = model.rsplit("/", 1)[-1].removeprefix("fake-")
        if mode == "error":
            error = {"message": "fake provider failure", "type": "server_error", "code": None}
            return JSONResponse({"error": error}, status_code=500)
        messages = body.get("messages", [])
        answer = fake_answer(messages)
        usage = {
            "prompt_tokens": count_tokens(messages),
            "completion_tokens": len(split_deltas(answer)),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            return JSONResponse(_completion(model, answer, usage))
        with_usage = mode != "nousage" and bool(
            (body.get("stream_options") or {}).get("include_usage")
        )
        events = self._events(model, mode, answer, usage if with_usage else None)
        return StreamingResponse(events, media_type="text/event-stream")

    async def _events(
        self, model: str, mode: str, answer: str, usage: dict[str, int] | None
    ) -> AsyncIterator[str]:
        self.open_streams += 1
        try:
            if mode == "stall":
                await self._stall()
            deltas = split_deltas(answer)
            yield _sse(_chunk(model, {"role": "assistant", "content": ""}))
            for i, delta in enumerate(deltas):
                if mode == "stall-mid" and i == self.stall_after:
                    await self._stall()
                if mode == "slow":
                    await asyncio.sleep(self.slow_delay)
                yield _sse(_chunk(model, {"content": delta}))
            yield _sse(_chunk(model, {}, finish_reason="stop"))
            if usage is not None:
                yield _sse({**_chunk(model, None), "usage": usage})
            yield "data: [DONE]\n\n"
        finally:
            self.open_streams -= 1

    async def _stall(self) -> None:
        # Ends when the client hangs up (Starlette cancels the response) or at shutdown.
        await asyncio.sleep(STALL_SECONDS)


def _chunk(model: str, delta: dict[str, str] | None, finish_reason: str | None = None) -> dict:
    choices = (
        [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    )
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
    }


def _completion(model: str, answer: str, usage: dict[str, int]) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data)}\n\n"
