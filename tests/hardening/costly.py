"""Hostile-but-valid originals that are expensive to serve, and the unsigned URLs that make them so.

Shared by ``tests/hardening/test_cost_bounds.py`` (correctness under a CI budget) and
``benchmarks/bounded_generation.py`` (wall time, CPU and memory under the default config). Every original
is built here, deterministically and offline, from the real photos in fixtures/photos: scaled, cropped or
tiled up, never a flat gradient, because flat pixels compress, resample and encode far faster than a
photo and would hide the cost being measured. Every one stays inside the default source limits
(``max_source_bytes``, ``max_source_pixels``, ``max_frames``, ``max_animated_pixels``): a file refused by
a header check is cheap, and cheap is not what this corpus is for.

Building the 100 MP originals takes seconds, so ``OriginalCache`` writes each one once to a directory
(a pytest session's temp dir, or the benchmark's cache) and reads it from there afterwards.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageCms

from imgedge.config import Config
from imgedge.edge import viewer_request
from imgedge.edge.cloudfront import VIEWER_URL_HEADER, header
from tests import events

PHOTOS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "photos"
SEED = 20240611
#: Bump when a builder changes, so a cache directory never serves an original built by older code.
BUILD_VERSION = 1


@lru_cache(maxsize=None)
def _photo(name: str) -> Image.Image:
    image = Image.open(PHOTOS / name)
    image.load()
    return image


def _encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


# --------------------------------------------------------------------------------------- ICC profiles


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _desc_tag(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67)


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def matrix_trc_profile(description: str, red: tuple[float, float, float], green: tuple[float, float, float],
                       blue: tuple[float, float, float], gamma: float) -> bytes:
    """An ICC v2 RGB display profile (primaries as D50 XYZ colorants, one gamma curve), written by hand:
    Pillow's ImageCms can only create sRGB, Lab and XYZ profiles, and no wide-gamut profile ships here."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))
    tags = [(b"desc", _desc_tag(description)), (b"cprt", b"text\0\0\0\0" + b"No copyright, test data\0"),
            (b"wtpt", _xyz_tag(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz_tag(*red)), (b"gXYZ", _xyz_tag(*green)),
            (b"bXYZ", _xyz_tag(*blue)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += _pad4(data)
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 6, 11, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + _s15f16(0.9642) + _s15f16(1.0) + _s15f16(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


@lru_cache(maxsize=1)
def wide_gamut_profile() -> bytes:
    """An Adobe RGB (1998)-style profile: the camera wide gamut, whose greens lie far outside sRGB."""
    return matrix_trc_profile("imgedge test wide-gamut RGB (Adobe RGB 1998 primaries)",
                              (0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087),
                              (0.14919, 0.06322, 0.74457), 563 / 256)


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# ------------------------------------------------------------------------------------------- builders


def animated_gif(frames: int = 90, side: int = 1000) -> bytes:
    """``frames`` frames of ``side`` x ``side``: a window panning and zooming across a 20 MP photo, so
    every frame differs (no frame-diff shortcut); one shared palette so the build takes seconds."""
    source = _photo("nuthatch-20mp.jpg").convert("RGB")
    palette = source.resize((600, 338)).quantize(256, method=Image.Quantize.MEDIANCUT)
    width, height = source.size
    rng = np.random.default_rng(SEED)
    out = []
    for i in range(frames):
        crop = int(side * (1.6 + 0.8 * (i % 15) / 15))
        x = int((width - crop) * i / max(1, frames - 1))
        y = int(rng.integers(0, height - crop))
        frame = source.crop((x, y, x + crop, y + crop)).resize((side, side), Image.Resampling.BILINEAR)
        out.append(frame.quantize(palette=palette, dither=Image.Dither.NONE))
    return _encoded(out[0], "GIF", save_all=True, append_images=out[1:], duration=40, loop=0, optimize=False)


def rgba_png(size: tuple[int, int] = (4800, 3000)) -> bytes:
    """~14 MP RGBA PNG: a photo upscaled, with an alpha that varies everywhere (a seeded radial falloff
    modulated by the photo's own luminance), so nothing is flat and every pixel needs premultiplying."""
    photo = _photo("lake-boats-4mp.jpg").convert("RGB").resize(size, Image.Resampling.BICUBIC)
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = np.random.default_rng(SEED).uniform(0.3, 0.7, 2) * (width, height)
    radial = 1 - np.hypot((xx - cx) / width, (yy - cy) / height) * 1.4
    luma = np.asarray(photo.convert("L"), dtype=np.float32) / 255
    alpha = np.clip(255 * (0.25 + 0.5 * radial + 0.25 * luma), 0, 255).astype(np.uint8)
    image = photo.convert("RGBA")
    image.putalpha(Image.fromarray(alpha, "L"))
    return _encoded(image, "PNG", compress_level=1)


def progressive_jpeg(size: tuple[int, int] = (6000, 4000), photo: str = "nuthatch-20mp.jpg",
                     icc: bytes | None = None) -> bytes:
    """A photo upscaled to ``size`` (24 MP by default), saved progressive: libjpeg must buffer every
    coefficient of a progressive scan before it can emit a row, and cannot skip work for a small output
    the way it can with a baseline file."""
    image = _photo(photo).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    params = {"icc_profile": icc} if icc else {}
    return _encoded(image, "JPEG", quality=90, progressive=True, **params)


def wide_gamut_jpeg() -> bytes:
    """24 MP progressive JPEG tagged with a wide-gamut profile: every output pixel goes through LittleCMS."""
    return progressive_jpeg((6000, 4000), "forest-path-4mp.jpg", icc=wide_gamut_profile())


def palette_png_100mp(side: int = 10_000, tile: int = 40) -> bytes:
    """A 10000 x 10000 palette PNG with per-index transparency and a wide-gamut ICC profile, about one
    MB on disk: a 250 px photo quantised to 256 colours and enlarged 40x, rows repeated. Small in bytes,
    100 MP (400 MB as RGBA) once decoded: the decompression-bomb shape the byte limit cannot catch."""
    small = _photo("astronaut-face.png").convert("RGB").resize((side // tile, side // tile), Image.Resampling.LANCZOS)
    image = small.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image = image.resize((side, side), Image.Resampling.NEAREST)
    alpha = bytes(np.random.default_rng(SEED).integers(0, 256, 256, dtype=np.uint8))
    return _encoded(image, "PNG", transparency=alpha, icc_profile=wide_gamut_profile(), compress_level=6)


def grey16_png_100mp(side: int = 10_000, factor: int = 4) -> bytes:
    """A 10000 x 10000 16-bit greyscale PNG: a greyscale photo enlarged ``factor`` x with seeded
    low-order bits, so every sample really uses 16 bits (and 100 MP decode to 200 MB before any
    conversion)."""
    base = side // factor
    photo = _photo("architecture-grayscale-4mp.jpg").convert("L").resize((base, base), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(SEED).integers(0, 256, (base, base), dtype=np.uint16)
    small = np.asarray(photo, dtype=np.uint16) * 256 + noise
    big = np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)
    return _encoded(Image.fromarray(big), "PNG", compress_level=3)


def cmyk_jpeg_100mp(size: tuple[int, int] = (12_640, 7_900)) -> bytes:
    """A ~100 MP CMYK progressive JPEG (a photo upscaled and separated): four full-resolution components,
    no chroma subsampling, and Adobe's inverted-CMYK convention to undo on every pixel."""
    image = _photo("dune-grass-2mp.jpg").convert("RGB").resize(size, Image.Resampling.BILINEAR).convert("CMYK")
    return _encoded(image, "JPEG", quality=80, progressive=True)


@dataclass(frozen=True)
class Original:
    """A costly original: its bucket key, content type and deterministic builder."""

    name: str
    key: str
    content_type: str
    build: Callable[[], bytes] = field(repr=False, compare=False)
    note: str = ""


ORIGINALS: dict[str, Original] = {o.name: o for o in (
    Original("gif-90x1000", "costly/pan-90-frames.gif", "image/gif", animated_gif,
             "animated GIF, 90 frames of 1000x1000"),
    Original("rgba-png-14mp", "costly/lake-alpha-14mp.png", "image/png", rgba_png,
             "4800x3000 RGBA PNG, varying alpha"),
    Original("jpeg-24mp", "costly/nuthatch-24mp-progressive.jpg", "image/jpeg", progressive_jpeg,
             "6000x4000 progressive JPEG"),
    Original("wide-gamut-24mp", "costly/forest-24mp-adobergb.jpg", "image/jpeg", wide_gamut_jpeg,
             "6000x4000 progressive JPEG, Adobe RGB-style ICC"),
    Original("palette-png-100mp", "costly/astronaut-100mp-palette.png", "image/png", palette_png_100mp,
             "10000x10000 palette PNG, tRNS and wide-gamut ICC"),
    Original("grey16-png-100mp", "costly/architecture-100mp-16bit.png", "image/png", grey16_png_100mp,
             "10000x10000 16-bit greyscale PNG"),
    Original("cmyk-jpeg-100mp", "costly/dunes-100mp-cmyk.jpg", "image/jpeg", cmyk_jpeg_100mp,
             "12640x7900 CMYK progressive JPEG"),
)}

#: What the promise allows: the variant (inline, or stored and redirected to) or a precise refusal. A case
#: may narrow it (``Case.expect``); any status outside ``SERVED`` is a refusal, to be remembered.
SERVED = frozenset({200, 302})
REFUSED = frozenset({413, 422})
SERVED_OR_REFUSED = SERVED | REFUSED
#: ``fmt=json`` describes the original from its header and a thumbnail: a 200, or a refusal decided before
#: decoding (413 for memory, 422 for the cost model's time estimate); never a deadline's 422 after the
#: work was spent (``UP_FRONT_422`` tells the two apart by their reasons).
DESCRIBED = frozenset({200, 413, 422})
#: The cost model's refusal names the limit it would exceed; the deadline's says it ran out.
UP_FRONT_422 = "generation limit"


@dataclass(frozen=True)
class Case:
    """One unsigned viewer URL on one costly original, and the statuses the promise allows for it."""

    name: str
    original: str
    query: str
    expect: frozenset[int] = SERVED_OR_REFUSED
    note: str = ""


#: The red-team's URLs first (default config, unsigned), then variants on the same theme.
CASES: tuple[Case, ...] = (
    Case("gif-webp-q100", "gif-90x1000", "w=1000&fmt=webp&q=100",
         note="red team: 302 after render + 5 inline-fit re-encodes, 53-75 s, 550-650 MiB"),
    Case("png-rgba-avif-cover-enlarge-q100", "rgba-png-14mp", "w=3840&h=3840&fit=cover&enlarge=1&fmt=avif&q=100",
         note="red team: 200, 34-43 s, 600 MiB"),
    Case("jpeg-24mp-avif-q100", "jpeg-24mp", "w=3840&h=3840&fmt=avif&q=100", note="red team: 200, 32 s, 584 MiB"),
    Case("jpeg-24mp-smart-mb1000", "jpeg-24mp", "w=3840&h=3840&enlarge=1&g=smart&fmt=avif&q=100&mb=1000",
         note="red team: 422 at the 20 s deadline every time"),
    Case("json-palette-100mp", "palette-png-100mp", "fmt=json", expect=DESCRIBED,
         note="red team: 200, 1 s, 1,297 MiB peak"),
    Case("gif-avif-q100", "gif-90x1000", "w=1000&fmt=avif&q=100",
         note="animated AVIF: the costliest encoder per frame"),
    Case("gif-gif-lossless", "gif-90x1000", "w=1000&fmt=gif", note="lossless: no inline fit, so a redirect"),
    Case("jpeg-24mp-avif-qauto", "jpeg-24mp", "w=3840&h=3840&fmt=avif&q=auto",
         note="q=auto: probes beside the largest AVIF, priced at the search's highest quality"),
    Case("gif-avif-qauto", "gif-90x1000", "w=1000&fmt=avif&q=auto", note="q=auto chosen on the first frame"),
    Case("gif-webp-smart-mb1000", "gif-90x1000", "w=1000&h=1000&g=smart&fmt=webp&q=100&mb=1000"),
    Case("gif-webp-rot-flip-gray", "gif-90x1000", "w=1000&rot=90&flip=h&gray=1&fmt=webp&q=100"),
    Case("png-rgba-webp-q100", "rgba-png-14mp", "w=3840&fmt=webp&q=100"),
    Case("png-rgba-png-lossless", "rgba-png-14mp", "w=3840&fmt=png"),
    Case("jpeg-24mp-webp-rot-flip-gray", "jpeg-24mp", "h=3840&rot=90&flip=h&gray=1&fmt=webp&q=100"),
    Case("jpeg-24mp-rot-over-output-limit", "jpeg-24mp", "w=3840&rot=90&fmt=webp&q=100", expect=frozenset({400}),
         note="turned upright, 3840 wide is 5760 tall: over max_output_pixels, known from the header alone"),
    Case("jpeg-24mp-avif-rot270-flipv", "jpeg-24mp", "w=3840&h=3840&rot=270&flip=v&fmt=avif&q=100"),
    Case("wide-gamut-avif-q100", "wide-gamut-24mp", "w=3840&fmt=avif&q=100"),
    Case("wide-gamut-smart-webp-mb5000", "wide-gamut-24mp", "w=3840&h=2160&g=smart&fmt=webp&q=100&mb=5000"),
    Case("json-grey16-100mp", "grey16-png-100mp", "fmt=json", expect=DESCRIBED),
    Case("json-cmyk-100mp", "cmyk-jpeg-100mp", "fmt=json", expect=DESCRIBED),
    Case("blurhash-palette-100mp", "palette-png-100mp", "fmt=blurhash"),
    Case("lqip-grey16-100mp", "grey16-png-100mp", "fmt=lqip"),
    Case("lqip-cmyk-100mp", "cmyk-jpeg-100mp", "fmt=lqip"),
    Case("palette-100mp-avif-q100", "palette-png-100mp", "w=3840&h=3840&fmt=avif&q=100"),
    Case("grey16-100mp-webp-rot-gray", "grey16-png-100mp", "w=3840&rot=90&gray=1&fmt=webp&q=100"),
    Case("cmyk-100mp-avif-smart", "cmyk-jpeg-100mp", "w=3840&h=3840&g=smart&fmt=avif&q=100"),
    Case("cmyk-100mp-webp-flip", "cmyk-jpeg-100mp", "w=3840&flip=h&fmt=webp&q=100"),
)

CASES_BY_NAME: dict[str, Case] = {case.name: case for case in CASES}


def viewer_uri(case: Case) -> str:
    """The path the viewer asks for (the original's key; the query is ``case.query``)."""
    return "/" + ORIGINALS[case.original].key


def edge_request(case: Case, config: Config) -> dict:
    """What the viewer-request function hands CloudFront for the case's URL from desktop Chrome: the
    request rewritten to its variant (``uri``, plus the viewer's URL in a header), or, when the URL is
    refused there, the generated response (it has a ``status``)."""
    return viewer_request.handle(events.viewer_request(viewer_uri(case), case.query), config)


def variant_key(request: dict) -> str:
    """The S3 key of the variant a rewritten request names."""
    return request["uri"].lstrip("/")


def origin_event(request: dict, bucket: str, status: str = "404") -> dict:
    """The origin-response event CloudFront sends after S3 answered ``status`` for the rewritten request."""
    viewer_url = header(request.get("headers", {}), VIEWER_URL_HEADER)
    return events.origin_response(request["uri"], status, bucket=bucket, viewer_url=viewer_url)


class OriginalCache:
    """Builds each original at most once into ``directory``; later reads come from the file."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        original = ORIGINALS[name]
        target = self.directory / f"v{BUILD_VERSION}-{name}{Path(original.key).suffix}"
        if not target.exists():
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(original.build())
            partial.replace(target)  # a killed build never leaves a file that looks complete
        return target

    def data(self, name: str) -> bytes:
        return self.path(name).read_bytes()
