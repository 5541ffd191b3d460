"""Animated originals (GIF, WebP, APNG, AVIF sequences): count, check limits, read frames, write animations.

An animated original becomes an animated variant when the output can animate (WebP, AVIF, GIF, and
``legacy``, which is GIF for an animated original) and the request did not say ``anim=0``. Before any
frame past the first is decoded, the frame count and the total pixel count (width x height x frames,
of the original and of the output) are checked against ``Config.max_frames`` and
``Config.max_animated_pixels``: over either is a 413. Frames are counted without decoding (GIF: the
block structure is skipped through, at most ``max_frames + 1`` frames; WebP/APNG/AVIF: the container
says), so a GIF of a million 1-pixel frames costs a bounded walk, not a million decodes.

Frames are read fully composited (Pillow applies GIF disposal and WebP blending), as RGBA, one at a
time; each is processed by the caller's function as it is read, so only the small output frames stay in
memory. Durations (ms) and the loop count are kept.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

from PIL import Image

from ..config import Config
from ..errors import PayloadTooLarge, UnprocessableImage
from .encode import avif_alpha

#: Shortest frame duration written (ms): browsers draw anything shorter at 100 ms (GIF) or clamp it.
MIN_DURATION_MS = 20
DEFAULT_DURATION_MS = 100
#: AVIF speed for animations: every frame is an encode, so faster than a still's (``encode.AVIF_SPEED``).
AVIF_SPEED = 8


@dataclass
class Animation:
    frames: list[Image.Image]
    durations: list[int]
    loop: int


def frame_count(image: Image.Image, limit: int) -> int:
    """The number of frames, or ``limit + 1`` when there are more than ``limit`` (counted without decoding)."""
    if image.format == "GIF" and hasattr(image, "_seek"):
        start = image.tell()
        count = 1
        try:
            while count <= limit:
                image._seek(count, False)  # what ``n_frames`` does: reads block headers, decodes nothing
                count += 1
        except EOFError:
            pass
        except (OSError, ValueError, SyntaxError) as exc:
            raise UnprocessableImage("the original is truncated or corrupt") from exc
        finally:
            try:
                image.seek(start)
            except (EOFError, OSError, ValueError):
                pass
        return count
    return int(getattr(image, "n_frames", 1) or 1)


def is_animated(image: Image.Image) -> bool:
    return bool(getattr(image, "is_animated", False))


def check_limits(image: Image.Image, out_size: tuple[int, int], config: Config) -> int:
    """The frame count, after refusing (413) originals or outputs over the animation limits."""
    frames = frame_count(image, config.max_frames)
    if frames > config.max_frames:
        raise PayloadTooLarge(f"the animation has more than {config.max_frames} frames")
    width, height = image.size
    if frames * width * height > config.max_animated_pixels:
        raise PayloadTooLarge(f"the animation exceeds {config.max_animated_pixels} pixels over all its frames")
    if frames * out_size[0] * out_size[1] > config.max_animated_pixels:
        raise PayloadTooLarge(f"the animated output would exceed {config.max_animated_pixels} pixels")
    return frames


def read(image: Image.Image, frames: int, process: Callable[[Image.Image], Image.Image]) -> Animation:
    """Decode each frame as RGBA and hand it to ``process`` (which returns the output frame)."""
    out, durations = [], []
    loop = int(image.info.get("loop", 0) or 0)
    try:
        for index in range(frames):
            image.seek(index)
            durations.append(max(MIN_DURATION_MS, int(image.info.get("duration") or DEFAULT_DURATION_MS)))
            out.append(process(image.convert("RGBA")))
    except EOFError:
        pass  # fewer frames than the header promised: keep what was there
    except (OSError, ValueError, SyntaxError) as exc:
        if not out:
            raise UnprocessableImage("the original is truncated or corrupt") from exc
    if not out:
        raise UnprocessableImage("the original has no readable frame")
    return Animation(out, durations[:len(out)], loop)


def encode(animation: Animation, fmt: str, quality: int | None, exif: bytes | None = None, *,
           avif_speed: int = 0) -> bytes:
    """An animated WebP, AVIF or GIF of ``animation`` (a single frame is written as a still); AVIF at
    ``avif_speed`` when the cost model chose one (``AVIF_SPEED`` otherwise)."""
    frames = animation.frames
    first, rest = frames[0], frames[1:]
    common = {"save_all": True, "append_images": rest, "duration": animation.durations, "loop": animation.loop}
    out = io.BytesIO()
    first.info = {}
    if fmt == "webp":
        first.save(out, "WEBP", quality=quality or 80, method=4, **common, **({"exif": exif} if exif else {}))
    elif fmt == "avif":
        # one alpha mode for the whole file: decided on every frame (a masked histogram each)
        (first, *rest), premultiplied = avif_alpha(frames)  # a flattened frame is a new image: no info either
        first.save(out, "AVIF", quality=quality or 60, speed=max(avif_speed, AVIF_SPEED),
                   **{**common, "append_images": rest}, alpha_premultiplied=premultiplied,
                   **({"exif": exif} if exif else {}))
    elif fmt == "gif":
        first.save(out, "GIF", optimize=False, disposal=2, **common)
    else:
        raise ValueError(f"{fmt!r} cannot animate")
    return out.getvalue()
