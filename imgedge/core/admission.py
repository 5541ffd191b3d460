"""Admission: before any pixel is decoded, what the generation will cost, and whether it may start.

The cost model (``cost``) prices the work from the header and the plan; this module turns that into a
decision inside the generation's ``Deadline`` and the function's memory: refuse (422 for time, 413 for
memory), pick a faster AVIF speed when only that fits, allow ``q=auto`` only the probes that fit, and,
before the encode that nothing can interrupt, check its estimate again against what is left, scaled by
how the decode actually went.
"""

from __future__ import annotations

from dataclasses import replace

from ..config import Config
from ..deadline import Deadline
from ..errors import PayloadTooLarge
from ..request.spec import VariantSpec
from . import animate, autoquality, cost, decode, encode, geometry, placeholder, resize


def output_format(spec: VariantSpec, animated: bool) -> str:
    """The encoder the cost model prices (``legacy`` as JPEG, or GIF for an animation)."""
    if spec.format == "legacy":
        return "gif" if animated else "jpeg"
    return spec.format


def priced_quality(spec: VariantSpec) -> int | None:
    """The quality the encode is priced at: the spec's, or for ``q=auto`` the highest its search may
    choose."""
    if spec.target is None:
        return spec.quality
    search = autoquality.SEARCH.get("jpeg" if spec.format == "legacy" else spec.format)
    return search.high if search is not None else None


def probes_for(spec: VariantSpec, animated: bool) -> int:
    """``q=auto``'s probe encodes at most (none for a fixed quality or a format without one)."""
    if spec.target is None or output_format(spec, animated) not in autoquality.FORMATS:
        return 0
    return autoquality.PROBES


def work_for(source: decode.SourceImage, eighths: int, frames: int, out_format: str, quality: int | None,
          smart: bool, output_size: tuple[int, int] = (64, 64), crop: geometry.Box | None = None, *,
          probes: int = 0, shrink: int = 1, bands: bool = False) -> cost.Work:
    """What the cost model needs, from the header and the plan (``crop``: the stored region, or None for
    a whole-image summary such as ``fmt=json``, which reduces before it converts; ``probes``: ``q=auto``'s
    probe encodes; ``shrink``: a PNG decoded in strips is box-reduced by this, ``decode.png_shrink``;
    ``bands``: ... or resampled band by band, ``decode.png_resampled``, or a WebP's,
    ``decode.webp_resampled``)."""
    image = source.image
    width, height = source.stored_size
    decoded_size = decode.decoded_size(source.stored_size, eighths)
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
        out_format=out_format, quality=quality, smart=smart, decoder_copy_bytes=decode.decoder_copy(source),
        probes=probes, probe_pixels=autoquality.probe_pixels(output_size, out_format) if probes else 0,
        strip_shrink=shrink if decode.png_strip_reads(source) else 0, banded=bands,
        decoder_plane_bytes=decode.webp_plane_bytes(source))


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
    while estimate.probes and not deadline.allows(estimate.seconds + STORE_RESERVE_SECONDS):
        # q=auto: fewer probes (at none, the seed quality) rather than a refusal
        estimate = cost.estimate(replace(work, probes=estimate.probes - 1), speed)
    deadline.require(estimate.seconds + STORE_RESERVE_SECONDS, "generating this variant")
    needed = cost.needed_bytes(estimate, source_bytes)
    limit = cost.memory_limit(config.memory_limit_mb)
    if needed > limit:
        raise PayloadTooLarge(f"this variant needs about {needed >> 20} MB to generate, over the "
                              f"{limit >> 20} MB this function may use")
    return speed, estimate


def graphic_alpha_speed(quality: int | None, pixels: int, avif_speed: int, predicted: cost.Estimate, spent: float,
                        deadline: Deadline) -> int | None:
    """The alpha plane's AVIF speed should the image be a one-colour graphic (``encode.AVIF_GRAPHIC_ALPHA_SPEED``),
    when the generation runs at the default speed and that slower encode, priced by the cost model and
    scaled by the pace so far (``require_encode``), still fits with the store's reserve; None otherwise."""
    if avif_speed != encode.AVIF_SPEED:
        return None
    seconds = cost.graphic_alpha_seconds(quality, pixels) * _pace(predicted, spent) * cost.SAFETY
    return encode.AVIF_GRAPHIC_ALPHA_SPEED if deadline.allows(seconds + STORE_RESERVE_SECONDS) else None


def _pace(predicted: cost.Estimate, spent: float) -> float:
    """How much slower than predicted the decode and resample ran (1 to 4)."""
    expected = predicted.decode_s + predicted.resample_s
    return min(4.0, max(1.0, spent / expected)) if expected > 0 else 1.0


def require_encode(predicted: cost.Estimate, spent: float, deadline: Deadline) -> None:
    """Before the encode (which nothing can interrupt): its predicted time, scaled by how much slower
    than predicted the decode and resample actually ran (``spent`` seconds so far), must fit in what is
    left."""
    deadline.require(predicted.encode_s * _pace(predicted, spent) * cost.SAFETY, "encoding this variant")
