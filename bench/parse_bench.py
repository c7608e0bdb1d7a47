"""Parse speed, ms/page, side by side in one run: our parse stage vs raw pypdfium2, pypdf and
(when importable) unstructured's fast strategy.

    .venv/bin/python bench/parse_bench.py [--pdfs DIR] [--limit N] [--repeat R]
    /path/to/venv-with-unstructured/bin/python bench/parse_bench.py --unstructured-only

The stage's target is 1.2x raw pypdfium2: the hidden-text and decompression-bomb checks must stay
cheap. unstructured is never a dependency (it needs torch for PDFs and a spaCy model offline);
run it from a throwaway venv with `--unstructured-only` and compare the printed ms/page.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_PDFS = Path("/work/shared/data/cuad-dev/pdf")


def raw_pypdfium2(data: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    pages = len(pdf)
    for index in range(pages):
        page = pdf[index]
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    pdf.close()
    return pages


def _has_text_layer(data: bytes) -> list[bool]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    return [bool(pdf[i].get_textpage().get_text_range().strip()) for i in range(len(pdf))]


def our_stage(data: bytes) -> int:
    from pipeline.parse import ParseError, ParseOptions, parse_bytes

    try:
        return len(parse_bytes(data, "x.pdf", "bench", ParseOptions()).pages)
    except ParseError:
        return 0


def pypdf_text(data: bytes) -> int:
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    for page in reader.pages:
        page.extract_text()
    return len(reader.pages)


def unstructured_fast(data: bytes) -> int:
    import io

    from unstructured.partition.pdf import partition_pdf

    elements = partition_pdf(file=io.BytesIO(data), strategy="fast")
    return len({e.metadata.page_number for e in elements}) or 0


def measure(name: str, parse: Callable[[bytes], int], files: list[bytes], pages: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for data in files:
            parse(data)
        runs.append((time.perf_counter() - started) * 1000 / pages)
    best = min(runs)
    print(f"{name:<22} {best:8.2f} ms/page  (median {statistics.median(runs):.2f}, {repeat} runs)")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--limit", type=int, default=40, help="files (sorted by name)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unstructured-only", action="store_true")
    args = parser.parse_args()
    paths = sorted(p for p in args.pdfs.iterdir() if p.suffix.lower() == ".pdf")[: args.limit]
    files = [p.read_bytes() for p in paths]
    pages = sum(raw_pypdfium2(data) for data in files)  # also warms the file cache and pdfium
    print(f"{len(files)} PDFs, {pages} pages from {args.pdfs}")
    if args.unstructured_only:
        measure("unstructured fast", unstructured_fast, files, pages, 1)
        return
    candidates: list[tuple[str, Callable[[bytes], int], int]] = [
        ("raw pypdfium2", raw_pypdfium2, args.repeat),
        ("contractflow parse", our_stage, args.repeat),
        ("pypdf", pypdf_text, 1),
    ]
    results = {name: measure(name, parse, files, pages, repeat) for name, parse, repeat in candidates}
    # Pages without a text layer are OCR'd by our stage only (~1 s each): compare without them too.
    layered = [data for data in files if all(_has_text_layer(data))]
    layered_pages = sum(raw_pypdfium2(data) for data in layered)
    print(f"-- the {len(layered)} PDFs whose every page has a text layer ({layered_pages} pages):")
    for name, parse, repeat in candidates[:2]:
        results[f"{name}, text layer"] = measure(name, parse, layered, layered_pages, repeat)
    try:
        import unstructured  # noqa: F401

        results["unstructured fast"] = measure("unstructured fast", unstructured_fast, files, pages, 1)
    except ImportError:
        print("unstructured fast        not installed here (see --unstructured-only)")
    for suffix in ("", ", text layer"):
        ratio = results[f"contractflow parse{suffix}"] / results[f"raw pypdfium2{suffix}"]
        print(f"contractflow parse / raw pypdfium2{suffix} = {ratio:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
