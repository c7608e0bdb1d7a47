from __future__ import annotations

import io
import zipfile

import docx

from pipeline.parse.base import ParseError


class DocxBackend:
    """python-docx; a DOCX has no fixed pages, so its text is one page."""

    name = "python-docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def accepts(self, data: bytes, filename: str) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False

    def parse(self, data: bytes) -> list[str]:
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises many types for a damaged package
            raise ParseError(f"unreadable DOCX ({exc})") from exc
        blocks = [p.text for p in document.paragraphs]
        for table in document.tables:
            blocks.extend(" | ".join(cell.text for cell in row.cells) for row in table.rows)
        return ["\n".join(blocks)]
