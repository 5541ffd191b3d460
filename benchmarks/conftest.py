"""pytest-benchmark setup for imgedge: single-threaded, photos from the cache, references computed once.

Options (``pytest benchmarks/ ...``, normally through ``benchmarks/run.py``):

* ``--photos=cases`` (default) the Debian photo set (``fetch_photos.py``); ``--photos=corpus`` every still
  of the broad corpus (``corpus.py``, tune and validate parts; its animated GIFs are left out, since
  libvips' ``thumbnail`` makes a still of their first frame); ``--photos=smoke`` one small fixture photo
  and one case, for ``tests/test_benchmarks_smoke.py``.
* ``--bench-rounds=N`` timed rounds per benchmark (after one warm-up round).
"""

from __future__ import annotations

import io
import os
import sys
from functools import lru_cache
from pathlib import Path

# Before anything imports pyvips or Pillow's AVIF plugin: one thread everywhere.
os.environ.setdefault("VIPS_CONCURRENCY", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(HERE), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)

from PIL import AvifImagePlugin, Image  # noqa: E402

from imgedge.core import encode as _encode  # noqa: E402

AvifImagePlugin.DEFAULT_MAX_THREADS = 1
_encode.AVIF_MAX_THREADS = 1  # imgedge, naive and libvips all encode AVIF on one thread here

SMOKE_PHOTO = ROOT / "fixtures" / "photos" / "lake-boats-4mp.jpg"


def pytest_addoption(parser):
    group = parser.getgroup("imgedge benchmarks")
    group.addoption("--photos", default="cases", choices=("cases", "corpus", "smoke"))
    group.addoption("--bench-rounds", type=int, default=7)
    group.addoption("--rss-every", action="append", default=[], metavar="KIND",
                    help="on the corpus, measure peak memory on every original of this kind, not the largest")


def pytest_configure(config):
    try:
        import pyvips

        pyvips.cache_set_max(0)  # no operation cache: every round decodes
        pyvips.concurrency_set(1)
    except Exception:  # libvips missing: its benchmarks skip themselves
        pass


@lru_cache(maxsize=1)
def _manifest(mode: str) -> dict:
    if mode == "smoke":
        return {"origin": "fixtures", "photos": [{
            "name": SMOKE_PHOTO.name, "path": str(SMOKE_PHOTO), "role": "case", "megapixels": 4.1,
            "width": 2560, "height": 1600}]}
    if mode == "corpus":
        import corpus

        stills = [dict(p, role="case") for p in corpus.ensure()["photos"] if p["frames"] == 1]
        return {"origin": "corpus", "photos": stills}
    import fetch_photos

    return fetch_photos.ensure()


def photos(config, role: str) -> list[dict]:
    return [p for p in _manifest(config.getoption("--photos"))["photos"] if p["role"] == role]


def corpus_mode(config) -> bool:
    return config.getoption("--photos") == "corpus"


def rss_photos(config) -> list[dict]:
    """Where peak memory is measured: the first case photo (the 20 MP baseline camera JPEG, or the smoke
    photo); on the corpus, the largest original of each kind in each part (memory grows with it), or every
    one of the kinds ``--rss-every`` names."""
    every = photos(config, "case")
    if not corpus_mode(config):
        return every[:1]
    largest: dict = {}
    for p in every:
        key = (p["kind"], p["split"], p["name"] if p["kind"] in config.getoption("--rss-every") else "")
        if key not in largest or p["megapixels"] > largest[key]["megapixels"]:
            largest[key] = p
    return list(largest.values())


def pytest_generate_tests(metafunc):
    from impls import CASES, IMPLS

    mode = metafunc.config.getoption("--photos")
    if "case_photo" in metafunc.fixturenames:
        entries = photos(metafunc.config, "case")
        metafunc.parametrize("case_photo", entries, ids=[e["name"].rsplit(".", 1)[0] for e in entries])
    if "rss_photo" in metafunc.fixturenames:
        entries = rss_photos(metafunc.config)
        metafunc.parametrize("rss_photo", entries, ids=[e["name"].rsplit(".", 1)[0] for e in entries])
    if "ladder_photo" in metafunc.fixturenames:
        entries = photos(metafunc.config, "ladder") if mode == "cases" else []
        metafunc.parametrize("ladder_photo", entries, ids=[e["name"].rsplit(".", 1)[0] for e in entries])
    if "case" in metafunc.fixturenames:
        names = ["640-jpeg-q80"] if mode == "smoke" else list(CASES)
        metafunc.parametrize("case", [CASES[n] for n in names], ids=names)
    if "impl" in metafunc.fixturenames:
        metafunc.parametrize("impl", IMPLS)


@pytest.fixture(scope="session")
def rounds(pytestconfig) -> int:
    return pytestconfig.getoption("--bench-rounds")


@lru_cache(maxsize=None)
def read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@lru_cache(maxsize=8)
def _full_image(path: str) -> Image.Image:
    from PIL import ImageOps

    image = Image.open(io.BytesIO(read_bytes(path)))
    image.load()
    return (ImageOps.exif_transpose(image) or image).convert("RGB")


@lru_cache(maxsize=None)
def reference(path: str, size: tuple[int, int]) -> Image.Image:
    """Full decode, orientation applied, LANCZOS straight to ``size`` (tests.metrics.reference_resize)."""
    from tests.metrics import reference_resize

    return reference_resize(_full_image(path), size)


def quality_info(path: str, output: bytes) -> dict:
    """Bytes, size, PSNR and SSIM of an encoded output against the reference at its own size."""
    from tests.metrics import psnr, ssim

    out = Image.open(io.BytesIO(output))
    out.load()
    ref = reference(path, out.size)
    return {"bytes": len(output), "width": out.width, "height": out.height,
            "psnr": round(psnr(out, ref), 3), "ssim": round(ssim(out, ref), 5)}
