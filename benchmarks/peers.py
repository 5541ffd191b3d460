"""The peers imgedge's quality per byte is measured against: libvips (pyvips) and sharp (Node).

* ``libvips``: ``pyvips.Image.thumbnail_buffer`` and libvips' own saver defaults (what a libvips user
  gets): ``jpegsave`` (baseline, standard Huffman tables, 4:2:0), ``webpsave`` (effort 4), ``heifsave``
  (AV1, effort 4, 4:2:0 below Q 90). Only the quality is swept.
* ``libvips-matched``: the same resize, saved with imgedge's encoder settings (``impls.vips_save``): the
  difference to imgedge is then the resize alone.
* ``sharp``: sharp 0.35 with its defaults (JPEG 4:2:0 with fitted Huffman tables, WebP effort 4, AVIF
  4:4:4 effort 4), driven through ``benchmarks/sharp/serve.js`` in one long-lived Node process with
  ``sharp.concurrency(1)``. ``ensure_sharp`` installs it (``npm ci`` into ``benchmarks/sharp/node_modules``,
  outside git); without Node or npm, ``sharp_missing`` says why and the benchmarks skip sharp.

Every peer takes the original's bytes (sharp its path), the output width (never enlarged), the format
and a quality, and returns the encoded bytes. JPEG output of an image with alpha is flattened onto
white by every peer, as imgedge does, so the same picture is compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARP_DIR = HERE / "sharp"


def libvips(data: bytes, width: int, fmt: str, quality: int) -> bytes:
    from impls import vips_thumbnail

    image = vips_thumbnail(data, width)
    if fmt == "jpeg":
        if image.hasalpha():
            image = image.flatten(background=[255] * (image.bands - 1))
        return image.jpegsave_buffer(Q=quality, keep="none")
    if fmt == "webp":
        return image.webpsave_buffer(Q=quality, keep="none")
    if fmt == "avif":
        return image.heifsave_buffer(Q=quality, compression="av1", keep="none")
    raise ValueError(fmt)


def libvips_matched(data: bytes, width: int, fmt: str, quality: int) -> bytes:
    from impls import Case, vips_save, vips_thumbnail

    image = vips_thumbnail(data, width)
    if fmt == "jpeg" and image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    return vips_save(image, Case("matched", width, fmt, quality))


def sharp_missing() -> str | None:
    """Why sharp cannot run here (None when it can)."""
    if not shutil.which("node"):
        return "Node.js is not installed (Debian: apt-get install nodejs npm)"
    if not (SHARP_DIR / "node_modules" / "sharp" / "package.json").exists():
        return "sharp is not installed (python benchmarks/peers.py --install, or npm ci in benchmarks/sharp)"
    return None


def ensure_sharp() -> str | None:
    """Install sharp with npm when Node and npm exist and it is missing; return why it is unavailable."""
    reason = sharp_missing()
    if reason and shutil.which("node") and shutil.which("npm"):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SHARP_DIR, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reason = sharp_missing()
    return reason


class Sharp:
    """One Node process running sharp; ``encode`` sends it one resize at a time."""

    def __init__(self) -> None:
        reason = sharp_missing()
        if reason:
            raise RuntimeError(reason)
        self._tmp = tempfile.TemporaryDirectory(prefix="imgedge-sharp-")
        self._proc = subprocess.Popen(["node", str(SHARP_DIR / "serve.js")], cwd=SHARP_DIR, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.version = (self._proc.stderr.readline() if self._proc.stderr else "").strip()

    def encode(self, path: str, width: int, fmt: str, quality: int, options: dict | None = None) -> bytes:
        assert self._proc.stdin and self._proc.stdout
        output = os.path.join(self._tmp.name, f"out.{fmt}")
        request = {"input": path, "width": width, "format": fmt, "quality": quality, "options": options or {},
                   "output": output}
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        answer = json.loads(self._proc.stdout.readline())
        if "error" in answer:
            raise RuntimeError(f"sharp: {answer['error']}")
        return Path(output).read_bytes()

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=10)
        self._tmp.cleanup()

    def __enter__(self) -> Sharp:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    import sys

    if "--install" in sys.argv:
        print(ensure_sharp() or "sharp is installed")
    else:
        print(sharp_missing() or "sharp is available")
