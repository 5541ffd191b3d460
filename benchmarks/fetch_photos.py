"""Fetch the benchmark photos from Debian packages, check them, and derive the benchmark set.

    python benchmarks/fetch_photos.py [--cache DIR] [--offline] [--force]

Reproducible: each source file is pinned by package, version, path and SHA-256; a source whose hash
differs is refused. The derived files are made by lossless ``jpegtran`` transforms (progressive <->
baseline) or by decoding the real photo and re-encoding / downscaling it with Pillow (LANCZOS, never
upscaled): 4:2:0 and 4:4:4 versions, and a 2-24 MP ladder. Large files stay out of git, in ``CACHE``
(default ``.bench-photos/`` at the repository root, or ``$IMGEDGE_BENCH_PHOTOS``), with a
``manifest.json`` the benchmarks read.

Needs ``apt-get download`` (any Debian 12 machine; no root needed to download, root only to install
``libjpeg-turbo-progs`` for jpegtran). Without apt it falls back to the copies in ``fixtures/photos/``
(same bytes for the two large photos) and says so; the set is then smaller.

Licences: see ``fixtures/photos/SOURCES.md`` and ``benchmarks/RESULTS.md``; every photo here is a real
camera photograph under CC0, CC BY 4.0, CC BY-SA 3.0/4.0 or GPL-2+.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".bench-photos"
FIXTURES = ROOT / "fixtures" / "photos"
MANIFEST_VERSION = 1

#: (package, version, path inside the package, sha256, licence, author)
SOURCES: dict[str, tuple[str, str, str, str, str, str]] = {
    "kleiber": (
        "lomiri-wallpapers-20.04", "20.04.0-2", "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
        "6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7", "CC-BY-SA-3.0", "Lukas Baubkus",
    ),
    "seeding": (
        "lomiri-wallpapers-16.04", "20.04.0-2", "usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg",
        "a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f", "CC0-1.0", "Clemens Engelhardt",
    ),
    "dragonfly": (
        "lomiri-wallpapers-16.04", "20.04.0-2", "usr/share/backgrounds/Dragonfly_by_Bolly.jpg",
        "af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3", "CC-BY-SA-4.0", "Bolly",
    ),
    "sunset": (
        "lomiri-wallpapers-16.04", "20.04.0-2", "usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg",
        "474dab6a4b9f94dc76c29dfe30e9f5db4af0fd2e33fe5d695f8152b371efca18", "CC-BY-4.0", "Aitzol Berasategi",
    ),
    "twowings": (
        "mate-backgrounds", "1.26.0-1", "usr/share/backgrounds/mate/nature/TwoWings.jpg",
        "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb", "GPL-2+", "Charles Barbin, Hylke Bons",
    ),
}

#: The same bytes, already in git (fixtures/photos), used when apt is unavailable.
FIXTURE_COPIES = {"kleiber": "nuthatch-20mp.jpg", "seeding": "dandelions-16mp-progressive.jpg"}

#: Re-encodes use this quality (camera-like) so the derived file is close to the source.
DERIVED_QUALITY = 92
#: Ladder rungs in megapixels (3:2 frames cut from a 6000x4000 mosaic of four real photos, then
#: downscaled with LANCZOS; the 24 MP rung is the mosaic itself).
LADDER_MP = (2, 4, 8, 12, 16, 20, 24)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def log(message: str) -> None:
    print(f"[fetch_photos] {message}", file=sys.stderr, flush=True)


# --- sources -------------------------------------------------------------------------------------------

def apt_download(packages: dict[str, str], into: Path) -> bool:
    """``apt-get download`` each ``package=version`` into ``into`` (one ``apt-get update`` retry as root)."""
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        return False
    specs = [f"{p}={v}" for p, v in packages.items()]
    for attempt in range(2):
        result = subprocess.run(["apt-get", "download", *specs], cwd=into, capture_output=True, text=True)
        if result.returncode == 0:
            return True
        if attempt == 0 and os.geteuid() == 0:  # a fresh machine has no package lists yet
            log("apt-get download failed; running apt-get update once")
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
    log(f"apt-get download failed: {result.stderr.strip()[-300:]}")
    return False


SOURCES_BY_PACKAGE = {pkg: ver for pkg, ver, *_ in SOURCES.values()}


def fetch_sources(cache: Path, offline: bool) -> tuple[dict[str, Path], str]:
    """Checked source photos by key, and where they came from ("debian" or "fixtures")."""
    src_dir = cache / "sources"
    src_dir.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    for key, (_pkg, _ver, path, digest, *_rest) in SOURCES.items():
        target = src_dir / Path(path).name
        if target.exists() and sha256(target) == digest:
            found[key] = target
    missing = sorted({SOURCES[k][0] for k in SOURCES if k not in found})
    origin = "debian"
    if missing and not offline:
        with tempfile.TemporaryDirectory(prefix="bench-debs-") as tmp:
            tmpdir = Path(tmp)
            os.chmod(tmpdir, 0o755)  # lets apt's sandbox user write when run as root
            if apt_download({p: SOURCES_BY_PACKAGE[p] for p in missing}, tmpdir):
                for deb in sorted(tmpdir.glob("*.deb")):
                    extract = tmpdir / (deb.stem + ".x")
                    subprocess.run(["dpkg-deb", "-x", str(deb), str(extract)], check=True)
                    for key, (pkg, _ver, path, digest, *_rest) in SOURCES.items():
                        candidate = extract / path
                        if key in found or not deb.name.startswith(pkg + "_") or not candidate.exists():
                            continue
                        got = sha256(candidate)
                        if got != digest:
                            raise SystemExit(f"{pkg}:{path} has SHA-256 {got}, expected {digest}; refusing it")
                        shutil.copyfile(candidate, src_dir / Path(path).name)
                        found[key] = src_dir / Path(path).name
    if len(found) < len(SOURCES):
        origin = "fixtures" if not found else "debian+fixtures"
        for key, name in FIXTURE_COPIES.items():
            if key not in found and (FIXTURES / name).exists():
                copy = FIXTURES / name
                if sha256(copy) != SOURCES[key][3]:
                    raise SystemExit(f"fixtures/photos/{name} does not match its pinned SHA-256")
                found[key] = copy
        lost = sorted(set(SOURCES) - set(found))
        log(f"FALLBACK: apt-get is unavailable or failed; using fixtures/photos/ copies. Missing: {', '.join(lost)}")
    return found, origin


# --- derived files ---------------------------------------------------------------------------------------

def jpegtran(args: list[str], source: Path, target: Path) -> bool:
    exe = shutil.which("jpegtran")
    if exe is None and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing libjpeg-turbo-progs for jpegtran")
        subprocess.run(["apt-get", "install", "-y", "-qq", "libjpeg-turbo-progs"], capture_output=True)
        exe = shutil.which("jpegtran")
    if exe is None:
        return False
    with open(target, "wb") as out:
        return subprocess.run([exe, "-copy", "all", *args, str(source)], stdout=out).returncode == 0


def describe(path: Path) -> dict:
    from PIL import Image, JpegImagePlugin

    with Image.open(path) as im:
        info = {"width": im.width, "height": im.height, "megapixels": round(im.width * im.height / 1e6, 2),
                "format": im.format, "mode": im.mode}
        if im.format == "JPEG":
            info["progressive"] = bool(im.info.get("progressive") or im.info.get("progression"))
            info["subsampling"] = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}.get(JpegImagePlugin.get_sampling(im), "other")
    info["bytes"] = path.stat().st_size
    info["sha256"] = sha256(path)
    return info


def derive(sources: dict[str, Path], cache: Path, force: bool) -> list[dict]:
    from PIL import Image

    out_dir = cache / "photos"
    out_dir.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []

    def add(name: str, role: str, how: str, source_key: str, make) -> None:
        target = out_dir / name
        if force or not target.exists():
            tmp = target.with_suffix(".tmp")
            if make(tmp) is False:
                tmp.unlink(missing_ok=True)
                log(f"skipped {name}: {how} unavailable")
                return
            tmp.replace(target)
        pkg, ver, path, _digest, licence, author = SOURCES[source_key]
        entries.append({"name": name, "role": role, "how": how, "source": f"{pkg} {ver}:/{path}",
                        "licence": licence, "author": author, "path": str(target), **describe(target)})

    def copy(src: Path):
        return lambda tmp: shutil.copyfile(src, tmp)

    def reencode(src: Path, subsampling: str):
        def make(tmp: Path) -> None:
            with Image.open(src) as im:
                im.convert("RGB").save(tmp, "JPEG", quality=DERIVED_QUALITY, subsampling=subsampling, optimize=True)
        return make

    k = sources.get("kleiber")
    if k:
        add("kleiber-20mp-baseline-422.jpg", "case", "original bytes", "kleiber", copy(k))
        add("kleiber-20mp-progressive-422.jpg", "case", "jpegtran -progressive (lossless)", "kleiber",
            lambda tmp: jpegtran(["-progressive"], k, tmp))
        add("kleiber-20mp-baseline-420.jpg", "case", f"re-encoded q{DERIVED_QUALITY} 4:2:0", "kleiber",
            reencode(k, "4:2:0"))
        add("kleiber-20mp-baseline-444.jpg", "case", f"re-encoded q{DERIVED_QUALITY} 4:4:4", "kleiber",
            reencode(k, "4:4:4"))
    s = sources.get("seeding")
    if s:
        add("seeding-16mp-progressive-420.jpg", "case", "original bytes", "seeding", copy(s))
        add("seeding-16mp-baseline-420.jpg", "case", "jpegtran -optimize (lossless, baseline)", "seeding",
            lambda tmp: jpegtran(["-optimize"], s, tmp))
    for key, name in (("dragonfly", "dragonfly-13mp-progressive-422.jpg"),
                      ("sunset", "sunset-12mp-progressive-422.jpg"),
                      ("twowings", "twowings-4mp-baseline-420.jpg")):
        if sources.get(key):
            add(name, "case", "original bytes", key, copy(sources[key]))
    entries.extend(_ladder(sources, out_dir, force))
    return entries


def _ladder(sources: dict[str, Path], out_dir: Path, force: bool) -> list[dict]:
    """2-24 MP rungs from a 6000x4000 mosaic of four real photos at their native resolution."""
    from PIL import Image

    keys = ("kleiber", "seeding", "dragonfly", "sunset")
    entries = []
    if all(sources.get(k) for k in keys):
        quads = [(sources[k], k) for k in keys]
        mosaic_size = (6000, 4000)
        how = "6000x4000 mosaic of native-resolution 3000x2000 centre crops (kleiber, seeding, dragonfly, sunset)"
    elif sources.get("kleiber"):
        quads = None
        mosaic_size = None
        how = "kleiber, downscaled"
    else:
        return entries
    names = {mp: out_dir / f"ladder-{mp:02d}mp.jpg" for mp in LADDER_MP}
    limit = 6000 * 4000 if quads is not None else 6028 * 3391
    wanted = [mp for mp in LADDER_MP if mp * 1e6 <= limit * 1.001]
    base = None
    if force or not all(names[mp].exists() for mp in wanted):
        if quads is not None:
            base = Image.new("RGB", mosaic_size)
            for i, (path, _key) in enumerate(quads):
                with Image.open(path) as im:
                    im = im.convert("RGB")
                    left, top = (im.width - 3000) // 2, (im.height - 2000) // 2
                    base.paste(im.crop((left, top, left + 3000, top + 2000)), ((i % 2) * 3000, (i // 2) * 2000))
        else:
            with Image.open(sources["kleiber"]) as im:
                base = im.convert("RGB")
    for mp in LADDER_MP:
        target = names[mp]
        if mp not in wanted:
            log(f"ladder: no {mp} MP rung without the Debian photos (never upscaled)")
            continue
        if base is not None:
            ratio = base.width / base.height
            w = round((mp * 1e6 * ratio) ** 0.5)
            h = round(w / ratio)
            rung = base if (w, h) == base.size else base.resize((min(w, base.width), min(h, base.height)),
                                                               Image.Resampling.LANCZOS)
            rung.save(target, "JPEG", quality=90, subsampling="4:2:0", optimize=True)
        entries.append({"name": target.name, "role": "ladder", "how": how, "source": "see how", "licence":
                        "CC-BY-SA-3.0/CC0-1.0/CC-BY-SA-4.0/CC-BY-4.0 (see RESULTS.md)", "author": "several",
                        "path": str(target), **describe(target)})
    return entries


def ensure(cache: Path | None = None, offline: bool = False, force: bool = False) -> dict:
    """Make sure the photos exist; return the manifest (also written to CACHE/manifest.json)."""
    cache = Path(cache or os.environ.get("IMGEDGE_BENCH_PHOTOS") or DEFAULT_CACHE)
    manifest_path = cache / "manifest.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("version") == MANIFEST_VERSION and all(Path(p["path"]).exists() for p in manifest["photos"]):
            if manifest.get("origin") == "debian" or offline:
                return manifest
    cache.mkdir(parents=True, exist_ok=True)
    sources, origin = fetch_sources(cache, offline)
    photos = derive(sources, cache, force)
    manifest = {"version": MANIFEST_VERSION, "origin": origin, "photos": photos}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    log(f"{len(photos)} photos in {cache} (from {origin})")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--offline", action="store_true", help="do not call apt; use fixtures/photos")
    parser.add_argument("--force", action="store_true", help="re-derive everything")
    args = parser.parse_args(argv)
    manifest = ensure(args.cache, args.offline, args.force)
    for p in manifest["photos"]:
        extra = f"{p.get('subsampling', '')} {'progressive' if p.get('progressive') else 'baseline'}"
        print(f"{p['name']:36s} {p['width']}x{p['height']} {p['megapixels']:5.1f} MP {extra:20s} "
              f"{p['bytes']:>9,} B  {p['how']}")
    fallback = "  (FALLBACK: fixtures/photos, apt unavailable)" if manifest["origin"] != "debian" else ""
    print(f"origin: {manifest['origin']}" + fallback)
    return 0


if __name__ == "__main__":
    sys.exit(main())
