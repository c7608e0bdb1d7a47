"""Which extraction the pipeline and the eval harness run: the agent (default) or the single call."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.agent.loop import Budget, run_agent
from pipeline.agent.tools import PartyLookup
from pipeline.extract import extract
from pipeline.llm import LLM
from pipeline.models import ContractFields, Extraction, ParsedDocument
from pipeline.rules import RuleSet, evaluate
from pipeline.settings import Settings

Extractor = Callable[[ParsedDocument], Extraction]


def extractor_for(settings: Settings, llm: LLM, rules: RuleSet, lookup_party: PartyLookup | None = None) -> Extractor:
    if settings.extractor == "agent":
        budget = Budget(
            settings.agent_max_steps,
            settings.agent_max_tokens,
            settings.agent_max_seconds,
            settings.agent_accept_confidence,
            settings.agent_second_read,
        )
        return lambda parsed: run_agent(parsed, llm, rules, budget, lookup_party)

    def rule_errors(fields: ContractFields) -> list[str]:
        return [f"rule {v.rule_id}: {v.message}" for v in evaluate(fields, rules) if v.severity == "error"]

    return lambda parsed: extract(parsed, llm, check=rule_errors, max_chars=settings.max_document_chars)


def cost_usd(extraction: Extraction, prices: dict[str, tuple[float, float]]) -> float:
    """Cost from the configured price table; a model not in it (e.g. the local one) costs nothing."""
    prompt, completion = prices.get(extraction.model, (0.0, 0.0))
    usage = extraction.usage
    return round((usage.prompt_tokens * prompt + usage.completion_tokens * completion) / 1_000_000, 6)
