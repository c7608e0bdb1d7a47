from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx

from pipeline.models import Page
from pipeline.parse.base import ParseError, ParseOptions


class DocxBackend:
    """python-docx; a DOCX has no fixed pages, so its text is one page."""

    name = "python-docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def accepts(self, data: bytes, filename: str) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        if Path(filename).suffix.lower() == ".docx":
            return True  # even damaged: its parse says what is wrong
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False

    def parse(self, data: bytes, options: ParseOptions) -> list[Page]:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
        except zipfile.BadZipFile as exc:
            raise ParseError(f"damaged DOCX: not a readable ZIP package ({exc})") from exc
        # zipfile never inflates an entry past its declared size, so the declared sizes bound the work.
        options.check_decompressed(sum(entry.file_size for entry in entries), "the DOCX package")
        if "word/document.xml" not in {entry.filename for entry in entries}:
            raise ParseError("not a Word document: a ZIP archive without word/document.xml")
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises many types for a damaged package
            raise ParseError(f"unreadable DOCX ({type(exc).__name__}: {exc})") from exc
        blocks = [p.text for p in document.paragraphs]
        for table in document.tables:
            blocks.extend(" | ".join(cell.text for cell in row.cells) for row in table.rows)
        return [Page(number=1, text="\n".join(blocks))]
