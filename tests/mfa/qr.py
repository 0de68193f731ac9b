"""Reading a QR code the way a phone's camera does: from pixels, with zxing-cpp."""

import base64
import re

import zxingcpp
from PIL import Image, ImageDraw

SCALE = 8


def svg_from_data_uri(uri: str) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :]).decode()


def rasterise(svg: str) -> Image.Image:
    """Draw the qrcode library's SVG (a viewBox and one path of unit squares) as pixels."""
    width, height = (int(n) for n in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    image = Image.new("L", (width * SCALE, height * SCALE), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x, y, x2, y2 in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)", path):
        x, y, x2, y2 = int(x), int(y), int(x2), int(y2)
        draw.rectangle([x * SCALE, y * SCALE, x2 * SCALE - 1, y2 * SCALE - 1], fill=0)
    return image


def read_qr(image: Image.Image) -> str:
    (barcode,) = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


def qr_text_from_page(html: str) -> str:
    """The text held by the page's <img alt="QR code">."""
    uri = re.search(r'<img[^>]*src="(data:image/svg\+xml;base64,[^"]+)"[^>]*alt="QR code"', html)
    assert uri, "no QR code image on the page"
    return read_qr(rasterise(svg_from_data_uri(uri.group(1))))
