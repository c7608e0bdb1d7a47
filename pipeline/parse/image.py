from __future__ import annotations

import io
import warnings

from PIL import Image, ImageSequence, UnidentifiedImageError

from pipeline.models import Page
from pipeline.parse.base import ParseError, ParseOptions
from pipeline.parse.ocr import ocr


class ImageBackend:
    """A scanned page as PNG, JPEG or TIFF, through tesseract; each TIFF frame is a page."""

    name = "tesseract"

    def __init__(self, media_type: str, *magic: bytes) -> None:
        self.media_type = media_type
        self.magic = magic

    def accepts(self, data: bytes, filename: str) -> bool:
        return data.startswith(self.magic)

    def parse(self, data: bytes, options: ParseOptions) -> list[Page]:
        try:
            with warnings.catch_warnings():
                # Our own pixel limit below is the check; Pillow's warning would only repeat it.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ParseError(f"decompression bomb: {exc}") from exc
        except UnidentifiedImageError as exc:
            raise ParseError("unreadable image: damaged, or not the image its signature says") from exc
        except OSError as exc:
            raise ParseError(f"unreadable image ({exc})") from exc
        frames = getattr(image, "n_frames", 1)
        options.check_pages(frames)
        pages = []
        try:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                width, height = frame.size
                options.check_decompressed(width * height * 4, f"image {number} ({width}x{height} pixels)")
                frame.load()
                pages.append(Page(number=number, text=ocr(frame.convert("RGB"), options)))
        except (OSError, SyntaxError, Image.DecompressionBombError) as exc:  # how Pillow reports truncation
            raise ParseError(f"unreadable image ({exc})") from exc
        return pages
