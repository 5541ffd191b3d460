"""The four ways of making a variant that the benchmarks compare, and the cases they are compared on.

* ``imgedge``: ``imgedge.transform`` (the product).
* ``naive``: plain Pillow as most code does it: open, ``exif_transpose``, ``convert("RGB")``, full-size
  LANCZOS, save.
* ``libvips``: ``pyvips.Image.thumbnail_buffer`` (shrink-on-load, libvips' own reduce) + the same
  encoder settings (AVIF: at the speed imgedge spends on the original's costly plane, ``imgedge_avif_speed``).
* ``floor``: what no resizer can beat with Pillow: a JPEG DCT-scaled decode at the smallest of libjpeg's
  standard scales (1/8, 1/4, 1/2, 1) that still covers the output, a crop to the output size (no
  filtering at all) and the encode.

All four encode with ``imgedge.core.encode``'s settings for the format and quality of the case, so
bytes and PSNR compare like for like. Import this module only after the environment is set up
(``VIPS_CONCURRENCY`` must be set before pyvips loads).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageOps

from imgedge.core import encode as enc
from imgedge.core import palette


@dataclass(frozen=True)
class Case:
    name: str
    width: int
    fmt: str  # jpeg, webp, avif
    quality: int

    @property
    def query(self) -> str:
        return f"w={self.width}&fmt={self.fmt}&q={self.quality}"


#: The cases (encoder effort: WebP method and AVIF speed come from imgedge's settings, which the encoder
#: curves confirmed at 4 and 6). 2048 and 1920 px from 8-12 MP originals are the scales between 1/2 and 1,
#: where no DCT scale fits and the whole image is decoded.
CASES = {
    "640-jpeg-q80": Case("640-jpeg-q80", 640, "jpeg", 80),
    "1280-webp-q80": Case("1280-webp-q80", 1280, "webp", 80),
    "320-avif-q60": Case("320-avif-q60", 320, "avif", 60),
    "1080-avif-q60": Case("1080-avif-q60", 1080, "avif", 60),
    "2048-jpeg-q85": Case("2048-jpeg-q85", 2048, "jpeg", 85),
    "1920-jpeg-q85": Case("1920-jpeg-q85", 1920, "jpeg", 85),
}
IMPLS = ("imgedge", "libvips", "naive", "floor")


def imgedge_impl(data: bytes, case: Case) -> bytes:
    import imgedge

    return imgedge.transform(data, case.query).data


def pillow_save(image: Image.Image, case: Case) -> bytes:
    out = io.BytesIO()
    if case.fmt == "jpeg":
        image.save(out, "JPEG", **enc.jpeg_settings(case.quality))
    elif case.fmt == "webp":
        image.save(out, "WEBP", **enc.webp_settings(case.quality))
    elif case.fmt == "avif":
        image.save(out, "AVIF", **enc.avif_settings(case.quality))
    else:
        image.save(out, "PNG", optimize=False, compress_level=palette.PNG_LEVEL)
    return out.getvalue()


def naive_impl(data: bytes, case: Case) -> bytes:
    image = Image.open(io.BytesIO(data))
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGB")
    height = max(1, round(image.height * case.width / image.width))
    image = image.resize((case.width, height), Image.Resampling.LANCZOS)
    return pillow_save(image, case)


def vips_save(image, case: Case, avif_speed: int | None = None) -> bytes:
    """``image`` saved by libvips with imgedge's settings for ``case`` (AVIF at ``avif_speed`` if given)."""
    if case.fmt == "jpeg":
        s = enc.jpeg_settings(case.quality)
        return image.jpegsave_buffer(
            Q=s["quality"], optimize_coding=s["optimize"], interlace=s["progressive"],
            subsample_mode="off" if s["subsampling"] == "4:4:4" else "on", keep="none",
        )
    if case.fmt == "webp":
        s = enc.webp_settings(case.quality)
        return image.webpsave_buffer(Q=s["quality"], effort=s["method"], keep="none")
    if case.fmt == "avif":
        s = enc.avif_settings(case.quality)
        # libheif's aom "speed" is 9 - effort; the same chroma. libvips' ``tune`` stays libheif's ``auto``,
        # aom's IQ tuning, which costs 0.9-1.4x imgedge's SSIM tuning (RESULTS.md, "What libheif asks aom for")
        return image.heifsave_buffer(Q=s["quality"], effort=9 - (avif_speed or s["speed"]), compression="av1",
                                     subsample_mode="off" if s.get("subsampling") == "4:4:4" else "on",
                                     bitdepth=8, keep="none")
    return image.pngsave_buffer(compression=palette.PNG_LEVEL, keep="none")


def vips_thumbnail(data: bytes, width: int):
    """libvips' ``thumbnail`` as a colour-correct user calls it: an original whose embedded profile is not
    sRGB is converted to sRGB (``export_profile``), as imgedge and sharp do; without it libvips strips the
    profile and keeps the numbers, which shows wrong colours and skips work imgedge does."""
    import pyvips

    from imgedge.core import colour

    header = pyvips.Image.new_from_buffer(data, "")
    profile = header.get("icc-profile-data") if header.get_typeof("icc-profile-data") else None
    options = {"export_profile": "srgb"} if profile and not colour.is_srgb(bytes(profile)) else {}
    return pyvips.Image.thumbnail_buffer(data, width, height=10_000_000, size="down", **options)


def libvips_impl(data: bytes, case: Case) -> bytes:
    speed = imgedge_avif_speed(data, case.width, case.quality) if case.fmt == "avif" else None
    return vips_save(vips_thumbnail(data, case.width), case, avif_speed=speed)


@lru_cache(maxsize=16)
def imgedge_avif_speed(data: bytes, width: int, quality: int) -> int:
    """The aom speed imgedge's AVIF of ``data`` spends on its costly plane, for libvips to encode at (one
    speed for every plane): a one-colour graphic's alpha is nearly its whole file and goes at
    ``encode.AVIF_GRAPHIC_ALPHA_SPEED`` (its colour planes are flat), anything else at ``encode.AVIF_SPEED``.
    Found by watching imgedge's own encoder settings once per original and width (the benchmark's warm-up
    round), never inside a timed call."""
    import imgedge

    seen: list[int | None] = []
    real = enc.avif_settings

    def watched(*args, **kwargs):
        seen.append(kwargs.get("alpha_speed"))
        return real(*args, **kwargs)

    enc.avif_settings = watched
    try:
        imgedge.transform(data, f"w={width}&fmt=avif&q={quality}")
    finally:
        enc.avif_settings = real
    return (seen[-1] if seen else None) or enc.AVIF_SPEED


def floor_impl(data: bytes, case: Case) -> bytes:
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    out = (case.width, max(1, round(height * case.width / width)))
    if image.format == "JPEG":
        scale = floor_scale((width, height), case)
        image.draft(None, (width // scale, height // scale))  # Pillow then picks exactly 1/scale
    image = image.convert("RGB") if image.mode != "RGB" else image
    return pillow_save(image.crop((0, 0, *out)), case)


IMPL_FUNCS = {"imgedge": imgedge_impl, "libvips": libvips_impl, "naive": naive_impl, "floor": floor_impl}


def floor_scale(size: tuple[int, int], case: Case) -> int:
    out_h = max(1, round(size[1] * case.width / size[0]))
    scale = min(size[0] // case.width, size[1] // out_h)
    return next(s for s in (8, 4, 2, 1) if scale >= s)
