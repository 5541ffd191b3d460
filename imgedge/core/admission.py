"""Admission: before any pixel is decoded, what the generation will cost, and whether it may start.

The cost model (``cost``) prices the work from the header and the plan; this module turns that into a
decision inside the generation's ``Deadline`` and the function's memory: refuse (422 for time, 413 for
memory), pick a faster AVIF speed when only that fits, and, before the encode that nothing can
interrupt, check its estimate again against what is left, scaled by how the decode actually went.
"""

from __future__ import annotations

from ..config import Config
from ..deadline import Deadline
from ..errors import PayloadTooLarge
from ..request.spec import VariantSpec
from . import animate, cost, decode, encode, geometry, placeholder, resize


def output_format(spec: VariantSpec, animated: bool) -> str:
    """The encoder the cost model prices (``legacy`` as JPEG, or GIF for an animation)."""
    if spec.format == "legacy":
        return "gif" if animated else "jpeg"
    return spec.format


def work_for(source: decode.SourceImage, eighths: int, frames: int, out_format: str, quality: int | None,
          smart: bool, output_size: tuple[int, int] = (64, 64), crop: geometry.Box | None = None) -> cost.Work:
    """What the cost model needs, from the header and the plan (``crop``: the stored region, or None for
    a whole-image summary such as ``fmt=json``, which reduces before it converts)."""
    image = source.image
    width, height = source.stored_size
    decoded_size = (-(-width * eighths // 8), -(-height * eighths // 8))
    decoded = decoded_size[0] * decoded_size[1]
    converts = resize.converts_at_full_size(image)
    if crop is None:
        factor = max(1, max(decoded_size) // placeholder.DESCRIBE_SIDE)
    else:
        left, top, right, bottom = crop
        region = (left * eighths / 8, top * eighths / 8, right * eighths / 8, bottom * eighths / 8)
        factor = resize.strip_reduce_factor(decoded_size, region, output_size, converts)
    return cost.Work(
        source_format=source.format, progressive=bool(image.info.get("progressive") or image.info.get("progression")),
        stored_pixels=width * height, decoded_pixels=decoded, decoded_mode=image.mode,
        raw_bytes_per_pixel=cost.raw_bytes_per_pixel(image), interlaced=bool(image.info.get("interlace")),
        converts=converts, reduce_factor=factor, coefficient_bytes=cost.coefficient_bytes(image),
        output_pixels=output_size[0] * output_size[1], frames=frames,
        out_format=out_format, quality=quality, smart=smart, decoder_copy_bytes=decode.decoder_copy(source))


#: Seconds kept for storing the variant and answering, after the render.
STORE_RESERVE_SECONDS = 1.5


def admit(work: cost.Work, config: Config, deadline: Deadline, source_bytes: int = 0) -> tuple[int, cost.Estimate]:
    """Refuse, before any pixel is decoded, what cannot finish inside the budget or the memory; return the
    AVIF speed that makes it fit (``encode.AVIF_SPEED`` unless only a faster one does) and the estimate."""
    base = cost.estimate(work, encode.AVIF_SPEED)
    speed = encode.AVIF_SPEED
    if work.out_format == "avif":
        default = animate.AVIF_SPEED if work.frames > 1 else encode.AVIF_SPEED
        left = deadline.remaining() - STORE_RESERVE_SECONDS - (base.decode_s + base.resample_s) * cost.SAFETY
        speed = cost.avif_speed(work.quality, work.output_pixels * max(1, work.frames), left, default)
    estimate = cost.estimate(work, speed)
    deadline.require(estimate.seconds + STORE_RESERVE_SECONDS, "generating this variant")
    needed = cost.needed_bytes(estimate, source_bytes)
    limit = cost.memory_limit(config.memory_limit_mb)
    if needed > limit:
        raise PayloadTooLarge(f"this variant needs about {needed >> 20} MB to generate, over the "
                              f"{limit >> 20} MB this function may use")
    return speed, estimate


def require_encode(predicted: cost.Estimate, spent: float, deadline: Deadline) -> None:
    """Before the encode (which nothing can interrupt): its predicted time, scaled by how much slower
    than predicted the decode and resample actually ran (``spent`` seconds so far), must fit in what is
    left."""
    expected = predicted.decode_s + predicted.resample_s
    pace = min(4.0, max(1.0, spent / expected)) if expected > 0 else 1.0
    deadline.require(predicted.encode_s * pace * cost.SAFETY, "encoding this variant")
