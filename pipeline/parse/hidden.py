"""Text a reader of a PDF cannot see: white or transparent fill, a font under ~1 pt, off the page.

Such text is how a document smuggles words past a person to a model. The check is built to stay
cheap: one bulk call tells whether any text lies off the page (else no box is looked at), one look
at each text object (a few per line) decides whether a page has suspects at all, and only then
are its characters mapped to those objects.
"""

from __future__ import annotations

import bisect
import ctypes
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.models import Span

NEAR_WHITE = 245  # each of R, G, B at or above this on the usual white page
MIN_FONT_PT = 1.0
EDGE_PT = 1.0  # glyph boxes may overhang the page edge a little
_FILL_MODES = {0, 2, 4, 6}  # render modes that paint the glyphs' fill (3 is OCR's invisible layer)
_STROKE_MODES = {1, 5}
_PARTLY_OUTSIDE = "partly outside"  # decided per character

Box = tuple[float, float, float, float]  # left, bottom, right, top
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _address(obj: Any) -> int:
    return ctypes.cast(obj, ctypes.c_void_p).value or 0


def _then(inner: Matrix, outer: Matrix) -> Matrix:
    """`inner` followed by `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


class _Inspector:
    """Reads text objects through ctypes buffers allocated once per page, not once per call."""

    def __init__(self, box: Box, check_bounds: bool) -> None:
        self.box = box
        self.check_bounds = check_bounds
        self.rgba = [ctypes.c_uint() for _ in range(4)]
        self.size = ctypes.c_float()
        self.edges = [ctypes.c_float() for _ in range(4)]
        self.matrix = pdfium_c.FS_MATRIX()

    def form_matrix(self, obj: Any, outer: Matrix) -> Matrix:
        m = self.matrix
        return _then((m.a, m.b, m.c, m.d, m.e, m.f), outer) if pdfium_c.FPDFPageObj_GetMatrix(obj, m) else outer

    def reason(self, obj: Any, to_page: Matrix) -> str | None:
        mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
        if mode in _FILL_MODES or mode in _STROKE_MODES:
            getter = pdfium_c.FPDFPageObj_GetStrokeColor if mode in _STROKE_MODES else pdfium_c.FPDFPageObj_GetFillColor
            r, g, b, a = self.rgba
            getter(obj, r, g, b, a)
            if a.value == 0:
                return "transparent text"
            if min(r.value, g.value, b.value) >= NEAR_WHITE:
                return "white text"
        if pdfium_c.FPDFTextObj_GetFontSize(obj, self.size) and 0 < self.size.value < MIN_FONT_PT:
            return f"font size {self.size.value:.2g} pt"
        return self.outside(obj, to_page) if self.check_bounds else None

    def outside(self, obj: Any, to_page: Matrix) -> str | None:
        left, bottom, right, top = self.edges
        if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            return None
        # Objects inside a form report their bounds in the form's space.
        a, b, c, d, e, f = to_page
        corners = [(x, y) for x in (left.value, right.value) for y in (bottom.value, top.value)]
        xs = [a * x + c * y + e for x, y in corners]
        ys = [b * x + d * y + f for x, y in corners]
        x0, y0, x1, y1 = self.box
        if max(xs) <= x0 or min(xs) >= x1 or max(ys) <= y0 or min(ys) >= y1:
            return "outside the page"
        if min(xs) < x0 - EDGE_PT or max(xs) > x1 + EDGE_PT or min(ys) < y0 - EDGE_PT or max(ys) > y1 + EDGE_PT:
            return _PARTLY_OUTSIDE
        return None


def _suspects(page: pdfium.PdfPage, inspector: _Inspector) -> dict[int, str]:
    """Text objects a reader may not see, by address; form XObjects are looked into."""
    found: dict[int, str] = {}
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    pending = [(pdfium_c.FPDFPage_GetObject(page.raw, i), IDENTITY) for i in range(count)]
    while pending:
        obj, to_page = pending.pop()
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            inner = inspector.form_matrix(obj, to_page)
            count = pdfium_c.FPDFFormObj_CountObjects(obj)
            pending.extend((pdfium_c.FPDFFormObj_GetObject(obj, i), inner) for i in range(count))
        elif kind == pdfium_c.FPDF_PAGEOBJ_TEXT and (reason := inspector.reason(obj, to_page)) is not None:
            found[_address(obj)] = reason
    return found


def _char_outside(textpage: pdfium.PdfTextPage, index: int, box: Box) -> bool:
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    if not pdfium_c.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top):
        return False
    x0, y0, x1, y1 = box
    return right.value <= x0 or left.value >= x1 or top.value <= y0 or bottom.value >= y1


def page_text(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> tuple[str, list[Span]]:
    """The page's text (one newline per line break) and its hidden spans, as offsets into that text."""
    raw = textpage.get_text_range()
    text = raw.replace("\r\n", "\n")
    box = page.get_bbox()  # crop box within media box, inherited ones included
    x0, y0, x1, y1 = box
    # Bulk: how much text lies within the page; all of it means no box needs a look.
    on_page = pdfium_c.FPDFText_GetBoundedText(textpage.raw, x0, y1, x1, y0, None, 0)
    suspects = _suspects(page, _Inspector(box, check_bounds=on_page < len(raw)))
    if not suspects:
        return text, []
    # Character index -> offset in `text`: pdfium's text index, less the "\r" of each CRLF before it.
    crlf = [i for i in range(len(raw) - 1) if raw[i] == "\r" and raw[i + 1] == "\n"]
    marks: list[tuple[int, str]] = []
    for index in range(textpage.count_chars()):
        reason = suspects.get(_address(pdfium_c.FPDFText_GetTextObject(textpage.raw, index)))
        if reason == _PARTLY_OUTSIDE:
            reason = "outside the page" if _char_outside(textpage, index, box) else None
        if reason is None:
            continue
        offset = pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage.raw, index)
        if offset >= 0:
            marks.append((offset - bisect.bisect_left(crlf, offset), reason))
    return text, _merge(marks, text)


def _merge(marks: list[tuple[int, str]], text: str) -> list[Span]:
    """Adjacent hidden characters with one reason make one span; whitespace between them joins."""
    spans: list[list[Any]] = []  # start, end, reason
    for offset, reason in marks:
        if spans and spans[-1][2] == reason and not text[spans[-1][1] : offset].strip():
            spans[-1][1] = offset + 1
        else:
            spans.append([offset, offset + 1, reason])
    return [Span(start=start, end=end, reason=reason) for start, end, reason in spans]
