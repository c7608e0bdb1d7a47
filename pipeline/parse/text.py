from __future__ import annotations

from pathlib import Path

from pipeline.parse.base import ParseError

TEXT_SUFFIXES = {".txt", ".text"}


class TextBackend:
    name = "text"
    media_type = "text/plain"

    def accepts(self, data: bytes, filename: str) -> bool:
        return Path(filename).suffix.lower() in TEXT_SUFFIXES and b"\x00" not in data[:4096]

    def parse(self, data: bytes) -> list[str]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"text file is not UTF-8 (byte {exc.start} is invalid)") from exc
        # A form feed is the one page break plain text has.
        return text.replace("\r\n", "\n").split("\f")
