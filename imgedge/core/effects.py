"""Effects on the resampled image: colour adjustments, blur, sharpen, background and padding.

They run on the small image (after the resample), in this order: brightness, contrast, saturation,
grayscale, blur, sharpen; then the background (``bg``) goes under any transparency and the ``contain``
canvas is laid out. Every step keeps the image in L, LA, RGB or RGBA and leaves alpha alone (colour
steps work on the colour bands only; blur and sharpen work premultiplied, so transparent pixels never
bleed their hidden colour into the edges).

URL scales (the README's table): ``bri``/``con``/``sat`` -100..100 with 0 unchanged (-100: black / flat
grey / no colour; +100: twice as bright / contrasty / saturated), as imgix and thumbor count them;
``blur`` is the Gaussian's standard deviation in output pixels (1..250, Cloudflare's range);
``sharpen`` 0.5..10 is an unsharp mask of radius 1 px and strength 50 % per unit (Cloudflare's scale:
about 1 suits downscaled photos).
"""

from __future__ import annotations

from PIL import Image, ImageEnhance, ImageFilter

#: Unsharp mask strength per unit of ``sharpen`` (percent) and its radius (px).
SHARPEN_PERCENT_PER_UNIT = 50
SHARPEN_RADIUS = 1.0
#: Background of a ``contain`` canvas when the request names none: white, or transparent for images with
#: alpha (the encoder flattens onto white for formats without alpha).
DEFAULT_CANVAS = (255, 255, 255, 255)


def rgba(colour: str) -> tuple[int, int, int, int]:
    """``rrggbb`` / ``rrggbbaa`` (canonical, from the spec) as an RGBA tuple."""
    channels = [int(colour[i:i + 2], 16) for i in range(0, len(colour), 2)]
    return (channels[0], channels[1], channels[2], channels[3] if len(channels) == 4 else 255)


def adjust(image: Image.Image, *, brightness: int = 0, contrast: int = 0, saturation: int = 0,
           grayscale: bool = False) -> Image.Image:
    """Brightness, contrast and saturation (-100..100), then grayscale, on the colour bands only."""
    if not (brightness or contrast or saturation or grayscale):
        return image
    colour, alpha = _split_alpha(image)
    if brightness:
        colour = ImageEnhance.Brightness(colour).enhance(1 + brightness / 100)
    if contrast:
        colour = ImageEnhance.Contrast(colour).enhance(1 + contrast / 100)
    if saturation and colour.mode == "RGB":
        colour = ImageEnhance.Color(colour).enhance(1 + saturation / 100)
    if grayscale and colour.mode != "L":
        colour = colour.convert("L")
    return _merge_alpha(colour, alpha)


def blur(image: Image.Image, sigma: float) -> Image.Image:
    """A Gaussian blur of standard deviation ``sigma`` output pixels (premultiplied when there is alpha)."""
    if sigma <= 0:
        return image
    return _premultiplied(image, ImageFilter.GaussianBlur(sigma))


def sharpen(image: Image.Image, amount: float) -> Image.Image:
    """An unsharp mask: ``amount`` x 50 % at a 1 px radius (no threshold)."""
    if amount <= 0:
        return image
    mask = ImageFilter.UnsharpMask(radius=SHARPEN_RADIUS, percent=round(amount * SHARPEN_PERCENT_PER_UNIT),
                                   threshold=0)
    return _premultiplied(image, mask)


#: An opaque ``flatten`` composites this many bytes of rows at a time into its result, so it holds the
#: result and one strip besides its input, not the input's size three times over (a composited RGBA copy,
#: the input converted, the result): 32 MiB less for a 2048 px JPEG from a transparent original.
FLATTEN_STRIP_BYTES = 1024 * 1024


def flatten(image: Image.Image, colour: str | None) -> Image.Image:
    """``image`` over a solid ``colour`` (``bg``): transparency is filled; the result keeps an alpha
    channel only when the colour itself is not opaque. No colour: ``image`` itself."""
    if colour is None or image.mode not in ("LA", "RGBA"):
        return image
    fill = rgba(colour)
    if fill[3] != 255:
        base = Image.new("RGBA", image.size, fill)
        base.alpha_composite(image if image.mode == "RGBA" else image.convert("RGBA"))
        return base
    mode = "L" if image.mode == "LA" and fill[0] == fill[1] == fill[2] else "RGB"
    out = Image.new(mode, image.size)
    width, height = image.size
    rows = max(1, FLATTEN_STRIP_BYTES // (width * 4))
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        base = Image.new("RGBA", strip.size, fill)
        base.alpha_composite(strip if strip.mode == "RGBA" else strip.convert("RGBA"))
        out.paste(base.convert(mode), (0, top))
    return out


def pad(image: Image.Image, canvas: tuple[int, int] | None, offset: tuple[int, int] | None,
        colour: str | None) -> Image.Image:
    """Lay ``image`` on a ``canvas``-sized board at ``offset`` (centred when None). The board is
    ``colour``, else transparent for images with alpha and white otherwise. No canvas (every fit but
    ``contain`` with a box of another shape): ``image`` itself."""
    if canvas is None:
        return image
    if offset is None:
        offset = ((canvas[0] - image.width) // 2, (canvas[1] - image.height) // 2)
    has_alpha = image.mode in ("LA", "RGBA")
    fill = rgba(colour) if colour is not None else ((0, 0, 0, 0) if has_alpha else DEFAULT_CANVAS)
    if fill[3] == 255 and not has_alpha:
        mode = "L" if image.mode == "L" and fill[0] == fill[1] == fill[2] else "RGB"
        board = Image.new(mode, canvas, fill[0] if mode == "L" else fill[:3])
        board.paste(image if image.mode == mode else image.convert(mode), offset)
        return board
    board = Image.new("RGBA", canvas, fill)
    board.alpha_composite(image.convert("RGBA"), offset)
    return board


def _split_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    if image.mode == "RGBA":
        return image.convert("RGB"), image.getchannel("A")
    if image.mode == "LA":
        return image.convert("L"), image.getchannel("A")
    return image, None


def _merge_alpha(colour: Image.Image, alpha: Image.Image | None) -> Image.Image:
    if alpha is None:
        return colour
    merged = colour.convert("LA" if colour.mode == "L" else "RGBA")
    merged.putalpha(alpha)
    return merged


def _premultiplied(image: Image.Image, image_filter: ImageFilter.Filter) -> Image.Image:
    if image.mode == "RGBA":
        return image.convert("RGBa").filter(image_filter).convert("RGBA")
    if image.mode == "LA":
        return image.convert("La").filter(image_filter).convert("LA")
    return image.filter(image_filter)
