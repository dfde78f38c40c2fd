"""The LLM composer: a streamed answer from any litellm provider, with timeouts and fallbacks.

One answer comes from one model. The configured model is tried first, then each fallback in
order, but only while nothing has been yielded: once the user has seen text, a failure ends the
answer with `ComposerError` (the caller falls back to the extractive composer) instead of
splicing a second model's words onto the first's.

Timeouts are ours, on the event loop, rather than the HTTP client's: a provider that accepts
the request and then says nothing is the common failure, and only a clock around every chunk
catches it at the first-token timeout instead of the HTTP read timeout.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from ..settings import Settings  # before litellm: it points litellm at its local cost map

# isort: split
import litellm

from .base import AnswerRequest, ComposerError, Usage
from .prompt import build_messages

# litellm prints a "Give Feedback / Get Help" banner to stdout on every provider error.
litellm.suppress_debug_info = True

_KEYLIKE = re.compile(r"\b(?:sk|pk|rk|key|api|token)[-_][A-Za-z0-9_\-]{8,}", re.IGNORECASE)


class LLMComposer:
    def __init__(self, settings: Settings) -> None:
        if not settings.model:
            raise ValueError("LLMComposer needs settings.model")
        self.models: tuple[str, ...] = tuple(
            dict.fromkeys([settings.model, *settings.model_fallbacks])
        )
        self.name = f"llm:{settings.model}"
        self.timeout = settings.model_timeout
        self.first_token_timeout = settings.model_first_token_timeout
        self._api_key = settings.model_api_key
        self._unpriced: set[str] = set()
        # Built once: a request only adds the model and its messages.
        self._options: dict[str, Any] = {
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": settings.model_timeout,
            "max_tokens": settings.model_max_tokens,
            "max_retries": 0,  # the SDK's own retries would spend our time budget; we fall back
            "drop_params": True,  # providers without stream_options still answer
        }
        if settings.model_api_base:
            self._options["api_base"] = settings.model_api_base
        if settings.model_api_key:
            self._options["api_key"] = settings.model_api_key

    async def stream(self, request: AnswerRequest, usage: Usage) -> AsyncIterator[str]:
        messages = build_messages(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        failures: list[str] = []
        for model in self.models:
            if loop.time() >= deadline:
                failures.append(f"{model}: not tried, model_timeout spent")
                continue
            parts: list[str] = []
            reported: Any = None
            response: Any = None
            # The first token must come within the first-token timeout of asking, and each
            # later chunk within the same span of the one before; all within model_timeout.
            wait_until = min(loop.time() + self.first_token_timeout, deadline)
            error: ComposerError | None = None
            try:
                async with asyncio.timeout_at(wait_until):
                    response = await litellm.acompletion(
                        model=model, messages=messages, **self._options
                    )
                while True:
                    async with asyncio.timeout_at(wait_until):
                        chunk = await anext(response, None)
                    if chunk is None:
                        break
                    reported = getattr(chunk, "usage", None) or reported
                    text = _delta(chunk)
                    if parts or text:
                        wait_until = min(loop.time() + self.first_token_timeout, deadline)
                    if text:
                        parts.append(text)
                        yield text
            except TimeoutError:
                error = ComposerError(self._timeout_reason(model, parts, deadline))
            except Exception as exc:
                error = ComposerError(f"{model}: {self._reason(exc)}")
            finally:
                if response is not None:
                    await response.aclose()  # frees the connection of a stalled stream
            if error is None or parts:
                self._account(usage, model, messages, parts, reported)
            if error is None:
                return
            if parts:
                raise error  # the user has seen this model's words: no second model
            failures.append(str(error))
        raise ComposerError("no model answered: " + "; ".join(failures))

    def _timeout_reason(self, model: str, parts: list[str], deadline: float) -> str:
        if asyncio.get_running_loop().time() >= deadline:
            return f"{model}: answer exceeded model_timeout ({self.timeout:g}s)"
        if parts:
            return f"{model}: stalled mid-answer for {self.first_token_timeout:g}s"
        return f"{model}: no first token within {self.first_token_timeout:g}s"

    def _reason(self, exc: Exception) -> str:
        """A short, key-free line for logs and the error: the class and the first line."""
        text = (str(exc).strip().splitlines() or [""])[0]
        if self._api_key:
            text = text.replace(self._api_key, "***")
        text = _KEYLIKE.sub("***", text)
        return f"{type(exc).__name__}: {text[:200]}"

    def _account(
        self,
        usage: Usage,
        model: str,
        messages: list[dict[str, Any]],
        parts: list[str],
        reported: Any,
    ) -> None:
        usage.model = model
        if reported is not None and getattr(reported, "prompt_tokens", None):
            usage.prompt_tokens = int(reported.prompt_tokens)
            usage.completion_tokens = int(reported.completion_tokens or 0)
        else:  # the provider sent no usage (or the answer broke off): estimate
            usage.prompt_tokens = _count(model, messages=messages)
            usage.completion_tokens = _count(model, text="".join(parts))
        usage.cost_usd = self._cost(model, usage)

    def _cost(self, model: str, usage: Usage) -> float:
        if model in self._unpriced:
            return 0.0
        try:
            response = litellm.ModelResponse(
                model=model,
                usage=litellm.Usage(
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                    total_tokens=usage.prompt_tokens + usage.completion_tokens,
                ),
            )
            return float(litellm.completion_cost(completion_response=response, model=model))
        except Exception:  # not in the cost map (self-hosted, new, fake): cost unknown, not fatal
            self._unpriced.add(model)
            return 0.0


def _delta(chunk: Any) -> str:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return ""
    return getattr(choices[0].delta, "content", None) or ""


def _count(model: str, **what: Any) -> int:
    try:
        return int(litellm.token_counter(model=model, **what))
    except Exception:  # a tokenizer that cannot load offline: about four characters a token
        text = what.get("text") or " ".join(str(m.get("content", "")) for m in what["messages"])
        return max(1, len(text) // 4)
