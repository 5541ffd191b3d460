"""What a browser shows of an image: drawn onto a canvas filled with a background, read back losslessly.

Shared by the AVIF transparency test and ``benchmarks/avif_alpha.py``.
"""

from __future__ import annotations

import base64
import io

from PIL import Image

#: Draws a data: URL onto one canvas per background; returns the canvases as PNG data: URLs.
_DRAW = """async ([src, backgrounds]) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  return backgrounds.map((bg) => {
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = `rgb(${bg}, ${bg}, ${bg})`;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0);
    return canvas.toDataURL("image/png");
  });
}"""


def drawn_over(page, data: bytes, content_type: str, greys: list[int]) -> list[Image.Image]:
    """``data`` as ``page``'s browser draws it over each grey level in ``greys`` (RGB images)."""
    src = f"data:{content_type};base64," + base64.b64encode(data).decode()
    urls = page.evaluate(_DRAW, [src, greys])
    return [Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB") for url in urls]
