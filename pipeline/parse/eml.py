"""E-mail (.eml): the body is the document's text; each attachment becomes a document of its own
(`pipeline.ingest` registers them, linked to the message)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

from pipeline.models import Page
from pipeline.parse.base import ParseError, ParseOptions
from pipeline.parse.html import html_to_text

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_SHOWN_HEADERS = ("Subject", "From", "To", "Date")


def read_message(data: bytes) -> EmailMessage:
    # The stdlib parser never raises: damage is recorded as defects and parsing goes on.
    return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(data))


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        content = _payload_bytes(part).decode("utf-8", errors="replace")
    text = str(content)
    return html_to_text(text) if part.get_content_subtype() == "html" else text.strip()


def _payload_bytes(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def attachments(message: EmailMessage) -> Iterator[tuple[str, bytes]]:
    """`(file name, bytes)` of each attachment, nested multiparts included, forwarded messages as .eml."""
    for number, part in enumerate(message.iter_attachments(), start=1):
        if part.get_content_maintype() == "multipart":
            yield from attachments(part)
            continue
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and isinstance(inner[0], EmailMessage) else b""
        else:
            data = _payload_bytes(part)
        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        yield part.get_filename() or f"attachment-{number}{extension}", data


class EmailBackend:
    name = "email"
    media_type = "message/rfc822"

    def accepts(self, data: bytes, filename: str) -> bool:
        if b"\x00" in data[:4096]:
            return False
        if Path(filename).suffix.lower() == ".eml":
            return True
        # A message without its extension: it starts with a header block naming a sender and a subject.
        header_block = data[:8192].split(b"\n\n", 1)[0].replace(b"\r", b"")
        names = {line.split(b":", 1)[0].lower() for line in header_block.split(b"\n") if _HEADER_LINE.match(line)}
        return bool(_HEADER_LINE.match(data[:200])) and {b"from", b"subject"} <= names

    def parse(self, data: bytes, options: ParseOptions) -> list[Page]:
        message = read_message(data)
        body_part = message.get_body(preferencelist=("plain", "html"))
        body = _text_of(cast(EmailMessage, body_part)) if body_part is not None else ""
        names = [name for name, _ in attachments(message)]
        if not body.strip():
            detail = f"; its {len(names)} attachment(s) are documents of their own" if names else ""
            raise ParseError(f"the e-mail has no body text{detail}")
        headers = [f"{name}: {message[name]}" for name in _SHOWN_HEADERS if message[name]]
        footer = [f"Attachments: {', '.join(names)}"] if names else []
        return [Page(number=1, text="\n".join([*headers, "", body, *footer]).strip())]
