from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from pipeline.models import Page
from pipeline.parse.base import ParseOptions
from pipeline.parse.text import BOMS

_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl", "dt", "figcaption", "figure"}
    | {"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre"}
    | {"section", "table", "title", "tr", "ul"}
)
_CELLS = frozenset({"td", "th"})
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "object", "iframe"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_INVISIBLE_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


class _Text(HTMLParser):
    """Text with block structure: a line per block, ` | ` between table cells; nothing a browser hides."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.open: list[tuple[str, bool]] = []  # tag, whether it hides its content
        # Counts of what is open, so that deeply nested input costs no scans of `open`.
        self.open_tags: Counter[str] = Counter()
        self.hiding = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        hides = tag in _SKIPPED or "hidden" in values or bool(_INVISIBLE_STYLE.search(values.get("style") or ""))
        if tag in _BLOCKS:
            if tag not in {"br", "title", "body"}:
                self.close_tag("p")  # as browsers do: a block ends an open paragraph
            self.break_line()
        elif tag in _CELLS and self.line:
            self.line.append(" | ")
        if tag not in _VOID:
            self.open.append((tag, hides))
            self.open_tags[tag] += 1
            self.hiding += hides

    def handle_endtag(self, tag: str) -> None:
        self.close_tag(tag)
        if tag in _BLOCKS:
            self.break_line()

    def close_tag(self, tag: str) -> None:
        """Close the innermost open `tag` and the unclosed children in it; a stray end tag is ignored."""
        if not self.open_tags[tag]:
            return
        while self.open:
            closed, hides = self.open.pop()
            self.open_tags[closed] -= 1
            self.hiding -= hides
            if closed == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.hiding or (self.open_tags["head"] and not self.open_tags["title"]):
            return
        if self.open_tags["pre"]:
            self.line.append(data)
        else:
            self.line.append(re.sub(r"\s+", " ", data))

    def break_line(self) -> None:
        line = "".join(self.line)
        # Only <pre> text keeps its newlines, and its spacing with them.
        line = line.rstrip() if "\n" in line else re.sub(" {2,}", " ", line).strip()
        self.line = []
        if line:
            self.lines.append(line)

    def text(self) -> str:
        self.close()
        self.break_line()
        return "\n".join(self.lines)


def decode_html(data: bytes) -> str:
    """By BOM, then a meta charset, then UTF-8; windows-1252 is the web's default for the rest."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    declared = _META_CHARSET.search(data[:4096])
    candidates = [declared.group(1).decode("ascii")] if declared else []
    for encoding in [*candidates, "utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return parser.text()


class HtmlBackend:
    """The stdlib's forgiving HTML parser: what a browser would show, one page."""

    name = "html"
    media_type = "text/html"

    def accepts(self, data: bytes, filename: str) -> bool:
        head = data[:1024].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            return True
        return Path(filename).suffix.lower() in HTML_SUFFIXES and b"\x00" not in data[:4096]

    def parse(self, data: bytes, options: ParseOptions) -> list[Page]:
        return [Page(number=1, text=html_to_text(decode_html(data)))]
