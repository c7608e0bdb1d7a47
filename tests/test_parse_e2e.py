"""Every format through the real queue: `contractflow run` with its embedded worker."""

from __future__ import annotations

import html
import io
import json
from email.message import EmailMessage
from pathlib import Path

import docx

from pipeline.store import ParsedRow, session
from tests.fake_openai import FakeOpenAI, load_expected
from tests.test_parse import OCR_TEXT, image_file, scan_of, scanned_pdf
from tests.test_run_e2e import SAMPLES, contractflow, environment

STEM = "04_consulting_fixed_term"
TEXT = (SAMPLES / f"{STEM}.txt").read_text(encoding="utf-8")


def docx_of(text: str) -> bytes:
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def email_of(text: str, attachment: bytes) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Consulting agreement"
    message.set_content(text)
    message.add_attachment(attachment, maintype="text", subtype="html", filename="copy.html")
    return message.as_bytes()


def test_every_format_reaches_the_end(tmp_path: Path, home: Path, model: FakeOpenAI) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    page = "".join(f"<p>{html.escape(line)}</p>" for line in TEXT.splitlines())
    readable = {
        "contract.html": f"<!DOCTYPE html><html><body>{page}</body></html>".encode(),
        "contract.docx": docx_of(TEXT),
        "contract.eml": email_of(TEXT, f"<html><body><div>{page}</div></body></html>".encode()),
        "contract.txt": TEXT.encode(),
    }
    scan = scan_of(OCR_TEXT)
    scans = {
        "scan.png": image_file("PNG", scan),
        "scan.jpg": image_file("JPEG", scan),
        "scan.tiff": image_file("TIFF", scan),
        "scan.pdf": scanned_pdf(scan),
    }
    for name, data in {**readable, **scans}.items():
        (inbox / name).write_bytes(data)

    result = contractflow(environment(home, model), "run", str(inbox), "--json")

    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = {d["file"]: d for d in json.loads(result.stdout)["documents"]}
    assert set(outcomes) == {*readable, *scans, "copy.html"}
    expected = load_expected(SAMPLES)[STEM]
    for name in [*readable, "copy.html"]:
        assert outcomes[name]["status"] == "posted", (name, outcomes[name]["reason"])
        assert outcomes[name]["fields"] == expected["fields"], name
    with session(f"sqlite:///{home / 'state.db'}") as db:
        for name in scans:
            # OCR'd text is not exact enough for every quote: terminal, and read, is what counts here.
            assert outcomes[name]["status"] in {"posted", "escalated"}, (name, outcomes[name]["reason"])
            parsed = db.get_one(ParsedRow, outcomes[name]["id"])
            assert OCR_TEXT in parsed.payload["pages"][0]["text"], name
