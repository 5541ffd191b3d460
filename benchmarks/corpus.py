"""The broad benchmark corpus: 40+ originals from Debian packages and files derived from them.

    python benchmarks/corpus.py [--cache DIR] [--force] [--split tune|validate]

Every source file is pinned by Debian package, version, path in the package and SHA-256, and fetched
with ``apt-get download`` + ``dpkg-deb -x`` (a source whose hash differs is refused). The derived files
(phone-shape 12 MP, EXIF-rotated, wide-gamut ICC, 4:2:0/4:4:4, 5K PNGs, RGBA PNGs made from photos,
animated GIFs) are made here from those sources with Pillow, deterministically; their SHA-256 is
recorded in the manifest, not pinned (it follows the Pillow / libjpeg-turbo version). Everything lives
outside git in ``CACHE`` (default ``.bench-photos/corpus/``, or ``$IMGEDGE_BENCH_CORPUS``) with a
``manifest.json``: per file its kind, format, licence, author, source, how it was made, geometry,
chroma, EXIF orientation, ICC, alpha, frames and its **split**.

The split is fixed by a hash, never by results: sources are grouped by kind (camera photo, render or
graphic, WebP original, PNG original) and, within a kind, ordered by SHA-256 of their key and alternately
put in ``validate`` and ``tune``. A derived file shares its source's split, so no picture is in both.
The five photos the earlier encoder and resize settings were chosen on are ``tune`` whatever their
hash. Settings are chosen on ``tune``; every reported figure is given for both parts.

``same_pixels_as`` marks a file that decodes to exactly the pixels of another (a lossless ``jpegtran``
transform): quality benchmarks skip it, speed benchmarks keep it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (str(HERE), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from fetch_photos import apt_download, describe, jpegtran, log, sha256  # noqa: E402

DEFAULT_CACHE = ROOT / ".bench-photos" / "corpus"
MANIFEST_VERSION = 1

PACKAGES = {
    "lomiri-wallpapers-20.04": "20.04.0-2",
    "lomiri-wallpapers-16.04": "20.04.0-2",
    "mate-backgrounds": "1.26.0-1",
    "gnome-backgrounds": "43.1-1",
    "sway-backgrounds": "1.7-6",
}
_LOMIRI = "usr/share/backgrounds/"
_MATE = "usr/share/backgrounds/mate/"
_GNOME = "usr/share/backgrounds/gnome/"
_SWAY = "usr/share/backgrounds/sway/"
_GNOME_LICENCE = "GPL-2+ (gnome-backgrounds debian/copyright)"


@dataclass(frozen=True)
class Source:
    key: str
    group: str  # camera, render, webp, png: the strata of the split
    package: str
    path: str
    sha256: str
    licence: str
    author: str


SOURCES = [Source(*row) for row in (
    # camera photographs (JPEG)
    ("kleiber", "camera", "lomiri-wallpapers-20.04", _LOMIRI + "Kleiber_by_Lukas_Baubkus.jpg",
     "6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7", "CC-BY-SA-3.0", "Lukas Baubkus"),
    ("seeding", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "seeding_by_Clements_Engelhardt.jpg",
     "a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f", "CC0-1.0", "Clemens Engelhardt"),
    ("dragonfly", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "Dragonfly_by_Bolly.jpg",
     "af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3", "CC-BY-SA-4.0", "Bolly"),
    ("sunset", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "sunset_by_Aitzol_Berasategi.jpg",
     "474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18", "CC-BY-4.0", "Aitzol Berasategi"),
    ("twowings", "camera", "mate-backgrounds", _MATE + "nature/TwoWings.jpg",
     "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb", "GPL-2+", "Charles Barbin, Hylke Bons"),
    ("bridge", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "Bridge_by_Sander_Klootwijk.jpg",
     "bd86b081f9975e2b83527f71e49b9271a8ab40885428395969d9f7d834d7f050", "CC-BY-SA-4.0", "Sander Klootwijk"),
    ("wine", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "Wine_by_Jakkub_Mede.jpg",
     "d2e96e6d4da40dd804b3d0ce295e94de04a2d7d9b6785d42cd9d92ba58bced74", "CC-BY-4.0", "Jakub Mede"),
    ("friends", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "friends_by_Aitzol_Berasategi.jpg",
     "cc40e313c74e421edffe3403def413c16878ce14661cce7ec5915baeab35538d", "CC-BY-4.0", "Aitzol Berasategi"),
    ("picos", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "picosdeeuropa_by_Aitzol_Berasategi.jpg",
     "414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a", "CC-BY-4.0", "Aitzol Berasategi"),
    ("free", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "free_by_Peter_Nerlich.jpg",
     "85a5453c2fed514c75973016f3d862aca62eb7ca087618822469274ac1092373", "CC-BY-SA-4.0", "Peter Nerlich"),
    ("life", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "life_by_Aitzol_Berasategi.jpg",
     "4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05", "CC-BY-4.0", "Aitzol Berasategi"),
    ("fig", "camera", "lomiri-wallpapers-16.04", _LOMIRI + "Picture_0B_by_freespace.jpg",
     "c8c0ab18e48d9e0419fe42881112137f3afafc27dfddc29ec3a6d54c56d225ad", "CC-BY-4.0", 'Trevor "Freespace"'),
    ("ladybird", "camera", "mate-backgrounds", _MATE + "nature/LadyBird.jpg",
     "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d", "GPL-2+", "mate-backgrounds authors"),
    ("storm", "camera", "mate-backgrounds", _MATE + "nature/Storm.jpg",
     "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957", "GPL-2+", "Sergey Nazarov"),
    # renders, paintings and graphics (JPEG): saturated colour, gradients, hard edges
    ("elephants", "render", "mate-backgrounds", _MATE + "abstract/Elephants_5640x3172.jpg",
     "7ab602cd55aedd107743973353e58771860d1a74a0cd0701e8351096535edde8", "GPL-2+", "Wyng Stancikaite"),
    ("umang", "render", "lomiri-wallpapers-16.04", _LOMIRI + "umang_by_Abhishek_Mudgal.jpg",
     "bfb425545e77e9f0eb1b037b607fc9ed4a446f3b0f04aa2879be3556073c57ef", "CC-BY-4.0", "Abhishek Mudgal"),
    ("infinitesea", "render", "lomiri-wallpapers-20.04", _LOMIRI + "Infinite-Sea_by_Aury88.jpg",
     "9319dfb3651833881339a8d9b769b99efaf474969e6cd58e427eb2524aca8e8a", "CC-BY-SA-3.0", "Aury88"),
    ("fossa", "render", "lomiri-wallpapers-20.04", _LOMIRI + "Fossa_by_Jasper_Roks.jpg",
     "4e1f6bfd73f374ac28adbf37d5f9f7ce847dccba71e860f0ff50509316be1f82", "CC-BY-SA-3.0", "Jasper Roks"),
    ("paintingcolors", "render", "lomiri-wallpapers-20.04", _LOMIRI + "Painting-Colors_by__herobrine7gamer.jpg",
     "dc688df829e177f23d5e2761a198d2e44e477e4b3b3c750661052c89f7abc46c", "CC-BY-SA-3.0", "HEROBRINE7GAMER"),
    # WebP originals (4096x4096)
    ("adwaita", "webp", "gnome-backgrounds", _GNOME + "adwaita-l.webp",
     "e2a2f6b559e574b76f302e2e854321ee0acbbd8e1891fce95269781e248aa045", _GNOME_LICENCE, "Jakub Steiner"),
    ("pixels", "webp", "gnome-backgrounds", _GNOME + "pixels-l.webp",
     "1ee02e123d937bdcbc6ec848cda8b54f7acdddf5c0cec9f8aa6f4b2182835711", _GNOME_LICENCE, "GNOME design team"),
    ("truchet", "webp", "gnome-backgrounds", _GNOME + "truchet-d.webp",
     "1ea4da549d93dd4a7fadf08705883435f8158159d9c57e72f7cb56a758ccef15", _GNOME_LICENCE, "GNOME design team"),
    ("woodl", "webp", "gnome-backgrounds", _GNOME + "wood-l.webp",
     "37c8e62479bc5282a0e890d0bcbe1762223cc541b79730dcfaf38b0a57d2e80e", _GNOME_LICENCE, "GNOME design team"),
    ("symbolic", "webp", "gnome-backgrounds", _GNOME + "symbolic-l.webp",
     "4bba296092bd7f2801a207543ee8e9063ceb419deb3fbf1cafc6e7bb273cbc67", _GNOME_LICENCE, "GNOME design team"),
    # PNG originals, RGB and RGBA
    ("sway", "png", "sway-backgrounds", _SWAY + "Sway_Wallpaper_Blue_2048x1536.png",
     "205ac46f075e8474d22001f00ab418acee3fb9a71036a2a0a90b9d461638a742", "Expat", "Drew DeVault"),
    ("swayportrait", "png", "sway-backgrounds", _SWAY + "Sway_Wallpaper_Blue_2048x1536_Portrait.png",
     "d875455faacbe383558a552178aac70391a5c62c927494d26e52005929d9a44b", "Expat", "Drew DeVault"),
    ("warm", "png", "mate-backgrounds", _MATE + "desktop/Ubuntu-Mate-Warm-no-logo.png",
     "4f820953263548c60a33c13d7633dbe5f415b54e42a0854c926f1b778aaef602", "CC-BY-SA-4.0", "Goce Mitevski"),
    ("gulp", "png", "mate-backgrounds", _MATE + "abstract/Gulp.png",
     "2d221c435d18b55f3f387df1fda5b906c8e36f4aaac984ea7d1133d5903ebf98", "GPL-2+", "mate-backgrounds authors"),
    ("arc", "png", "mate-backgrounds", _MATE + "abstract/Arc-Colors-Transparent-Wallpaper.png",
     "5c0d3e22331f0a301de9b7e64659781f38692b64d3b2016719eb7ea0a8f3050e", "GPL-2+", "mate-backgrounds authors"),
    ("stripeslight", "png", "mate-backgrounds", _MATE + "desktop/MATE-Stripes-Light.png",
     "e88d0aaa848b43d4a157e807333b1108d37ee3324b4d00b3cb61e8510c3da66f", "GPL-2+", "Adam Erdman"),
)]
BY_KEY = {s.key: s for s in SOURCES}

#: The photos the earlier settings were tuned on: tune, whatever their hash says.
TUNED_BEFORE = ("kleiber", "seeding", "dragonfly", "sunset", "twowings")
SPLITS = ("tune", "validate")


def splits() -> dict[str, str]:
    """Source key -> "tune" or "validate": per group, by SHA-256 of the key, alternating."""
    out = {key: "tune" for key in TUNED_BEFORE}
    for group in dict.fromkeys(s.group for s in SOURCES):
        keys = sorted((s.key for s in SOURCES if s.group == group and s.key not in TUNED_BEFORE),
                      key=lambda k: hashlib.sha256(f"imgedge-corpus:{k}".encode()).hexdigest())
        out.update({k: SPLITS[(i + 1) % 2] for i, k in enumerate(keys)})
    return out


# --- sources -------------------------------------------------------------------------------------------

def fetch_sources(cache: Path) -> dict[str, Path]:
    """Every pinned source, checked, in CACHE/sources (downloads only the packages still missing)."""
    src_dir = cache / "sources"
    src_dir.mkdir(parents=True, exist_ok=True)
    target = {s.key: src_dir / f"{s.key}{Path(s.path).suffix}" for s in SOURCES}
    found = {k: p for k, p in target.items() if p.exists() and sha256(p) == BY_KEY[k].sha256}
    missing = {s.package: PACKAGES[s.package] for s in SOURCES if s.key not in found}
    if missing:
        with tempfile.TemporaryDirectory(prefix="bench-debs-") as tmp:
            tmpdir = Path(tmp)
            os.chmod(tmpdir, 0o755)  # lets apt's sandbox user write when run as root
            if not apt_download(missing, tmpdir):
                raise SystemExit("apt-get download failed: the corpus needs Debian's apt (see the docstring)")
            for deb in sorted(tmpdir.glob("*.deb")):
                extract = tmpdir / (deb.stem + ".x")
                subprocess.run(["dpkg-deb", "-x", str(deb), str(extract)], check=True)
                for s in SOURCES:
                    candidate = extract / s.path
                    if s.key in found or not deb.name.startswith(s.package + "_") or not candidate.exists():
                        continue
                    got = sha256(candidate)
                    if got != s.sha256:
                        raise SystemExit(f"{s.package}:{s.path} has SHA-256 {got}, expected {s.sha256}; refusing it")
                    shutil.copyfile(candidate, target[s.key])
                    found[s.key] = target[s.key]
    lost = sorted(set(target) - set(found))
    if lost:
        raise SystemExit(f"sources missing after download: {', '.join(lost)}")
    return found


# --- derived files ---------------------------------------------------------------------------------------

DERIVED_QUALITY = 92  # camera-like re-encodes
PHONE = (4032, 3024)  # a 12 MP 4:3 phone frame
FIVE_K = 5120


def _wide_gamut_profile() -> bytes:
    from tests.core.test_colour import WIDE

    return WIDE


def _rgb(path: Path):
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB")


def _fit_crop(image, size):
    """Centre crop to the aspect ratio of ``size``, then LANCZOS to ``size`` (never upscaled)."""
    from PIL import Image

    w, h = image.size
    ratio = size[0] / size[1]
    cw, ch = (round(h * ratio), h) if w / h > ratio else (w, round(w / ratio))
    left, top = (w - cw) // 2, (h - ch) // 2
    image = image.crop((left, top, left + cw, top + ch))
    if image.size[0] < size[0]:
        raise ValueError(f"would upscale {image.size} to {size}")
    return image.resize(size, Image.Resampling.LANCZOS) if image.size != size else image


def _soft_ellipse_alpha(size, hole: bool = False):
    """An alpha mask: an opaque ellipse fading out over ~6 % of the short side (a cut-out photo); with
    ``hole``, also a fully transparent disc inside it (so the edges run both ways)."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    m = round(min(w, h) * 0.08)
    draw.ellipse((m, m, w - m, h - m), fill=255)
    if hole:
        r = min(w, h) // 7
        draw.ellipse((w * 2 // 3 - r, h // 3 - r, w * 2 // 3 + r, h // 3 + r), fill=0)
    return mask.filter(ImageFilter.GaussianBlur(min(w, h) * 0.02))


def _jpeg(image, target: Path, *, subsampling="4:2:0", progressive=False, exif=None, icc=None) -> None:
    extra = {k: v for k, v in (("exif", exif), ("icc_profile", icc)) if v}
    image.save(target, "JPEG", quality=DERIVED_QUALITY, subsampling=subsampling, optimize=True,
               progressive=progressive, **extra)


def _orientation_exif(value: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def _stored_for_orientation_6(image):
    """The pixels a camera stores for a picture it tags with Orientation 6 (rotate 90° CW to display)."""
    from PIL import Image

    return image.transpose(Image.Transpose.ROTATE_90)


def _gif_pan(image, size, frames: int, target: Path) -> None:
    """An animated GIF: ``frames`` crops panning left to right across ``image`` (adaptive palette each)."""
    from PIL import Image

    w, h = size
    scale = h / image.height
    strip = image.resize((round(image.width * scale), h), Image.Resampling.LANCZOS)
    step = (strip.width - w) / max(1, frames - 1)
    shots = [strip.crop((round(i * step), 0, round(i * step) + w, h)).quantize(255) for i in range(frames)]
    shots[0].save(target, "GIF", save_all=True, append_images=shots[1:], duration=120, loop=0, optimize=True)


def _gif_transparent(image, size, frames: int, target: Path) -> None:
    """An animated GIF with a transparent background: an RGBA graphic sliding across the frame."""
    from PIL import Image

    w, h = size
    small = image.convert("RGBA")
    small.thumbnail((w * 3 // 4, h * 3 // 4), Image.Resampling.LANCZOS)
    shots = []
    for i in range(frames):
        canvas = Image.new("RGBA", size, (0, 0, 0, 0))
        canvas.alpha_composite(small, (round(i * (w - small.width) / max(1, frames - 1)), (h - small.height) // 2))
        alpha = canvas.getchannel("A")
        frame = canvas.convert("RGB").quantize(255)
        frame.paste(255, mask=alpha.point(lambda a: 255 if a < 16 else 0))  # the graphic is ~half opaque
        shots.append(frame)
    shots[0].save(target, "GIF", save_all=True, append_images=shots[1:], duration=100, loop=0,
                  transparency=255, disposal=2, optimize=False)


def derive(src: dict[str, Path], cache: Path, force: bool) -> list[dict]:
    from PIL import Image

    out_dir = cache / "photos"
    out_dir.mkdir(parents=True, exist_ok=True)
    split = splits()
    entries: list[dict] = []

    def add(name: str, kind: str, key: str, how: str, make, same_pixels_as: str | None = None) -> None:
        target = out_dir / name
        if force or not target.exists():
            tmp = target.with_name(target.name + ".tmp")
            if make(tmp) is False:
                tmp.unlink(missing_ok=True)
                log(f"skipped {name}: {how} unavailable")
                return
            tmp.replace(target)
        s = BY_KEY[key]
        entries.append({"name": name, "kind": kind, "split": split[key], "source_key": key, "how": how,
                        "source": f"{s.package} {PACKAGES[s.package]}:/{s.path}", "licence": s.licence,
                        "author": s.author, "same_pixels_as": same_pixels_as, "path": str(target),
                        **_details(target)})

    def copy(key: str):
        return lambda tmp: shutil.copyfile(src[key], tmp)

    # camera photos and renders: the original bytes, named by what they are
    originals = {
        "kleiber": "kleiber-20mp-baseline-422.jpg", "seeding": "seeding-16mp-progressive-420.jpg",
        "dragonfly": "dragonfly-13mp-progressive-422.jpg", "sunset": "sunset-12mp-progressive-422.jpg",
        "twowings": "twowings-4mp-baseline-420.jpg", "bridge": "bridge-11mp-progressive-422.jpg",
        "wine": "wine-10mp-portrait-progressive-422.jpg", "friends": "friends-6mp-portrait-progressive-420.jpg",
        "picos": "picos-8mp-4x3-progressive-420.jpg", "free": "free-6mp-baseline-444.jpg",
        "life": "life-6mp-progressive-422.jpg", "fig": "fig-4mp-progressive-420.jpg",
        "ladybird": "ladybird-4mp-baseline-420.jpg", "storm": "storm-2mp-baseline-422.jpg",
        "elephants": "elephants-18mp-progressive-422.jpg", "umang": "umang-8mp-baseline-444.jpg",
        "infinitesea": "infinitesea-17mp-progressive-444.jpg", "fossa": "fossa-9mp-baseline-444.jpg",
        "paintingcolors": "paintingcolors-24mp-baseline-444-icc.jpg",
    }
    for key, name in originals.items():
        add(name, "camera" if BY_KEY[key].group == "camera" else "render", key, "original bytes", copy(key))

    # the same photo in every JPEG layout (kleiber, tune) and a lossless baseline twin (seeding)
    add("kleiber-20mp-progressive-422.jpg", "camera", "kleiber", "jpegtran -progressive (lossless)",
        lambda tmp: jpegtran(["-progressive"], src["kleiber"], tmp), same_pixels_as="kleiber-20mp-baseline-422.jpg")
    for sub in ("4:2:0", "4:4:4"):
        add(f"kleiber-20mp-baseline-{sub.replace(':', '')}.jpg", "camera", "kleiber",
            f"re-encoded q{DERIVED_QUALITY} {sub}",
            lambda tmp, sub=sub: _jpeg(_rgb(src["kleiber"]), tmp, subsampling=sub))
    add("seeding-16mp-baseline-420.jpg", "camera", "seeding", "jpegtran -optimize (lossless, baseline)",
        lambda tmp: jpegtran(["-optimize"], src["seeding"], tmp), same_pixels_as="seeding-16mp-progressive-420.jpg")

    # phone shapes: 12 MP 4:3 (tune, from dragonfly), 8 MP 4:3 (validate, from picos); EXIF-rotated
    # portrait and wide-gamut (Display P3 primaries) ICC-tagged versions of each
    wide = _wide_gamut_profile()

    def to_wide(image):
        from tests.core.test_colour import wide_gamut_version

        return wide_gamut_version(image)  # the pixels a wide-gamut camera stores for these colours

    add("phone-12mp-baseline-420.jpg", "camera", "dragonfly",
        f"centre crop 4:3, LANCZOS to 4032x3024, q{DERIVED_QUALITY}",
        lambda tmp: _jpeg(_fit_crop(_rgb(src["dragonfly"]), PHONE), tmp))
    add("phone-12mp-portrait-exif6-p3.jpg", "camera", "dragonfly",
        "the phone-12mp frame in a Display-P3-primaries profile (embedded), tagged EXIF Orientation 6 "
        "(shown as 3024x4032), as a phone held upright stores it",
        lambda tmp: _jpeg(to_wide(_fit_crop(_rgb(src["dragonfly"]), PHONE)), tmp, exif=_orientation_exif(6), icc=wide))
    add("picos-4mp-portrait-exif6.jpg", "camera", "picos",
        f"portrait centre crop 3:4 (1836x2448), stored rotated with EXIF Orientation 6, q{DERIVED_QUALITY}",
        lambda tmp: _jpeg(_stored_for_orientation_6(_fit_crop(_rgb(src["picos"]), (1836, 2448))), tmp,
                          exif=_orientation_exif(6)))
    add("picos-8mp-p3-progressive.jpg", "camera", "picos",
        "converted to a Display-P3-primaries profile (embedded), progressive q92",
        lambda tmp: _jpeg(to_wide(_rgb(src["picos"])), tmp, progressive=True, icc=wide))

    # WebP and PNG originals: the original bytes
    for s in SOURCES:
        if s.group == "webp":
            add(f"{s.key}-16mp.webp", "webp", s.key, "original bytes", copy(s.key))
    png_names = {"sway": "sway-3mp-rgb.png", "swayportrait": "swayportrait-3mp-rgb.png",
                 "warm": "warm-2mp-rgb-icc.png", "gulp": "gulp-2mp-rgba.png", "arc": "arc-3mp-rgba.png",
                 "stripeslight": "stripeslight-3mp-rgba.png"}
    for key, name in png_names.items():
        add(name, "png-rgba" if "rgba" in name else "png-rgb", key, "original bytes", copy(key))

    # 5K PNGs made from a render (tune) and a graphic (validate); RGBA PNGs made from photos
    def png(image, tmp):
        image.save(tmp, "PNG", compress_level=6)

    add("elephants-5k-rgb.png", "png-rgb", "elephants", "LANCZOS to 5120x2880, PNG",
        lambda tmp: png(_fit_crop(_rgb(src["elephants"]), (FIVE_K, 2880)), tmp))
    add("paintingcolors-5k-rgb.png", "png-rgb", "paintingcolors", "LANCZOS to 5120x3413, PNG (its sRGB profile kept)",
        lambda tmp: png(_fit_crop(_rgb(src["paintingcolors"]), (FIVE_K, 3413)), tmp))

    def rgba(key, size, hole):
        def make(tmp):
            image = _fit_crop(_rgb(src[key]), size) if size else _rgb(src[key])
            image.putalpha(_soft_ellipse_alpha(image.size, hole))
            png(image, tmp)
        return make

    add("seeding-5k-rgba.png", "png-rgba", "seeding", "LANCZOS to 5120x2880, soft elliptical alpha, PNG",
        rgba("seeding", (FIVE_K, 2880), False))
    add("bridge-11mp-rgba.png", "png-rgba", "bridge", "native size, soft elliptical alpha with a hole, PNG",
        rgba("bridge", None, True))
    add("life-6mp-rgba.png", "png-rgba", "life", "native size, soft elliptical alpha with a hole, PNG",
        rgba("life", None, True))

    # animated GIFs
    add("storm-pan-anim.gif", "gif", "storm", "12 frames 320x320 panning across the photo, adaptive palette",
        lambda tmp: _gif_pan(_rgb(src["storm"]), (320, 320), 12, tmp))
    add("ladybird-pan-anim.gif", "gif", "ladybird", "10 frames 400x300 panning across the photo, adaptive palette",
        lambda tmp: _gif_pan(_rgb(src["ladybird"]), (400, 300), 10, tmp))
    add("arc-slide-anim.gif", "gif", "arc", "8 frames 640x360: the RGBA graphic sliding over transparency",
        lambda tmp: _gif_transparent(Image.open(src["arc"]), (640, 360), 8, tmp))
    return entries


def _details(path: Path) -> dict:
    from PIL import Image

    info = describe(path)
    with Image.open(path) as im:
        info["orientation"] = im.getexif().get(0x0112, 1)
        info["icc"] = _icc_name(im.info.get("icc_profile"))
        info["alpha"] = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
        info["frames"] = getattr(im, "n_frames", 1)
    return info


def _icc_name(icc: bytes | None) -> str | None:
    if not icc:
        return None
    from PIL import ImageCms

    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.profile_description or "unnamed"
    except Exception:  # an unreadable profile is still a profile
        return "unreadable"


# --- entry points ----------------------------------------------------------------------------------------

def ensure(cache: Path | None = None, force: bool = False) -> dict:
    """Make sure the corpus exists; return the manifest (also written to CACHE/manifest.json)."""
    cache = Path(cache or os.environ.get("IMGEDGE_BENCH_CORPUS") or DEFAULT_CACHE)
    manifest_path = cache / "manifest.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("version") == MANIFEST_VERSION and all(Path(p["path"]).exists() for p in manifest["photos"]):
            return manifest
    cache.mkdir(parents=True, exist_ok=True)
    photos = derive(fetch_sources(cache), cache, force)
    manifest = {"version": MANIFEST_VERSION, "photos": photos}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    log(f"{len(photos)} files in {cache}")
    return manifest


def select(manifest: dict, split: str | None = None, kinds=None, distinct_pixels: bool = False) -> list[dict]:
    """The manifest's files in ``split`` (None: both) of ``kinds`` (None: all); ``distinct_pixels`` drops
    lossless twins (``same_pixels_as``), which only speed benchmarks need."""
    return [p for p in manifest["photos"] if (split is None or p["split"] == split)
            and (kinds is None or p["kind"] in kinds) and not (distinct_pixels and p["same_pixels_as"])]


def markdown(entries: list[dict]) -> str:
    """The corpus as a Markdown table (benchmarks/RESULTS.md, "The corpus")."""
    rows = ["| split | kind | file | pixels | MP | layout | bytes | how | source | licence, author |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for p in sorted(entries, key=lambda p: (p["split"], p["kind"], p["name"])):
        layout = " ".join(f for f in (p.get("subsampling", ""), "progressive" if p.get("progressive") else "",
                                      f"EXIF {p['orientation']}" if p["orientation"] != 1 else "",
                                      f"ICC {p['icc']}" if p["icc"] else "", "alpha" if p["alpha"] else "",
                                      f"{p['frames']} frames" if p["frames"] > 1 else "") if f)
        rows.append(f"| {p['split']} | {p['kind']} | {p['name']} | {p['width']}x{p['height']} | {p['megapixels']} "
                    f"| {layout} | {p['bytes']:,} | {p['how']} | {p['source'].split(':/')[0]} "
                    f"| {p['licence']}, {p['author']} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--force", action="store_true", help="re-derive everything")
    parser.add_argument("--split", choices=SPLITS)
    parser.add_argument("--markdown", action="store_true", help="print the corpus table of RESULTS.md")
    args = parser.parse_args(argv)
    manifest = ensure(args.cache, args.force)
    if args.markdown:
        print(markdown(select(manifest, args.split)))
        return 0
    for p in select(manifest, args.split):
        layout = f"{p.get('subsampling', '')} {'progressive' if p.get('progressive') else ''}".strip()
        flags = " ".join(f for f in (f"orient={p['orientation']}" if p["orientation"] != 1 else "",
                                     f"icc={p['icc']}" if p["icc"] else "", "alpha" if p["alpha"] else "",
                                     f"{p['frames']} frames" if p["frames"] > 1 else "") if f)
        print(f"{p['split']:8s} {p['kind']:8s} {p['name']:40s} {p['width']}x{p['height']} {p['megapixels']:5.1f} MP "
              f"{layout:17s} {p['bytes']:>10,} B  {p['licence']}  {flags}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
