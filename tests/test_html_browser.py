"""The HTML report as a person sees it: headless Chromium draws the demo's page into a PNG.

The PNG must have the window's size, must not be blank (the funnel's blue is
there, and a real share of the page is not white), and the browser must log no
console message (an error, an uncaught exception). Control pages show that each
check can fail. Skipped, with the reason, where Chromium is not installed (Debian's
`chromium` package; .ci/run installs it when it can).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from terminal_helpers import DEMO, ROOT

from pipecli.render.html import BLUE

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it as root)",
)
WINDOW = (1000, 1400)
SCREENSHOT = ROOT / "docs" / "report.png"
CONSOLE = re.compile(r":CONSOLE[(:]|Uncaught|console\.error", re.I)


def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, the rows of pixels and bytes per pixel of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(chunk)
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind_, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind_ == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind_ == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind_ == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif kind_ == 4:
            for i in range(stride):
                a, b = (line[i - bpp] if i >= bpp else 0), prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def colours(png: bytes) -> tuple[tuple[int, int], Counter[tuple[int, ...]]]:
    """The picture's size and how many pixels have each colour."""
    width, height, rows, bpp = decode_png(png)
    counts: Counter[tuple[int, ...]] = Counter()
    for row in rows:
        counts.update(tuple(row[i : i + 3]) for i in range(0, len(row), bpp))
    return (width, height), counts


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def shoot(page: Path, png: Path, tmp: Path, size: tuple[int, int] = WINDOW) -> list[str]:
    """Draw ``page`` into ``png`` with headless Chromium; the console messages it logged."""
    assert CHROMIUM is not None
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={tmp / 'chromium-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={png}",
        f"--window-size={size[0]},{size[1]}",
        page.as_uri(),
    ]
    r = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=120)
    assert r.returncode == 0 and png.exists(), r.stderr[-2000:]
    return [line for line in r.stderr.splitlines() if CONSOLE.search(line)]


def not_blank(counts: Counter[tuple[int, ...]]) -> bool:
    total = sum(counts.values())
    background = counts.most_common(1)[0][1]
    return len(counts) > 20 and (total - background) / total > 0.02


@needs_chromium
def test_the_checks_catch_a_console_error_and_a_blank_page(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p>x</p><script>console.error("oops"); missing()</script>', encoding="utf-8")
    errors = shoot(bad, tmp_path / "bad.png", tmp_path, (400, 300))
    assert any("oops" in e for e in errors) and any("Uncaught" in e for e in errors), errors
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    assert shoot(blank, tmp_path / "blank.png", tmp_path, (400, 300)) == []
    size, counts = colours((tmp_path / "blank.png").read_bytes())
    assert size == (400, 300) and not not_blank(counts)


@needs_chromium
def test_chromium_draws_the_demo_report_without_errors(tmp_path: Path, run_pipe: Any) -> None:
    page = tmp_path / "report.html"
    r = run_pipe("-C", str(DEMO), "report", "--as-of", "2026-11-20", "--format", "html", "-o", str(page))
    assert r.returncode == 0, r.stderr
    png = tmp_path / "report.png"
    assert shoot(page, png, tmp_path) == []
    size, counts = colours(png.read_bytes())
    assert size == WINDOW
    assert not_blank(counts)
    assert counts[rgb(BLUE)] > 2000  # the funnel's bars are drawn
    assert counts.most_common(1)[0][0] == (255, 255, 255)  # on a white page


@needs_chromium
def test_the_stale_page_draws_without_errors(tmp_path: Path, run_pipe: Any) -> None:
    page = tmp_path / "stale.html"
    r = run_pipe("-C", str(DEMO), "stale", "--as-of", "2026-11-20", "--format", "html", "-o", str(page))
    assert r.returncode == 0, r.stderr
    png = tmp_path / "stale.png"
    assert shoot(page, png, tmp_path, (1000, 800)) == []
    size, counts = colours(png.read_bytes())
    assert size == (1000, 800) and not_blank(counts)


def test_the_screenshot_in_docs_is_the_demo_report() -> None:
    """docs/report.png, which README shows, is a drawing of the demo's page (made by examples/screenshot.sh)."""
    size, counts = colours(SCREENSHOT.read_bytes())
    assert size == WINDOW and not_blank(counts)
    assert counts[rgb(BLUE)] > 2000
    assert "](docs/report.png)" in (ROOT / "README.md").read_text(encoding="utf-8")


@needs_chromium
def test_the_report_prints(tmp_path: Path, run_pipe: Any) -> None:
    page = tmp_path / "report.html"
    assert (
        run_pipe("-C", str(DEMO), "report", "--as-of", "2026-11-20", "--format", "html", "-o", str(page)).returncode
        == 0
    )
    pdf = tmp_path / "report.pdf"
    assert CHROMIUM is not None
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]  # fmt: skip
    r = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2  # the whole report, over several pages
