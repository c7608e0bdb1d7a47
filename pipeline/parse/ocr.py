"""OCR with the tesseract binary (Debian `tesseract-ocr`), one page image at a time."""

from __future__ import annotations

import io
import shutil
import subprocess

from PIL import Image

from pipeline.parse.base import ParseError, ParseOptions


def ocr(image: Image.Image, options: ParseOptions) -> str:
    binary = shutil.which("tesseract")
    if binary is None:
        raise ParseError("this page is a scan and needs OCR: install tesseract (apt-get install -y tesseract-ocr)")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    try:
        result = subprocess.run(
            [binary, "stdin", "stdout", "-l", options.ocr_languages, "--dpi", str(options.ocr_dpi)],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=options.ocr_timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ParseError(f"OCR took longer than {options.ocr_timeout_s:.0f} s on one page (ocr_timeout_s)") from exc
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise ParseError(f"OCR failed: {detail[0]}")
    # tesseract ends each page with a form feed; the page break is ours to make.
    return result.stdout.decode("utf-8", errors="replace").replace("\f", "").strip()
