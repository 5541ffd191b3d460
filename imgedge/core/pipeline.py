"""The image pipeline: original bytes + a resolved ``VariantSpec`` → encoded variant (or placeholder, or
the original's JSON description). One path for every request:

1. ``decode.open_source``: sniff, read the header, enforce the byte and pixel limits (no pixels yet);
2. ``_plan`` (``geometry``): everything in output space — EXIF orientation composed with the request's
   ``rot``/``flip``, ``rect``, focal point, fit, gravity — then the output-pixel and animation limits;
3. ``admission``: the cost model prices the work from the header and the plan, inside the generation's
   deadline and the function's memory (refused here, before any pixel, when it cannot fit);
   ``fmt=json`` is described here (``placeholder.describe``);
4. ``decode.load_pixels``: JPEG at the smallest DCT scale that keeps the crop ``SCALE_MARGIN`` x the output
   where that decoded frame fits ``SCALE_MARGIN_BYTES``, else 1x (``decode.choose_jpeg_scale``),
   a still WebP shrunk by libwebp to ``WEBP_SHRINK_MARGIN`` x the output, a large PNG to a lossy format
   decoded in strips and box-reduced as it goes (``decode.png_shrink``) or resampled band by band
   (``decode.png_resampled``: the output's pixels, the resample step then has nothing left to do), a still
   WebP to a lossy format resampled band by band as libwebp's incremental decoder finishes its rows
   (``decode.webp_resampled``), and a JPEG whose decoded frame is large as libjpeg's scanline decoder
   finishes its rows (``decode.jpeg_resampled``);
5. ``smartcrop.output_focus`` (``g=smart`` only): re-plan around the salient window of the reduced pixels;
6. per frame (one for a still, ``animate.read`` for an animation): ``steps.FRAME_STEPS``, the ordered
   tuple of per-pixel steps;
7. ``placeholder.text``, or ``encode.encode`` (format, ``meta=copyright``, PNG/GIF palettes; ``q=auto``:
   at the quality ``autoquality.choose`` finds for the target) → ``budget.fit`` (``mb=``).
   ``reencode_within`` re-encodes the result for the inline limit later.

Each stage's wall time goes into ``TransformResult.timings_ms`` through ``_Stages``.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from PIL import Image

from ..config import Config
from ..deadline import Deadline
from ..errors import BadRequest
from ..request.spec import VariantSpec
from ..request.vocabulary import ANIMATED_FORMATS, PLACEHOLDER_FORMATS
from . import (
    admission,
    animate,
    autoquality,
    budget,
    colour,
    cost,
    decode,
    encode,
    geometry,
    metadata,
    palette,
    placeholder,
    smartcrop,
    steps,
)
from . import watermark as watermarks

TEXT = "text/plain; charset=utf-8"
#: Output formats whose encoder never looks at the source's colours (PNG and GIF palettes count them, and
#: ``legacy`` may be PNG): only these take a PNG box-reduced as it is decoded (``decode.png_shrink``).
LOSSY = ("jpeg", "webp", "avif")
CONTENT_TYPES = {**encode.CONTENT_TYPES, "blurhash": TEXT, "lqip": TEXT, "json": "application/json"}


@dataclass
class Encoding:
    """How the result's bytes were encoded, kept so they can be encoded again at another quality (the
    inline limit of an edge response: ``reencode_within``). Lossy formats only."""

    image: Image.Image  # the rendered still, or an animation's first frame
    animation: animate.Animation | None
    fmt: str
    quality: int
    exif: bytes | None
    avif_speed: int
    seconds: float  # what the last pass took

    def encode(self, image: Image.Image, quality: int | None) -> bytes:
        if self.animation is not None:
            return animate.encode(self.animation, self.fmt, quality, self.exif, avif_speed=self.avif_speed)
        return encode.encode(image, self.fmt, quality, exif=self.exif, avif_speed=self.avif_speed)


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
    frames: int = 1
    #: Encode passes made (1, or more for a byte budget or q=auto's probes).
    encode_passes: int = 1
    #: What the cost model predicted before decoding (decode through one encode, with its safety factor;
    #: the bytes the work adds to the process): the log line carries both beside what happened.
    predicted_seconds: float = 0.0
    predicted_bytes: int = 0
    encoding: Encoding | None = field(default=None, repr=False, compare=False)


def reencode_within(encoding: Encoding, data: bytes, limit: int, deadline: Deadline) -> budget.Fitted:
    """``data`` (made by ``encoding``) again at lower qualities, never a smaller size, until it fits in
    ``limit`` bytes; each pass only while the last one's measured time still fits in ``deadline``."""
    return budget.fit(encoding.image, encoding.quality, limit, encoding.encode, first=data, resize=False,
                      deadline=deadline, first_seconds=encoding.seconds)


class _Stages:
    """Wall time per stage, in milliseconds, as ``TransformResult.timings_ms`` reports it."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        mark = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = round((time.perf_counter() - mark) * 1000, 2)

    def since_start(self) -> float:
        return time.perf_counter() - self.started

    def cpu_since_start(self) -> float:
        """Process CPU seconds since the start: what the work cost, whatever else shares the core."""
        return time.process_time() - self.cpu_started


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
    422 when the budget runs out anyway (main thread only; see ``deadline``). ``watermark``: the bytes of
    the image ``spec.watermark`` names (the caller reads it from the store).
    """
    deadline = deadline or Deadline(config.max_generation_seconds)
    with deadline.enforced():
        return _render(data, spec, config, watermark, deadline)


def _render(data: bytes, spec: VariantSpec, config: Config, watermark: bytes | None,
            deadline: Deadline) -> TransformResult:
    stages = _Stages()
    with stages.stage("decode"):
        source = decode.open_source(data, config)
        if spec.format == "json":
            summary = admission.work_for(source, 1 if source.format == "JPEG" else 8, 1, "json", None, False)
            predicted = admission.admit(summary, config, deadline, len(data))[1]
            body = placeholder.describe(source, data, config)
            return _result(body, "json", source.oriented_size, source, stages, predicted)
        layout = _plan(source, spec, config)
        animated = spec.animated and spec.format in ANIMATED_FORMATS and animate.is_animated(source.image)
        frames = animate.check_limits(source.image, layout.plan.output_size, config) if animated else 1
        stored_crop, stored_out = geometry.to_stored_plan(layout.plan, layout.space, layout.orientation)
        eighths = (decode.choose_jpeg_scale(source.stored_size, stored_crop, stored_out, source.image.mode)
                   if source.format == "JPEG" else 8)
        # a large PNG is reduced as its strips are decoded for a lossy still only (an animation's frames are
        # read whole by Pillow, ``animate.read``: its region stays at full size)
        strips = spec.format in LOSSY and not animated
        shrink = decode.png_shrink(source, stored_crop, stored_out) if strips else 1
        bands = strips and shrink == 1 and layout.spec.gravity != "smart" and (
            decode.png_bands(source) or decode.webp_bands(source)
            or decode.jpeg_bands(source, eighths, stored_out))
        work = admission.work_for(source, eighths, frames, admission.output_format(spec, animated),
                                  admission.priced_quality(spec), layout.spec.gravity == "smart", stored_out,
                                  stored_crop, probes=admission.probes_for(spec, animated), shrink=shrink,
                                  bands=bands)
        avif_speed, predicted = admission.admit(work, config, deadline, len(data))
        webp_size = decode.webp_decode_size(source, stored_crop, stored_out)
        pixels = None
        if bands:
            pixels = (decode.webp_resampled(source, stored_crop, stored_out, webp_size) if source.format == "WEBP"
                      else decode.jpeg_resampled(source, stored_crop, stored_out, eighths)
                      if source.format == "JPEG" else decode.png_resampled(source, stored_crop, stored_out))
        if pixels is not None:  # already the output's pixels, in stored orientation
            region: geometry.Box = (0.0, 0.0, float(stored_out[0]), float(stored_out[1]))
        else:
            pixels = decode.load_pixels(source, eighths, webp_size, shrink)
            scale = decode.decoded_scale(pixels.size, source.stored_size, eighths, shrink)
            region = geometry.scale_box(stored_crop, scale, pixels.size)
    if layout.spec.gravity == "smart" and layout.spec.fit == "cover":
        with stages.stage("smartcrop"):
            layout = _smart_plan(layout, pixels, scale)
            stored_crop, stored_out = geometry.to_stored_plan(layout.plan, layout.space, layout.orientation)
            region = geometry.scale_box(stored_crop, scale, pixels.size)
    frame = steps.Frame(region=region, size=stored_out,
                        icc=pixels.info.get("icc_profile"), orientation=layout.orientation, spec=spec,
                        plan=layout.plan, **_watermark(spec, watermark, config))
    exif = metadata.copyright_exif(source.image) if spec.keep_copyright else None
    if animated:
        with stages.stage("resize"):
            animation = animate.read(source.image, frames, lambda image: steps.process(image, _without_icc(frame)))
        admission.require_encode(predicted, stages.since_start(), deadline)
        with stages.stage("encode"):
            return _encode_animation(animation, spec, exif, avif_speed, deadline, source, stages, predicted,
                                 config.auto_quality_allowance)
    with stages.stage("resize"):
        # a lossy still never reads the decoded pixels again (PNG and GIF palettes do): unless they are the
        # source's own (Pillow's decode), the steps get the only reference, so each image is freed (or
        # written into) as soon as the next step has made its own, and none is held through the encode
        handed = spec.format in LOSSY and pixels is not source.image
        given, kept = [pixels], None if handed else pixels
        del pixels
        image = steps.process(given.pop(), frame, owned=handed)
    with stages.stage("encode"):
        if spec.format in PLACEHOLDER_FORMATS:
            return _result(placeholder.text(image, spec.format).encode(), spec.format, image.size, source, stages,
                           predicted)
        admission.require_encode(predicted, stages.since_start(), deadline)
        decode.release_cached_blocks()
        return _encode_still(image, kept, frame, spec, exif, avif_speed, deadline, source, stages, predicted,
                             config.auto_quality_allowance)


def _without_icc(frame: steps.Frame) -> steps.Frame:
    """An animation's frames are read as sRGB RGBA: no profile to apply."""
    return steps.Frame(**{**frame.__dict__, "icc": None})


def _watermark(spec: VariantSpec, data: bytes | None, config: Config) -> dict:
    """The watermark image and its settings for ``steps.Frame`` (none when the request names none)."""
    if spec.watermark is None:
        return {}
    mark = watermarks.load(data, config)
    if mark is None:
        raise ValueError("spec names a watermark but no watermark image was given")
    return {"mark": mark, "mark_settings": config.watermark(spec.watermark)}


def _encode_still(image: Image.Image, pixels: Image.Image | None, frame: steps.Frame, spec: VariantSpec,
                  exif: bytes | None, avif_speed: int, deadline: Deadline, source: decode.SourceImage,
                  stages: _Stages, predicted: cost.Estimate, allowance: float | None) -> TransformResult:
    """The encode step of a still: the format (``legacy`` resolved on the pixels), PNG/GIF palettes from
    the source's colours, then a byte budget's quality and size steps. ``pixels``: the decoded image,
    None for a lossy format (never read: ``_render`` let the steps free it)."""
    fmt = encode.choose_format(spec.format, image)
    if fmt == "jpeg":  # once, not in every encode of q=auto's search and a byte budget's steps
        image = encode.jpeg_pixels(image)
    icc = frame.icc
    palettes = pixels if fmt in ("png", "gif") else None
    plain = palette.plain_reference(palettes, frame.region, frame.size, frame.orientation, spec) if (
        palettes is not None and fmt == "png" and frame.plan.canvas is None and (not icc or colour.is_srgb(icc))
    ) else None
    colours = palette.colour_count(palettes) if palettes is not None else None  # the source's, before resampling

    def encoder(img: Image.Image, quality: int | None) -> bytes:
        return encode.encode(img, fmt, quality, exif=exif, source_colours=colours, avif_speed=avif_speed)

    quality, probes, body, seconds = _auto_quality(image, fmt, spec, encoder, predicted, deadline,
                                                   _Search(stages.cpu_since_start(), allowance, avif_speed))
    if body is None:
        graphic = admission.graphic_alpha_speed(quality, image.size[0] * image.size[1], avif_speed, predicted,
                                                stages.since_start(), deadline) if fmt == "avif" else None
        started = time.perf_counter()
        body = encode.encode(image, fmt, quality, exif=exif, source_colours=colours, plain=plain,
                             avif_speed=avif_speed, graphic_alpha_speed=graphic)
        seconds = time.perf_counter() - started
    size, passes = image.size, 1 + probes
    if spec.max_bytes is not None and len(body) > spec.max_bytes:
        fitted = budget.fit(image, quality, spec.max_bytes, encoder, first=body, deadline=deadline,
                            first_seconds=seconds)
        body, size, passes, seconds = fitted.data, fitted.size, passes + fitted.attempts, fitted.last_seconds or seconds
    out = _result(body, fmt, size, source, stages, predicted, passes=passes)
    if quality is not None and fmt in ("jpeg", "webp", "avif"):  # the inline limit steps quality only
        out.encoding = Encoding(image, None, fmt, quality, exif, avif_speed, seconds)
    return out


@dataclass(frozen=True)
class _Search:
    """What ``q=auto``'s time allowance is made of: the CPU seconds the generation has spent before the
    search, ``Config.auto_quality_allowance`` and the AVIF speed the output is encoded at."""

    spent: float
    share: float | None
    avif_speed: int
    frames: int = 1


def _auto_quality(image: Image.Image, fmt: str, spec: VariantSpec, encoder: Callable[[Image.Image, int], bytes],
                  predicted: cost.Estimate, deadline: Deadline,
                  search: _Search) -> tuple[int | None, int, bytes | None, float]:
    """The quality to encode at (the spec's, or ``q=auto``'s choice for its target), the probes that
    choice made, and the output's bytes and the seconds they took when a probe already made them. The
    probes are at most those the cost model priced, each started only while the final encode still fits
    after it, and together take at most the allowance: ``share`` times what a fixed quality costs, the
    generation so far and the output's encode at the seed quality (the model's rate at the pace this
    process's probes have encoded, ``autoquality.encode_pace``)."""
    if spec.target is None or fmt not in autoquality.FORMATS:
        return spec.quality, 0, None, 0.0
    allowance = None
    if search.share is not None:
        seed = autoquality.SEARCH[fmt].seed_for(spec.target)
        pixels = image.size[0] * image.size[1] * search.frames
        fixed = search.spent + cost.encode_seconds(fmt, seed, pixels, animated=search.frames > 1,
                                                   avif_speed=search.avif_speed) * autoquality.encode_pace(fmt)
        allowance = search.share * fixed

    def preview(img: Image.Image, quality: int) -> bytes:
        return encode.preview(img, fmt, quality)

    choice = autoquality.choose(image, fmt, spec.target, encoder, probes=predicted.probes, deadline=deadline,
                                reserve=predicted.encode_s * cost.SAFETY, allowance=allowance,
                                avif_speed=search.avif_speed, verify=search.frames == 1,
                                preview=preview if fmt in encode.PREVIEW_FORMATS else None)
    return choice.quality, choice.probes, choice.data, choice.probe_seconds


def _encode_animation(animation: animate.Animation, spec: VariantSpec, exif: bytes | None, avif_speed: int,
                      deadline: Deadline, source: decode.SourceImage, stages: _Stages,
                      predicted: cost.Estimate, allowance: float | None) -> TransformResult:
    """The encode step for an animation: every frame at once (``legacy`` is GIF, which carries no EXIF);
    a byte budget steps the quality only, never the frames' size."""
    fmt = "gif" if spec.format == "legacy" else spec.format
    first = animation.frames[0]

    def still(image: Image.Image, quality: int) -> bytes:  # q=auto chooses on the first frame
        return encode.encode(image, fmt, quality, avif_speed=avif_speed)

    quality, probes, _, _ = _auto_quality(first, fmt, spec, still, predicted, deadline,
                                          _Search(stages.cpu_since_start(), allowance, avif_speed,
                                                  len(animation.frames)))
    encoding = Encoding(first, animation, fmt, quality or 0, exif if fmt != "gif" else None, avif_speed, 0.0)
    started = time.perf_counter()
    body = encoding.encode(first, quality)
    encoding.seconds, passes = time.perf_counter() - started, 1 + probes
    if spec.max_bytes is not None and len(body) > spec.max_bytes:
        fitted = budget.fit(first, quality, spec.max_bytes, encoding.encode, first=body, resize=False,
                            deadline=deadline, first_seconds=encoding.seconds)
        body, passes = fitted.data, passes + fitted.attempts
        encoding.seconds = fitted.last_seconds or encoding.seconds
    out = _result(body, fmt, first.size, source, stages, predicted, passes=passes, frames=len(animation.frames))
    if quality is not None and fmt != "gif":
        out.encoding = encoding
    return out


def _result(body: bytes, fmt: str, size: tuple[int, int], source: decode.SourceImage, stages: _Stages,
            predicted: cost.Estimate, *, passes: int = 1, frames: int = 1) -> TransformResult:
    return TransformResult(data=body, content_type=CONTENT_TYPES[fmt], width=size[0], height=size[1], format=fmt,
                           source_format=source.format.lower(), source_size=source.oriented_size,
                           timings_ms=stages.ms, frames=frames, encode_passes=passes,
                           predicted_seconds=predicted.seconds, predicted_bytes=predicted.work_bytes)


def _plan(source: decode.SourceImage, spec: VariantSpec, config: Config) -> _Layout:
    """The geometry step: the request in output space, planned; ``BadRequest`` past the output limit."""
    displayed = source.oriented_size
    orientation = geometry.output_orientation(source.orientation, spec)
    space = geometry.oriented_size(source.stored_size, orientation)
    region = geometry.output_region(spec, displayed)
    work = placeholder.planning_spec(spec, region or (0.0, 0.0, float(space[0]), float(space[1])))
    plan = geometry.plan(space, work, region=region, focus=geometry.output_focus(spec, displayed),
                         max_dimension=config.max_dimension)
    width, height = plan.output_size
    if width * height > config.max_output_pixels:
        asked = (f"scale={spec.scale / 100:g} of this {displayed[0]}x{displayed[1]} original" if spec.scale
                 else "the output")
        raise BadRequest(f"{asked} is {width}x{height}, over the {config.max_output_pixels} pixel limit")
    return _Layout(orientation, space, region, work, plan)


def _smart_plan(layout: _Layout, pixels: Image.Image, scale: tuple[float, float]) -> _Layout:
    """``g=smart``: the same plan, its crop centred on the most salient window of the decoded pixels."""
    focus = smartcrop.output_focus(pixels, layout.region, layout.space, layout.orientation, scale, layout.plan)
    plan = geometry.plan(layout.space, layout.spec, region=layout.region, focus=focus)
    return _Layout(layout.orientation, layout.space, layout.region, layout.spec, plan)
