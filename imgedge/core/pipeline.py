"""The image pipeline: original bytes + a resolved ``VariantSpec`` → encoded variant (or placeholder, or
the original's JSON description). One path for every request, as an ordered list of steps:

1. ``decode.open_source``: sniff, read the header, enforce the byte and pixel limits (no pixels yet);
   ``fmt=json`` stops here (``placeholder.describe``);
2. ``_plan`` (``geometry``): everything in output space — EXIF orientation composed with the request's
   ``rot``/``flip``, ``rect``, focal point, fit, gravity — then the output-pixel and animation limits;
3. ``decode.load_pixels``: JPEG at the smallest DCT scale that keeps the crop ``SCALE_MARGIN`` x the output;
4. ``smartcrop.output_focus`` (``g=smart`` only): re-plan around the salient window of the reduced pixels;
5. per frame (one for a still, ``animate.read`` for an animation), on the stored orientation until the
   transpose: ``resize.normalise_mode`` → ``resize.resample`` → ``colour.to_srgb`` → ``decode.orient``
   (one transpose for EXIF and request together) → ``effects.adjust``/``blur``/``sharpen`` →
   ``effects.flatten`` (``bg``) → ``effects.pad`` (contain) → ``watermark.apply``;
6. ``placeholder.text``, or ``encode.encode`` (format, ``meta=copyright``, PNG/GIF palettes) →
   ``budget.fit`` (``mb=``).

Every step is a function in its own module that hands back its input untouched when its option is off,
so a plain resize costs what it always did: no full-size orientation copy, no full-size colour
conversion, no second palette expansion, no copy or conversion for an option that is not set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from PIL import Image

from ..config import Config
from ..errors import BadRequest, PayloadTooLarge
from ..request.spec import VariantSpec
from ..request.vocabulary import ANIMATED_FORMATS, PLACEHOLDER_FORMATS
from . import animate, budget, colour, cost, decode, effects, encode, geometry, metadata, palette, placeholder, resize
from . import smartcrop
from ..deadline import Deadline
from . import watermark as watermarks

TEXT = "text/plain; charset=utf-8"
CONTENT_TYPES = {**encode.CONTENT_TYPES, "blurhash": TEXT, "lqip": TEXT, "json": "application/json"}


@dataclass
class TransformResult:
    """An encoded variant and what the edge needs to serve and log it."""

    data: bytes
    content_type: str
    width: int
    height: int
    format: str
    source_format: str = ""
    source_size: tuple[int, int] = (0, 0)
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: Re-encodes the rendered image at lower quality within a byte budget (the inline limit of an edge
    #: response; ``budget.fit`` with ``resize=False``): lossy formats only, None otherwise.
    refit: Callable[[int, Deadline], budget.Fitted] | None = field(default=None, repr=False, compare=False)
    frames: int = 1
    #: Wall time of the last encode pass (the measured price of another one, for the inline limit).
    encode_seconds: float = 0.0
    #: Encode passes made (1, or more for a byte budget).
    encode_passes: int = 1
    #: What the cost model predicted before decoding (decode through one encode, with its safety factor;
    #: the bytes the work adds to the process): the log line carries both beside what happened.
    predicted_seconds: float = 0.0
    predicted_bytes: int = 0


@dataclass(frozen=True)
class _Layout:
    """Where the pixels come from and go, in the decoded image's terms (``_plan``'s result)."""

    orientation: int  # stored → output: EXIF, then the request's rotation and mirror
    space: tuple[int, int]  # the source's size in output space
    region: geometry.Box | None  # ``rect`` in output space
    spec: VariantSpec  # what to plan with (a placeholder plans as a small PNG)
    plan: geometry.Plan


def render(data: bytes, spec: VariantSpec, config: Config, *, watermark: bytes | None = None,
           deadline: Deadline | None = None) -> TransformResult:
    """Produce the variant ``spec`` describes from the original ``data``, inside ``deadline`` (a budget of
    ``config.max_generation_seconds`` from now when not given).

    Raises ``ImageEdgeError``: 422 (``TooCostly``) when the cost model says the work cannot finish in
    what is left of the budget, 413 when it would not fit in memory, both before any pixel is decoded;
    422 when the budget runs out anyway (main thread only; see ``deadline``).
    """
    deadline = deadline or Deadline(config.max_generation_seconds)
    with deadline.enforced():
        return _render(data, spec, config, watermark=watermark, deadline=deadline)


def _render(data: bytes, spec: VariantSpec, config: Config, *, watermark: bytes | None,
            deadline: Deadline) -> TransformResult:
    """Produce the variant ``spec`` describes from the original ``data``. Raises ``ImageEdgeError``.

    ``watermark``: the bytes of the image ``spec.watermark`` names (the caller reads it from the store).
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    source = decode.open_source(data, config)
    displayed = source.oriented_size

    prediction: dict[str, float] = {}

    def result(body: bytes, fmt: str, size: tuple[int, int]) -> TransformResult:
        return TransformResult(data=body, content_type=CONTENT_TYPES[fmt], width=size[0], height=size[1],
                               format=fmt, source_format=source.format.lower(), source_size=displayed,
                               timings_ms=timings, **prediction)

    if spec.format == "json":
        work = _work(source, 1 if source.format == "JPEG" else 8, 1, "json", None, False)
        _admit(work, config, deadline)
        predicted = cost.estimate(work)
        prediction.update(predicted_seconds=predicted.seconds, predicted_bytes=predicted.work_bytes)
        body = placeholder.describe(source, data, config)
        timings["decode"] = _ms_since(started)
        return result(body, "json", displayed)

    layout = _plan(source, spec, config)
    animated = spec.animated and spec.format in ANIMATED_FORMATS and animate.is_animated(source.image)
    frames = animate.check_limits(source.image, layout.plan.output_size, config) if animated else 1
    stored_crop, stored_out = geometry.to_stored_plan(layout.plan, layout.space, layout.orientation)
    eighths = decode.choose_jpeg_scale(source.stored_size, stored_crop, stored_out) if source.format == "JPEG" else 8
    work = _work(source, eighths, frames, _output_format(spec, animated), spec.quality,
                 layout.spec.gravity == "smart", stored_out, stored_crop)
    avif_speed = _admit(work, config, deadline)
    predicted = cost.estimate(work, avif_speed)
    prediction.update(predicted_seconds=predicted.seconds, predicted_bytes=predicted.work_bytes)
    pixels = decode.load_pixels(source, eighths)
    icc_profile = pixels.info.get("icc_profile")
    scale = decode.decoded_scale(pixels.size, source.stored_size, eighths)
    timings["decode"] = _ms_since(started)

    if layout.spec.gravity == "smart" and layout.spec.fit == "cover":
        mark = time.perf_counter()
        layout = _smart_plan(layout, pixels, scale)
        stored_crop, stored_out = geometry.to_stored_plan(layout.plan, layout.space, layout.orientation)
        timings["smartcrop"] = _ms_since(mark)
    decoded_crop = geometry.scale_box(stored_crop, scale, pixels.size)
    mark_image = watermarks.load(watermark, config) if spec.watermark is not None else None
    if spec.watermark is not None and mark_image is None:
        raise ValueError("spec names a watermark but no watermark image was given")
    mark_settings = config.watermark(spec.watermark) if spec.watermark is not None else None
    plan = layout.plan

    def process(frame: Image.Image, icc: bytes | None) -> Image.Image:
        image, region = resize.normalise_reduced(frame, decoded_crop, stored_out)
        image = resize.resample(image, region, stored_out)
        image = colour.to_srgb(image, icc)
        image = decode.orient(image, layout.orientation)
        image = effects.adjust(image, brightness=spec.brightness, contrast=spec.contrast,
                               saturation=spec.saturation, grayscale=spec.grayscale)
        image = effects.blur(image, spec.blur)
        image = effects.sharpen(image, spec.sharpen)
        image = effects.flatten(image, spec.background)
        image = effects.pad(image, plan.canvas, plan.offset, spec.background)
        return watermarks.apply(image, mark_image, mark_settings)

    mark = time.perf_counter()
    exif = metadata.copyright_exif(source.image) if spec.keep_copyright else None
    if animated:
        animation = animate.read(source.image, frames, lambda frame: process(frame, None))
        timings["resize"] = _ms_since(mark)
        _require_encode(predicted, started, deadline)
        return _encode_animation(animation, spec, exif, timings, result, avif_speed, deadline)
    image = process(pixels, icc_profile)
    timings["resize"] = _ms_since(mark)

    mark = time.perf_counter()
    if spec.format in PLACEHOLDER_FORMATS:
        body = placeholder.text(image, spec.format).encode()
        timings["encode"] = _ms_since(mark)
        return result(body, spec.format, image.size)
    fmt = encode.choose_format(spec.format, image)
    plain = palette.plain_reference(pixels, decoded_crop, stored_out, layout.orientation, spec) if fmt == "png" and (
        plan.canvas is None and (not icc_profile or colour.is_srgb(icc_profile))) else None
    colours = palette.colour_count(pixels) if fmt in ("png", "gif") else None  # the source's, before resampling

    def encoder(img: Image.Image, quality: int | None, reference: Image.Image | None = None) -> bytes:
        return encode.encode(img, fmt, quality, exif=exif, source_colours=colours, plain=reference,
                             avif_speed=avif_speed)

    _require_encode(predicted, started, deadline)
    encode_started = time.perf_counter()
    body = encoder(image, spec.quality, plain)
    pass_seconds = time.perf_counter() - encode_started
    fitted_size, passes = image.size, 1
    if spec.max_bytes is not None and len(body) > spec.max_bytes:
        fitted = budget.fit(image, spec.quality, spec.max_bytes, encoder, first=body, deadline=deadline,
                            first_seconds=pass_seconds)
        body, fitted_size, passes = fitted.data, fitted.size, 1 + fitted.attempts
        pass_seconds = fitted.last_seconds or pass_seconds
    timings["encode"] = _ms_since(mark)
    out = result(body, fmt, fitted_size)
    out.encode_seconds, out.encode_passes = pass_seconds, passes
    if spec.quality is not None:  # the inline limit steps a lossy format's quality, never its size
        out.refit = lambda limit, within: budget.fit(image, spec.quality, limit, encoder, first=out.data,
                                                     resize=False, deadline=within, first_seconds=pass_seconds)
    return out


def _output_format(spec: VariantSpec, animated: bool) -> str:
    """The encoder the cost model prices (``legacy`` as JPEG, or GIF for an animation)."""
    if spec.format == "legacy":
        return "gif" if animated else "jpeg"
    return spec.format


def _work(source: decode.SourceImage, eighths: int, frames: int, out_format: str, quality: int | None,
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
        region = tuple(v * eighths / 8 for v in crop)
        factor = resize.strip_reduce_factor(decoded_size, region, output_size, converts)
    return cost.Work(
        source_format=source.format, progressive=bool(image.info.get("progressive") or image.info.get("progression")),
        stored_pixels=width * height, decoded_pixels=decoded, decoded_mode=image.mode,
        raw_bytes_per_pixel=cost.raw_bytes_per_pixel(image), interlaced=bool(image.info.get("interlace")),
        converts=converts, reduce_factor=factor, coefficient_bytes=cost.coefficient_bytes(image),
        output_pixels=output_size[0] * output_size[1], frames=frames,
        out_format=out_format, quality=quality, smart=smart)


#: Seconds kept for storing the variant and answering, after the render.
STORE_RESERVE_SECONDS = 1.5


def _admit(work: cost.Work, config: Config, deadline: Deadline) -> int:
    """Refuse, before any pixel is decoded, what cannot finish inside the budget or the memory, and return
    the AVIF speed that makes it fit (``encode.AVIF_SPEED`` unless only a faster one does)."""
    base = cost.estimate(work, encode.AVIF_SPEED)
    speed = encode.AVIF_SPEED
    if work.out_format == "avif":
        default = animate.AVIF_SPEED if work.frames > 1 else encode.AVIF_SPEED
        left = deadline.remaining() - STORE_RESERVE_SECONDS - (base.decode_s + base.resample_s) * cost.SAFETY
        speed = cost.avif_speed(work.quality, work.output_pixels * max(1, work.frames), left, default)
    estimate = cost.estimate(work, speed)
    deadline.require(estimate.seconds + STORE_RESERVE_SECONDS, "generating this variant")
    needed = cost.resident_bytes() + estimate.work_bytes
    limit = cost.memory_limit(config.memory_limit_mb)
    if needed > limit:
        raise PayloadTooLarge(f"this variant needs about {needed >> 20} MB to generate, over the "
                              f"{limit >> 20} MB this function may use")
    return speed


def _require_encode(predicted: cost.Estimate, started: float, deadline: Deadline) -> None:
    """Before the encode (which nothing can interrupt): its predicted time, scaled by how much slower
    than predicted the decode and resample actually ran, must fit in what is left."""
    spent = time.perf_counter() - started
    expected = predicted.decode_s + predicted.resample_s
    pace = min(4.0, max(1.0, spent / expected)) if expected > 0 else 1.0
    deadline.require(predicted.encode_s * pace * cost.SAFETY, "encoding this variant")


def _plan(source: decode.SourceImage, spec: VariantSpec, config: Config) -> _Layout:
    """The geometry step: the request in output space, planned; ``BadRequest`` past the output limit."""
    displayed = source.oriented_size
    orientation = geometry.output_orientation(source.orientation, spec)
    space = geometry.oriented_size(source.stored_size, orientation)
    region = geometry.output_region(spec, displayed)
    work = placeholder.planning_spec(spec, region or (0.0, 0.0, float(space[0]), float(space[1])))
    plan = geometry.plan(space, work, region=region, focus=geometry.output_focus(spec, displayed))
    if plan.output_size[0] * plan.output_size[1] > config.max_output_pixels:
        raise BadRequest(f"the output would exceed the {config.max_output_pixels} pixel limit")
    return _Layout(orientation, space, region, work, plan)


def _smart_plan(layout: _Layout, pixels: Image.Image, scale: tuple[float, float]) -> _Layout:
    """``g=smart``: the same plan, its crop centred on the most salient window of the decoded pixels."""
    focus = smartcrop.output_focus(pixels, layout.region, layout.space, layout.orientation, scale, layout.plan)
    plan = geometry.plan(layout.space, layout.spec, region=layout.region, focus=focus)
    return _Layout(layout.orientation, layout.space, layout.region, layout.spec, plan)


def _encode_animation(animation: animate.Animation, spec: VariantSpec, exif: bytes | None,
                      timings: dict[str, float], result: Callable[..., TransformResult], avif_speed: int,
                      deadline: Deadline) -> TransformResult:
    """The encode step for an animation: every frame at once (``legacy`` is GIF, which carries no EXIF);
    a byte budget steps the quality only, never the frames' size."""
    mark = time.perf_counter()
    fmt = "gif" if spec.format == "legacy" else spec.format
    exif = exif if fmt != "gif" else None

    def encoder(_image: Image.Image, quality: int | None) -> bytes:
        return animate.encode(animation, fmt, quality, exif, avif_speed=avif_speed)

    first = animation.frames[0]
    body = encoder(first, spec.quality)
    pass_seconds, passes = time.perf_counter() - mark, 1
    if spec.max_bytes is not None and len(body) > spec.max_bytes:
        fitted = budget.fit(first, spec.quality, spec.max_bytes, encoder, first=body, resize=False,
                            deadline=deadline, first_seconds=pass_seconds)
        body, passes = fitted.data, 1 + fitted.attempts
        pass_seconds = fitted.last_seconds or pass_seconds
    timings["encode"] = _ms_since(mark)
    out: TransformResult = result(body, fmt, first.size)
    out.frames = len(animation.frames)
    out.encode_seconds, out.encode_passes = pass_seconds, passes
    if spec.quality is not None and fmt != "gif":
        out.refit = lambda limit, within: budget.fit(first, spec.quality, limit, encoder, first=out.data,
                                                     resize=False, deadline=within, first_seconds=pass_seconds)
    return out


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)

