"""The one way the pipeline talks to a language model: `openai` + `instructor` (Mode.TOOLS) against
any OpenAI-compatible endpoint; the embedded local model is served behind the same API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypeVar

import instructor
import openai
from instructor.core.exceptions import InstructorRetryException
from pydantic import BaseModel

from pipeline import metrics
from pipeline.models import Usage
from pipeline.settings import Settings

Model = TypeVar("Model", bound=BaseModel)

# Worth retrying the whole step later: the endpoint was busy, slow or unreachable.
TRANSIENT_LLM_ERRORS: tuple[type[Exception], ...] = (
    openai.APIConnectionError,  # includes APITimeoutError
    openai.RateLimitError,
    openai.InternalServerError,
    openai.ConflictError,
)


class LLMResponseError(Exception):
    """The model's answers kept failing the schema; carries the tokens they cost."""

    def __init__(self, message: str, usage: Usage) -> None:
        super().__init__(message)
        self.usage = usage


def _transient_cause(exc: BaseException) -> BaseException | None:
    """instructor wraps API errors in its retry exception; find a transient one in the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TRANSIENT_LLM_ERRORS):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _usage_of(raw: Any) -> Usage:
    usage = getattr(raw, "usage", None)
    return Usage(
        calls=1,
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
    )


@dataclass
class LLM:
    client: instructor.Instructor
    model: str  # as the endpoint knows it
    name: str  # as results record it: the local server answers to "local" whatever it loaded
    base_url: str
    max_retries: int
    max_tokens: int
    timeout: float

    def ask(
        self, response_model: type[Model], messages: list[dict[str, str]], timeout: float | None = None
    ) -> tuple[Model, Usage]:
        """One structured call; instructor re-asks on schema errors. Usage covers every attempt.

        `timeout` cuts a call that would outlive the caller's budget; the client's own is the default.
        """
        started = time.monotonic()
        try:
            result, raw = self.client.chat.completions.create_with_completion(
                model=self.model,
                response_model=response_model,
                messages=messages,  # type: ignore[arg-type]
                max_retries=self.max_retries,
                temperature=0,
                max_tokens=self.max_tokens,
                timeout=min(timeout or self.timeout, self.timeout),
            )
        except InstructorRetryException as exc:
            if transient := _transient_cause(exc):
                metrics.llm_call(self.name, "transient", Usage(), started)
                raise transient from exc
            total = exc.total_usage
            usage = Usage(
                calls=exc.n_attempts,
                prompt_tokens=getattr(total, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(total, "completion_tokens", 0) or 0,
            )
            metrics.llm_call(self.name, "schema_error", usage, started)
            raise LLMResponseError(f"model answer failed the schema {exc.n_attempts} times", usage) from exc
        usage = _usage_of(raw)
        metrics.llm_call(self.name, "ok", usage, started)
        return result, usage


def connect(settings: Settings) -> LLM:
    base_url, name = settings.llm_base_url, settings.llm_model
    if base_url is None:
        # Imported here: the local model is optional equipment, unused with a hosted endpoint.
        from pipeline.local_llm.provision import resolve
        from pipeline.local_llm.server import endpoint

        base_url, name = endpoint(settings), f"local:{resolve(settings).name}"
    client = openai.OpenAI(
        base_url=base_url,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_s,
        max_retries=1,  # further retries belong to the task queue, with backoff
    )
    return LLM(
        client=instructor.from_openai(client, mode=instructor.Mode.TOOLS),
        model=settings.llm_model,
        name=name,
        base_url=base_url,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_s,
    )
