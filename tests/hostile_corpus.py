"""Broken and hostile files, generated: each with the outcome and reason it must end with.

`build(folder)` writes the corpus and returns `{file name: Expected}`. The limits it is built for
are in `LIMITS` (set them as CONTRACTFLOW_* variables for the run), so that bombs and oversize
files stay small on disk. Files that are odd but readable end `escalated` (the scripted model
finds no contract fields in them), which proves they were parsed and went on.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import docx
from fpdf import FPDF
from PIL import Image

LIMITS = {"MAX_FILE_BYTES": 2_000_000, "MAX_PAGES": 20, "MAX_DECOMPRESSED_BYTES": 40_000_000}
BOMB_BYTES = 60_000_000  # over MAX_DECOMPRESSED_BYTES, a few KiB compressed
CONTRACT = "This Services Agreement is made between Alder Widgets Ltd and Birch Logistics LLC."


@dataclass(frozen=True)
class Expected:
    status: str
    reason: str  # a substring of the document's reason


# The attachments of with_attachments.eml, by the name they are registered under.
ATTACHMENTS = {
    "evil.pdf": Expected("failed", "unreadable PDF"),
    "schedule.txt": Expected("escalated", "rule"),
}


def pdf_pages(pages: list[str], *, white: bool = False, encrypt: tuple[str, str] | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if encrypt is not None:
        pdf.set_encryption(owner_password=encrypt[0], user_password=encrypt[1])
    if white:
        pdf.set_text_color(255, 255, 255)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF of these objects (1 is the catalog), with a correct cross-reference table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def stream_bomb_pdf() -> bytes:
    content = zlib.compress(b" " * BOMB_BYTES, 9)
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
    )


def blank_scan_pdf() -> bytes:
    """A page that is only an image, blank: OCR runs and finds nothing."""
    image = io.BytesIO()
    Image.new("RGB", (400, 400), "white").save(image, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=100)
    return bytes(pdf.output())


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def billion_laughs_docx() -> bytes:
    """A DOCX whose body is an XML entity bomb: python-docx's parser must not expand it."""
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY l0 "lol">{entities}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(io.BytesIO(docx_bytes("x"))) as original:
        entries = {name: original.read(name) for name in original.namelist()}
    entries["word/document.xml"] = xml.encode()
    return zipped(entries)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_bomb_png() -> bytes:
    """A tiny PNG that claims 20,000 x 20,000 pixels."""
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def image_bytes(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format=image_format)
    return buffer.getvalue()


def email_bytes(body: str | None, attachments: dict[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = "Legal <legal@alder.example>"
    message["To"] = "contracts@birch.example"
    message["Subject"] = "Signed agreement"
    if body is not None:
        message.set_content(body)
    for name, data in attachments.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def build(folder: Path) -> dict[str, Expected]:
    """Write the corpus into `folder` (at least 30 files, all different bytes)."""
    good_pdf = pdf_pages([CONTRACT])
    xref_at = good_pdf.rindex(b"startxref")
    files: dict[str, tuple[bytes, Expected]] = {
        # Empty, truncated, malformed
        "empty.pdf": (b"", Expected("failed", "empty file (0 bytes)")),
        "header_only.pdf": (b"%PDF-1.4\n%%EOF", Expected("failed", "unreadable PDF")),
        "truncated.pdf": (good_pdf[: len(good_pdf) // 3], Expected("failed", "unreadable PDF")),
        "broken_xref.pdf": (good_pdf[:xref_at] + b"startxref\n999999\n%%EOF\n", Expected("escalated", "rule")),
        "no_pages.pdf": (
            raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"),
            Expected("failed", "unreadable PDF"),
        ),
        "damaged.docx": (b"PK\x03\x04" + b"\x13" * 200, Expected("failed", "damaged DOCX")),
        "truncated.docx": (docx_bytes(CONTRACT)[:5000], Expected("failed", "damaged DOCX")),
        "truncated.png": (image_bytes("PNG")[:40], Expected("failed", "unreadable image: damaged")),
        "truncated.jpg": (image_bytes("JPEG")[:120], Expected("failed", "unreadable image")),
        "garbage.tiff": (b"II*\x00" + b"\xff" * 300, Expected("failed", "unreadable image")),
        "no_body.eml": (email_bytes(None, {}), Expected("failed", "the e-mail has no body text")),
        # Encrypted
        "user_password.pdf": (pdf_pages([CONTRACT], encrypt=("owner", "secret")), Expected("failed", "encrypted PDF")),
        "owner_password_only.pdf": (pdf_pages([CONTRACT], encrypt=("owner", "")), Expected("escalated", "rule")),
        # Bombs and limits
        "stream_bomb.pdf": (stream_bomb_pdf(), Expected("failed", "decompression bomb: a PDF stream")),
        "zip_bomb.docx": (
            zipped({"word/document.xml": b"\x00" * BOMB_BYTES}),
            Expected("failed", "decompression bomb: the DOCX package"),
        ),
        "billion_laughs.docx": (
            billion_laughs_docx(),
            Expected("failed", "unreadable DOCX (XMLSyntaxError: Maximum entity amplification"),
        ),
        "pixel_bomb.png": (pixel_bomb_png(), Expected("failed", "decompression bomb")),
        "too_many_pages.pdf": (pdf_pages([f"Page {n}" for n in range(25)]), Expected("failed", "too many pages: 25")),
        "too_large.txt": (CONTRACT.encode() * 30_000, Expected("failed", "file too large")),
        # Content that does not match its name
        "program.pdf": (
            b"MZ\x90\x00" + b"\x00" * 100,
            Expected("failed", "the name says .pdf but the content is a Windows"),
        ),
        "program.docx": (b"\x7fELF\x02\x01" + b"\x00" * 100, Expected("failed", "content is a Linux executable")),
        "archive.txt": (gzip.compress(CONTRACT.encode(), mtime=0), Expected("failed", "content is a gzip archive")),
        "plain_zip.txt": (zipped({"a.txt": b"x"}), Expected("failed", "content is a ZIP archive")),
        "legacy.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, Expected("failed", "legacy Office file")),
        "rtf_named.txt": (b"{\\rtf1\\ansi " + CONTRACT.encode() + b"}", Expected("failed", "an RTF document")),
        "not_word.docx": (zipped({"hello.txt": b"hello"}), Expected("failed", "not a Word document")),
        "binary.txt": (bytes(range(256)), Expected("failed", "unsupported format: extension .txt")),
        "pdf_named.txt": (pdf_pages([CONTRACT + " (a PDF named .txt)"]), Expected("escalated", "rule")),
        "html_named.pdf": (f"<!DOCTYPE html><p>{CONTRACT}</p>".encode(), Expected("escalated", "rule")),
        # Text that cannot be read, or only by a machine
        "latin1.txt": ("Café agreement".encode("latin-1"), Expected("failed", "not UTF-8 (byte 3 is invalid)")),
        "utf16.txt": (CONTRACT.encode("utf-16"), Expected("escalated", "rule")),
        "scripts_only.html": (
            b"<html><script>alert(1)</script><style>p{}</style></html>",
            Expected("failed", "no text"),
        ),
        "deep_nesting.html": (b"<div>" * 50_000 + CONTRACT.encode() + b"</div>" * 10, Expected("escalated", "rule")),
        "blank_scan.pdf": (blank_scan_pdf(), Expected("failed", "no text found in pypdfium2")),
        "all_white.pdf": (
            pdf_pages([CONTRACT], white=True),
            Expected("failed", "only text a reader cannot see: white"),
        ),
        # An e-mail whose attachments (in ATTACHMENTS) become documents, one named to escape the store
        "with_attachments.eml": (
            email_bytes(CONTRACT, {"../../evil.pdf": b"%PDF-1.4 evil", "schedule.txt": b"Schedule A: fees."}),
            Expected("escalated", "rule"),
        ),
        # Odd names (the name shown is printable; the stored copy is named by its hash)
        "tab\tand\nnewline.txt": (f"{CONTRACT} (odd name)".encode(), Expected("escalated", "rule")),
        "-rf --no-preserve-root.txt": (f"{CONTRACT} (dash name)".encode(), Expected("escalated", "rule")),
        f"{'long' * 60}.txt": (f"{CONTRACT} (long name)".encode(), Expected("escalated", "rule")),
        "ünïcødé 合同.txt": (f"{CONTRACT} (unicode name)".encode(), Expected("escalated", "rule")),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: expected for name, (_, expected) in files.items()}
