from __future__ import annotations

import codecs
from pathlib import Path

from pipeline.models import Page
from pipeline.parse.base import ParseError, ParseOptions, pages_of

TEXT_SUFFIXES = {".txt", ".text"}
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class TextBackend:
    name = "text"
    media_type = "text/plain"

    def accepts(self, data: bytes, filename: str) -> bool:
        if Path(filename).suffix.lower() not in TEXT_SUFFIXES:
            return False
        # UTF-16 has NUL bytes in ASCII text; anything else with them is binary content.
        return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in data[:4096]

    def parse(self, data: bytes, options: ParseOptions) -> list[Page]:
        encoding = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"text file is not {encoding.upper().removesuffix('-SIG')} (byte {exc.start} is invalid): "
                "save it as UTF-8"
            ) from exc
        # A form feed is the one page break plain text has.
        return pages_of(text.replace("\r\n", "\n").split("\f"))
