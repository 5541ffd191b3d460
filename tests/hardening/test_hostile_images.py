"""Hostile and broken originals, made by the tests from real photos: each gets a defined answer (an image
or a specific 4xx with a short TTL), no half-written variant ever lands, and no original changes."""

from __future__ import annotations

import base64
import io
import struct
import time
import zlib

import pytest
from PIL import Image

from imgedge.config import Config
from imgedge.edge import origin_response
from imgedge.store import DirectoryStore
from tests.events import origin_response as origin_event
from tests.photos import encoded, open_bytes, photo

PHOTO = photo("lake-boats-4mp.jpg")
SMALL = open_bytes(PHOTO).convert("RGB").resize((320, 200))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real JPEG whose SOF0 header is rewritten to claim another size."""
    data = bytearray(encoded(SMALL, "JPEG", quality=80))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_with_frames(count: int) -> bytes:
    frames = [SMALL.resize((32, 20)).rotate(i * 7).convert("P") for i in range(count)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=20, loop=0)


def with_exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return encoded(SMALL, "JPEG", quality=85, exif=exif.tobytes())


def sixteen_bit_rgb_png() -> bytes:
    import numpy as np

    arr = (np.asarray(SMALL, dtype=np.uint16) * 257).astype(">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in arr)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 320, 200, 16, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b""))


#: name -> (original bytes, acceptable statuses). "200" means a real image came out.
CORPUS: dict[str, tuple[bytes, set[str]]] = {
    "truncated-jpeg": (PHOTO[: len(PHOTO) // 2], {"422"}),
    "truncated-jpeg-header": (PHOTO[:300], {"422"}),
    "truncated-png": (encoded(SMALL, "PNG")[:5000], {"422"}),
    "truncated-webp": (encoded(SMALL, "WEBP")[:400], {"422"}),
    "truncated-gif": (gif_with_frames(3)[:300], {"200", "422"}),
    "zero-bytes": (b"", {"422"}),
    "png-bomb-100k-square": (png_declaring(100_000, 100_000), {"413"}),
    "png-bomb-thin": (png_declaring(2_000_000_000, 1), {"413"}),
    "jpeg-bomb-65500-square": (jpeg_declaring(65_500, 65_500), {"413"}),
    "jpeg-lying-small-header": (jpeg_declaring(10_000, 9_000), {"422", "200"}),
    "gif-2000-frames": (gif_with_frames(2000), {"413"}),  # animated WebP out: over Config.max_frames (1000)
    "cmyk-jpeg": (encoded(SMALL.convert("CMYK"), "JPEG", quality=90), {"200"}),
    "16-bit-rgb-png": (sixteen_bit_rgb_png(), {"200"}),
    "exif-orientation-0": (with_exif_orientation(0), {"200"}),
    "exif-orientation-9": (with_exif_orientation(9), {"200"}),
    "exif-orientation-65535": (with_exif_orientation(65535), {"200"}),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
            {"415"}),
    "xml-svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', {"415"}),
    "html": (b"<!doctype html><script>alert(1)</script>", {"415"}),
    "pdf": (b"%PDF-1.7\n1 0 obj<<>>endobj", {"415"}),
    "gif-header-then-html": (b"GIF89a<script>alert(1)</script>", {"422"}),
    "jpeg-zip-polyglot": (encoded(SMALL, "JPEG", quality=80) + b"PK\x03\x04" + b"\x00" * 100, {"200"}),
    "png-html-polyglot": (encoded(SMALL, "PNG") + b"<html><script>alert(1)</script></html>", {"200"}),
    "random-bytes": (bytes(range(256)) * 40, {"415"}),
    "riff-not-webp": (b"RIFF\x00\x00\x00\x00AVI LIST" + b"\x00" * 64, {"415"}),
    "psd-magic": (b"8BPS" + b"\x00" * 64, {"415"}),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_hostile_original_gets_a_defined_answer(name, tmp_path):
    data, expected = CORPUS[name]
    store = DirectoryStore(tmp_path)
    key = f"hostile/{name}.jpg"  # the extension lies for most of them, as it would in a real bucket
    store.put_original(key, data)
    uri = f"/_variants/{key}/w320-q80.webp"
    entries: list[dict] = []
    started = time.monotonic()
    response = origin_response.handle(origin_event(uri, "404"), lambda _r: store, Config(), log=entries.append)
    elapsed = time.monotonic() - started

    assert response["status"] in expected, (name, response["status"], entries)
    variant = tmp_path / uri[1:]
    if response["status"] == "200":
        out = Image.open(io.BytesIO(base64.b64decode(response["body"])))
        out.load()
        assert out.format == "WEBP" and out.width <= 320
        assert variant.read_bytes() == base64.b64decode(response["body"])
    else:
        assert response["headers"]["cache-control"][0]["value"] == "public, max-age=60"
        assert not variant.exists()
        assert not list(tmp_path.rglob(".tmp-*"))
    assert (tmp_path / key).read_bytes() == data  # the original is never touched
    assert elapsed < 10, f"{name} took {elapsed:.1f}s"


def test_a_render_over_the_time_limit_is_a_422_and_writes_nothing(tmp_path):
    """The generation budget: a 20 MP decode cannot finish in 5 ms, and the cost model says so first."""
    store = DirectoryStore(tmp_path)
    store.put_original("big.jpg", photo("nuthatch-20mp.jpg"))
    uri = "/_variants/big.jpg/w3840-q80.webp"
    started = time.monotonic()
    response = origin_response.handle(origin_event(uri, "404"), lambda _r: store, Config(max_generation_seconds=0.005),
                                      log=lambda entry: None)
    assert response["status"] == "422"
    assert "0.005 s" in base64.b64decode(response["body"]).decode()  # the alarm or the estimate, first
    assert time.monotonic() - started < 2
    assert not (tmp_path / uri[1:]).exists()
    # the same render with the default limit succeeds, and the alarm is gone afterwards
    assert origin_response.handle(origin_event("/_variants/big.jpg/w320-q80.webp", "404"), lambda _r: store,
                                  Config(), log=lambda entry: None)["status"] == "200"
    import signal
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
