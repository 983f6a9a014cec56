"""Reading posters the way a phone would: an independent QR decoder (zxing-cpp)
over the PNG, or over a PDF page rasterised by an independent renderer (PDFium)."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from tests.factories import at_post

START = "/api/mp/v1/shifts"


def codes_in(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def scan_png(data: bytes) -> str:
    """The text of the one QR code on a poster PNG."""
    found = codes_in(Image.open(io.BytesIO(data)))
    assert len(found) == 1, f"expected one QR code on the poster, found {len(found)}"
    return found[0]


def scan_pdf(data: bytes) -> list[str]:
    """The text of the one QR code on each page, in page order."""
    pdf = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in pdf:
            found = codes_in(page.render(scale=150 / 72).to_pil())
            assert len(found) == 1, f"expected one QR code on page {len(texts) + 1}, found {len(found)}"
            texts.append(found[0])
        return texts
    finally:
        pdf.close()


def pdf_page_sizes_mm(data: bytes) -> list[tuple[int, int]]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [tuple(round(v / 72 * 25.4) for v in page.get_size()) for page in pdf]
    finally:
        pdf.close()


def start_shift(client, headers: dict, post, scanned: str):
    """A volunteer standing at ``post`` scans ``scanned``; the API's response."""
    return client.post(START, headers=headers, json=at_post(post, qr=scanned))
