"""The fake server speaks enough of the OpenAI wire format for the real `openai` client and `instructor`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import instructor
import openai
import pytest
from fake_openai import (
    DRAFT_KEYS,
    FakeOpenAI,
    Reply,
    answer_from_expected,
    empty_answer,
    load_expected,
    sample_documents,
    sample_pages,
    scripted,
)
from instructor.core.exceptions import InstructorRetryException
from openai.types.chat import ChatCompletionMessageFunctionToolCall
from pydantic import BaseModel, Field, field_validator

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_docs"


class Invoice(BaseModel):
    number: str
    amount: int = Field(gt=0)

    @field_validator("number")
    @classmethod
    def _prefixed(cls, value: str) -> str:
        if not value.startswith("INV-"):
            raise ValueError("number must start with INV-")
        return value


# A local mirror of the draft schema: proves the sample answers parse as tool arguments.
class Cited(BaseModel):
    value: str
    page: int = Field(ge=1)
    quote: str


class CitedParty(BaseModel):
    name: str
    role: str
    page: int = Field(ge=1)
    quote: str


class Draft(BaseModel):
    title: Cited | None = None
    contract_type: Cited | None = None
    parties: list[CitedParty] = Field(default_factory=list)
    agreement_date: Cited | None = None
    effective_date: Cited | None = None
    expiration_date: Cited | None = None
    term: Cited | None = None
    renewal_term: Cited | None = None
    notice_period_to_terminate_renewal: Cited | None = None
    auto_renewal: Cited | None = None
    governing_law: Cited | None = None
    total_value: Cited | None = None
    payment_terms: Cited | None = None


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def client_for(server: FakeOpenAI, *, max_retries: int = 0, timeout: float = 10.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test-key", max_retries=max_retries, timeout=timeout)


def ask_invoice(server: FakeOpenAI, *, max_retries: int = 1) -> Invoice:
    client = instructor.from_openai(client_for(server), mode=instructor.Mode.TOOLS)
    return client.chat.completions.create(
        model="fake-model",
        response_model=Invoice,
        max_retries=max_retries,
        messages=[{"role": "user", "content": "Extract the invoice: INV-7 for 120 dollars."}],
    )


def test_instructor_tools_mode_gets_pydantic_object(server: FakeOpenAI) -> None:
    server.responder = scripted([Reply.tool({"number": "INV-7", "amount": 120})])

    invoice = ask_invoice(server)

    assert invoice.model_dump() == {"number": "INV-7", "amount": 120}
    [request] = server.requests
    assert request["tool_choice"]["function"]["name"] == request["tools"][0]["function"]["name"]
    assert server.headers[0]["authorization"] == "Bearer test-key"


def test_raw_completion_has_tool_call_and_usage(server: FakeOpenAI) -> None:
    server.responder = scripted([Reply.tool({"number": "INV-1", "amount": 1})])
    tools = [{"type": "function", "function": {"name": "Invoice", "parameters": {"type": "object"}}}]
    prompt = "x" * 400

    completion = client_for(server).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": prompt}],
        tools=tools,  # type: ignore[arg-type]
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.function.name == "Invoice"
    assert json.loads(call.function.arguments) == {"number": "INV-1", "amount": 1}
    assert completion.usage is not None
    assert completion.usage.prompt_tokens >= 100  # 400 prompt chars plus the tool schema, / 4
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_plain_content_reply(server: FakeOpenAI) -> None:
    server.responder = scripted([Reply.text("hello there")])
    completion = client_for(server).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == "hello there"
    assert completion.choices[0].finish_reason == "stop"


def test_instructor_reasks_after_invalid_reply(server: FakeOpenAI) -> None:
    server.responder = scripted(
        [
            Reply.tool({"number": "7", "amount": 120}),  # fails the INV- validator
            Reply.tool({"number": "INV-7", "amount": 120}),
        ]
    )

    invoice = ask_invoice(server, max_retries=2)

    assert invoice.number == "INV-7"
    assert len(server.requests) == 2
    # The re-ask carries the validation error back to the model.
    assert "INV-" in str(server.requests[1]["messages"][1:])
    assert len(server.requests[1]["messages"]) > len(server.requests[0]["messages"])


def test_instructor_gives_up_when_every_reply_is_invalid(server: FakeOpenAI) -> None:
    server.responder = lambda _: Reply.tool({"number": "7", "amount": 0})
    with pytest.raises(InstructorRetryException):
        ask_invoice(server, max_retries=1)
    # instructor 1.17 counts max_retries as re-asks after the first attempt.
    assert len(server.requests) == 2


def test_malformed_tool_json_is_reasked(server: FakeOpenAI) -> None:
    server.responder = scripted(
        [Reply.tool('{"number": "INV-7", "amount": '), Reply.tool({"number": "INV-7", "amount": 3})]
    )
    assert ask_invoice(server, max_retries=2).amount == 3
    assert len(server.requests) == 2


def test_server_error_surfaces_without_retries(server: FakeOpenAI) -> None:
    server.responder = lambda _: Reply.error(500, "boom")
    with pytest.raises(openai.InternalServerError) as info:
        client_for(server, max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.status_code == 500
    assert "boom" in str(info.value)
    assert len(server.requests) == 1


def test_server_error_through_instructor_is_wrapped(server: FakeOpenAI) -> None:
    server.responder = lambda _: Reply.error(500, "boom")
    # instructor 1.17 wraps API errors in InstructorRetryException (cause: the openai error) and does
    # not re-ask them: the pipeline must unwrap `__cause__` to tell transient from permanent failures.
    with pytest.raises(InstructorRetryException) as info:
        ask_invoice(server, max_retries=2)
    assert isinstance(info.value.__cause__, openai.InternalServerError)
    assert len(server.requests) == 1


def test_rate_limit_then_success_with_client_retries(server: FakeOpenAI) -> None:
    server.responder = scripted(
        [
            Reply.error(429, "slow down", headers={"retry-after-ms": "10"}),
            Reply.text("ok"),
        ]
    )
    completion = client_for(server, max_retries=1).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "ok"
    assert len(server.requests) == 2


def test_rate_limit_error_without_retries(server: FakeOpenAI) -> None:
    server.responder = lambda _: Reply.error(429, "slow down")
    with pytest.raises(openai.RateLimitError):
        client_for(server).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])


def test_delay_triggers_client_timeout_and_shutdown_is_prompt() -> None:
    started = time.monotonic()
    with FakeOpenAI(lambda _: Reply.slow(30)) as fake, pytest.raises(openai.APITimeoutError):
        client_for(fake, timeout=0.3).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert time.monotonic() - started < 5  # the sleeping handler was woken by shutdown


def test_models_endpoint(server: FakeOpenAI) -> None:
    models = client_for(server).models.list()
    assert [m.id for m in models] == ["fake-model"]


def test_unknown_path_is_404(server: FakeOpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client_for(server).embeddings.create(model="m", input="hi")


def extraction_prompt(pages: list[str]) -> str:
    body = "\n\n".join(f"--- page {n} ---\n{text}" for n, text in enumerate(pages, 1))
    return f"Extract the contract fields with page and verbatim quote.\n\n{body}"


def test_answer_from_expected_replies_with_each_samples_answer(server: FakeOpenAI) -> None:
    expected = load_expected(SAMPLE_DIR)
    documents = sample_documents(SAMPLE_DIR)
    assert set(expected) == set(documents)
    server.responder = answer_from_expected(SAMPLE_DIR)
    client = instructor.from_openai(client_for(server), mode=instructor.Mode.TOOLS)

    for stem, path in documents.items():
        draft = client.chat.completions.create(
            model="fake-model",
            response_model=Draft,
            max_retries=1,
            messages=[
                {"role": "system", "content": "You extract contract fields."},
                {"role": "user", "content": extraction_prompt(sample_pages(path))},
            ],
        )
        assert draft.model_dump(mode="json") == expected[stem]["answer"], stem


def test_answer_from_expected_unknown_document_and_transform(server: FakeOpenAI) -> None:
    def drop_law(stem: str, answer: dict[str, object]) -> dict[str, object]:
        return {**answer, "governing_law": None}

    server.responder = answer_from_expected(SAMPLE_DIR, transform=drop_law)
    client = instructor.from_openai(client_for(server), mode=instructor.Mode.TOOLS)

    unknown = client.chat.completions.create(
        model="fake-model",
        response_model=Draft,
        messages=[{"role": "user", "content": "A lease between Acme and Bolt, nothing else."}],
    )
    assert unknown.model_dump(mode="json") == empty_answer()
    assert set(empty_answer()) == set(DRAFT_KEYS)

    nda = sample_documents(SAMPLE_DIR)["03_mutual_nda"]
    draft = client.chat.completions.create(
        model="fake-model",
        response_model=Draft,
        messages=[{"role": "user", "content": extraction_prompt(sample_pages(nda))}],
    )
    assert draft.governing_law is None
    assert draft.title is not None and draft.title.value == "Mutual Non-Disclosure Agreement"
