"""Prompt-injection defence on the document side: find text addressed to a model, and blank out
text a reader cannot see so that it never reaches the model."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.models import Page, ParsedDocument

# Phrases that address an AI system or try to steer it; contracts address parties, not models.
_INSTRUCTION = re.compile(
    r"ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|preceding)\s+(?:instructions|prompts?|text)"
    r"|disregard\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\b"
    r"|\b(?:you\s+are|act\s+as)\s+(?:an?\s+)?(?:ai|assistant|language\s+model|llm|chatbot)\b"
    r"|\b(?:system|developer)\s+(?:prompt|message|instructions?)\b"
    r"|\b(?:extraction|parsing)\s+(?:model|system|tool)s?\s+(?:must|should|shall)\b"
    r"|\bnew\s+instructions?\s*:"
    r"|<\|im_start\|>|<\|system\|>|\[/?INST\]"
    r"|\b(?:set|report|output|return)\s+(?:the\s+)?(?:field|value|governing\s+law|effective\s+date|total\s+value)\s+"
    r"(?:to|as)\b",
    re.I,
)


@dataclass(frozen=True)
class Finding:
    page: int
    start: int
    end: int
    text: str
    reason: str


def instruction_like(parsed: ParsedDocument) -> list[Finding]:
    return [
        Finding(page.number, m.start(), m.end(), m.group(0), "instruction addressed to a model")
        for page in parsed.pages
        for m in _INSTRUCTION.finditer(page.text)
    ]


def hidden_text(parsed: ParsedDocument) -> list[Finding]:
    return [
        Finding(page.number, span.start, span.end, page.text[span.start : span.end], span.reason)
        for page in parsed.pages
        for span in page.hidden
        if page.text[span.start : span.end].strip()
    ]


def visible(parsed: ParsedDocument) -> ParsedDocument:
    """The document as a reader sees it: hidden spans blanked with spaces, so offsets still hold."""
    if not any(page.hidden for page in parsed.pages):
        return parsed
    pages = []
    for page in parsed.pages:
        text = list(page.text)
        for span in page.hidden:
            text[span.start : span.end] = [" " if not ch.isspace() else ch for ch in text[span.start : span.end]]
        pages.append(Page(number=page.number, text="".join(text)))
    return ParsedDocument(document_id=parsed.document_id, parser=parsed.parser, pages=pages)
