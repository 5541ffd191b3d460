"""The full variant pipeline: every option of the grammar, in one ordered list of small steps.

decode header (limits) → JSON info, or: plan in output space (rect, rotation, flip, fit, gravity, focal
point) → animation limits → decode pixels (JPEG at a DCT scale) → smart crop focus (saliency on the
reduced region) → per frame: normalise mode → resample on the stored orientation → colour to sRGB →
transpose once (EXIF orientation and the request's rotation/flip together) → colour adjustments, blur,
sharpen → background → pad (contain) → watermark → encode (format, metadata, PNG never larger than a
plain re-save, byte budget) — or a placeholder (blurhash, lqip).

Each step lives in its own module (``geometry``, ``smartcrop``, ``effects``, ``watermark``, ``animate``,
``palette``, ``budget``, ``placeholder``, ``metadata``); this one only orders them.
"""

from __future__ import annotations

import io
import time
from dataclasses import replace
from typing import Any, Callable

from PIL import Image

from ..config import Config
from ..errors import BadRequest
from ..spec import ANIMATED_FORMATS, PLACEHOLDER_FORMATS, PLACEHOLDER_SIDE, VariantSpec
from . import animate, budget, colour, decode, effects, encode, geometry, metadata, palette, placeholder, resize
from . import smartcrop
from . import watermark as watermarks
from . import pipeline
from .pipeline import TransformResult

TEXT = "text/plain; charset=utf-8"
CONTENT_TYPES = {**encode.CONTENT_TYPES, "gif": "image/gif", "blurhash": TEXT, "lqip": TEXT,
                 "json": "application/json"}


def render(data: bytes, spec: VariantSpec, config: Config, *, watermark: bytes | None = None,
           full: bool = False) -> TransformResult:
    """Produce the variant ``spec`` describes from the original ``data``. Raises ``ImageEdgeError``.

    ``watermark``: the bytes of the image ``spec.watermark`` names (the caller reads it from the store).
    A still JPEG/WebP/AVIF with no option is ``pipeline.render``'s (``full`` forces this path).
    """
    if not full and watermark is None and not needs_full_pipeline(spec) and spec.format in ("jpeg", "webp", "avif"):
        if not animate.is_animated(decode.open_source(data, config).image):
            result = pipeline.render(data, spec, config)  # size, fit, format and quality only
            result.refit = lambda limit: render(data, spec, config, full=True).refit(limit)  # type: ignore[attr-defined]
            return result
    timings: dict[str, float] = {}
    started = time.perf_counter()
    source = decode.open_source(data, config)
    if spec.format == "json":
        return _info(source, data, config, timings, started)
    displayed = source.oriented_size
    orientation = geometry.output_orientation(source.orientation, spec)
    space = geometry.oriented_size(source.stored_size, orientation)
    region = geometry.output_region(spec, displayed)
    focus = geometry.output_focus(spec, displayed)
    work = _planning_spec(spec, region or (0.0, 0.0, float(space[0]), float(space[1])))
    layout = geometry.plan(space, work, region=region, focus=focus)
    if layout.output_size[0] * layout.output_size[1] > config.max_output_pixels:
        raise BadRequest(f"the output would exceed the {config.max_output_pixels} pixel limit")
    animated = spec.animated and spec.format in ANIMATED_FORMATS and animate.is_animated(source.image)
    frames = animate.check_limits(source.image, layout.output_size, config) if animated else 1

    stored_crop, stored_out = _stored(layout, space, orientation)
    eighths = decode.choose_jpeg_scale(source.stored_size, stored_crop, stored_out) if source.format == "JPEG" else 8
    pixels = decode.load_pixels(source, eighths)
    icc_profile = pixels.info.get("icc_profile")
    scale = _decoded_scale(pixels.size, source.stored_size, eighths)
    timings["decode"] = _ms_since(started)

    mark = time.perf_counter()
    if work.gravity == "smart" and work.fit == "cover":
        focus = _smart_focus(pixels, region, space, orientation, scale, layout)
        layout = geometry.plan(space, work, region=region, focus=focus)
        stored_crop, stored_out = _stored(layout, space, orientation)
        timings["smartcrop"] = _ms_since(mark)
    decoded_crop = _in_decoded(stored_crop, scale, pixels.size)
    mark_image = _decode_watermark(watermark, config) if spec.watermark is not None and watermark else None
    if spec.watermark is not None and mark_image is None:
        raise ValueError("spec names a watermark but no watermark image was given")
    mark_settings = config.watermark(spec.watermark) if spec.watermark is not None else None

    def process(frame: Image.Image, icc: bytes | None) -> Image.Image:
        image = resize.normalise_mode(frame)
        image = _resample(image, decoded_crop, stored_out, eighths != 8)
        image = colour.to_srgb(image, icc)
        if orientation != 1:
            image = image.transpose(decode.ORIENTATION_TRANSPOSE[orientation])
        return _finish(image, spec, layout, mark_image, mark_settings)

    mark = time.perf_counter()
    exif = metadata.copyright_exif(source.image) if spec.keep_copyright else None
    if animated:
        animation = animate.read(source.image, frames, lambda frame: process(frame, None))
        timings["resize"] = _ms_since(mark)
        return _encode_animation(animation, spec, exif, source, displayed, timings)
    image = process(pixels, icc_profile)
    timings["resize"] = _ms_since(mark)

    mark = time.perf_counter()
    if spec.format in PLACEHOLDER_FORMATS:
        text = _placeholder(image, spec)
        timings["encode"] = _ms_since(mark)
        return _result(text.encode(), spec.format, image.size, source, displayed, timings)
    fmt = "png" if spec.format == "legacy" and encode.has_transparency(image) else spec.format
    fmt = "jpeg" if fmt == "legacy" else fmt
    plain = _plain(pixels, decoded_crop, stored_out, orientation, spec) if fmt == "png" and (
        layout.canvas is None and (not icc_profile or colour.is_srgb(icc_profile))) else None
    colours = palette.colour_count(pixels) if fmt in ("png", "gif") else None

    def encoder(img: Image.Image, quality: int | None, reference: Image.Image | None = None) -> bytes:
        return encode_still(img, fmt, quality, exif=exif, source_colours=colours, plain=reference)

    body = encoder(image, spec.quality, plain)
    fitted_size = image.size
    if spec.max_bytes is not None and len(body) > spec.max_bytes:
        fitted = budget.fit(image, spec.quality, spec.max_bytes, encoder, first=body)
        body, fitted_size = fitted.data, fitted.size
        timings["budget_attempts"] = fitted.attempts
    timings["encode"] = _ms_since(mark)
    result = _result(body, fmt, fitted_size, source, displayed, timings)
    if spec.quality is not None:  # the inline limit steps a lossy format's quality, never its size
        result.refit = lambda limit: budget.fit(image, spec.quality, limit, encoder, first=result.data,  # type: ignore[attr-defined]
                                                resize=False)
    return result


def needs_full_pipeline(spec: VariantSpec) -> bool:
    """True when ``spec`` uses more than size, fit, format and quality (``pipeline.render``'s part)."""
    basic = VariantSpec(spec.width, spec.height, spec.fit, spec.quality, spec.format)
    return spec != basic or spec.format not in ("jpeg", "png", "webp", "avif", "legacy")


def encode_still(image: Image.Image, fmt: str, quality: int | None, *, exif: bytes | None = None,
                 source_colours: int | None = None, plain: Image.Image | None = None) -> bytes:
    """One still image as ``fmt`` (jpeg, webp, avif, png, gif) with the EXIF block ``exif`` if any."""
    if fmt == "png":
        image = encode._drop_opaque_alpha(image)
        return palette.encode_png(image, source_colours=source_colours, plain=plain, exif=exif)
    if fmt == "gif":
        out = io.BytesIO()
        quantised = palette.quantise(image if image.mode != "P" else image.convert("RGBA"), source_colours or 256)
        quantised.save(out, "GIF", optimize=True)
        return out.getvalue()
    if exif is None:
        return encode.encode(image, fmt, quality)
    out = io.BytesIO()
    image.info = {}
    if fmt == "jpeg":
        encode.flatten(image).save(out, "JPEG", **encode.jpeg_settings(quality or 80), exif=exif)
    elif fmt == "webp":
        encode._drop_opaque_alpha(image).save(out, "WEBP", **encode.webp_settings(quality or 80), exif=exif)
    elif fmt == "avif":
        encode._drop_opaque_alpha(image).save(out, "AVIF", **encode.avif_settings(quality or 60), exif=exif)
    else:
        raise ValueError(f"cannot encode {fmt!r}")
    return out.getvalue()


def _finish(image: Image.Image, spec: VariantSpec, layout: geometry.Plan, mark: Image.Image | None,
            mark_settings: Any) -> Image.Image:
    """The steps after the resample, on the output-sized image: colour, blur, sharpen, background, pad,
    watermark."""
    image = effects.adjust(image, brightness=spec.brightness, contrast=spec.contrast,
                           saturation=spec.saturation, grayscale=spec.grayscale)
    image = effects.blur(image, spec.blur)
    image = effects.sharpen(image, spec.sharpen)
    if spec.background is not None:
        image = effects.flatten(image, spec.background)
    if layout.canvas is not None:
        image = effects.pad(image, layout.canvas, layout.offset, spec.background)
    if mark is not None:
        image = watermarks.apply(image, mark, mark_settings)
    return image


def _planning_spec(spec: VariantSpec, region: geometry.Box) -> VariantSpec:
    """What to plan with: a whole-image placeholder is the image at ``PLACEHOLDER_SIDE`` on its longer side."""
    if spec.format not in PLACEHOLDER_FORMATS or spec.width is not None:
        return spec
    landscape = region[2] - region[0] >= region[3] - region[1]
    return replace(spec, format="png", width=PLACEHOLDER_SIDE if landscape else None,
                   height=None if landscape else PLACEHOLDER_SIDE)


def _stored(layout: geometry.Plan, space: tuple[int, int], orientation: int):
    crop = geometry.to_stored(layout.crop, space, orientation)
    out = (layout.size[1], layout.size[0]) if orientation in (5, 6, 7, 8) else layout.size
    return crop, out


def _smart_focus(pixels: Image.Image, region: geometry.Box | None, space: tuple[int, int], orientation: int,
                 scale: tuple[float, float], layout: geometry.Plan) -> geometry.Point:
    """Where the most salient crop window is centred, in output space."""
    area = region or (0.0, 0.0, float(space[0]), float(space[1]))
    stored = geometry.to_stored(area, space, orientation)
    box = _in_decoded(stored, scale, pixels.size)
    reduced = smartcrop.reduce_for_saliency(resize.normalise_mode(pixels).crop(tuple(round(v) for v in box)))
    if orientation != 1:
        reduced = reduced.transpose(decode.ORIENTATION_TRANSPOSE[orientation])
    width, height = area[2] - area[0], area[3] - area[1]
    crop_w, crop_h = layout.crop[2] - layout.crop[0], layout.crop[3] - layout.crop[1]
    fx, fy = smartcrop.focus(reduced, (min(1.0, crop_w / width), min(1.0, crop_h / height)))
    return area[0] + fx * width, area[1] + fy * height


def _resample(image: Image.Image, region: geometry.Box, size: tuple[int, int], dct_scaled: bool) -> Image.Image:
    if "dct_scaled" in resize.resample.__code__.co_varnames[:resize.resample.__code__.co_argcount + 1]:
        return resize.resample(image, region, size, dct_scaled=dct_scaled)  # type: ignore[call-arg]
    return resize.resample(image, region, size)


def _in_decoded(stored_box: geometry.Box, scale: tuple[float, float], size: tuple[int, int]) -> geometry.Box:
    fx, fy = scale
    return (max(0.0, stored_box[0] * fx), max(0.0, stored_box[1] * fy),
            min(float(size[0]), stored_box[2] * fx), min(float(size[1]), stored_box[3] * fy))


def _decoded_scale(decoded: tuple[int, int], stored: tuple[int, int], eighths: int) -> tuple[float, float]:
    if eighths != 8 and decoded == (-(-stored[0] * eighths // 8), -(-stored[1] * eighths // 8)):
        return eighths / 8, eighths / 8
    return decoded[0] / stored[0], decoded[1] / stored[1]


def _plain(pixels: Image.Image, crop: geometry.Box, size: tuple[int, int], orientation: int,
           spec: VariantSpec) -> Image.Image | None:
    """Pillow's plain resize of the source in its own mode (the PNG size reference), for plain resizes."""
    if (spec.background is not None or spec.blur or spec.sharpen or spec.watermark or spec.brightness
            or spec.contrast or spec.saturation or spec.grayscale or pixels.mode not in ("P", "PA", "L", "LA", "RGB", "RGBA")):
        return None
    plain = pixels.resize(size, box=crop)
    if orientation != 1:
        plain = plain.transpose(decode.ORIENTATION_TRANSPOSE[orientation])
    return plain


def _decode_watermark(data: bytes | None, config: Config) -> Image.Image | None:
    if not data:
        return None
    source = decode.open_source(data, config)
    image = decode.load_pixels(source)
    icc = image.info.get("icc_profile")
    image = colour.to_srgb(resize.normalise_mode(image), icc)
    if source.orientation != 1:
        image = image.transpose(decode.ORIENTATION_TRANSPOSE[source.orientation])
    return watermarks.prepare(image)


def _placeholder(image: Image.Image, spec: VariantSpec) -> str:
    flat = effects.flatten(image, "ffffff") if image.mode in ("LA", "RGBA") else image
    flat = flat.convert("RGB")
    return placeholder.blurhash(flat) if spec.format == "blurhash" else placeholder.lqip(flat)


def _encode_animation(animation: animate.Animation, spec: VariantSpec, exif: bytes | None, source: Any,
                      displayed: tuple[int, int], timings: dict[str, float]) -> TransformResult:
    mark = time.perf_counter()
    fmt = "gif" if spec.format == "legacy" else spec.format
    exif = exif if fmt != "gif" else None

    def encoder(_image: Image.Image, quality: int | None) -> bytes:
        return animate.encode(animation, fmt, quality, exif)

    body = encoder(animation.frames[0], spec.quality)
    if spec.max_bytes is not None and len(body) > spec.max_bytes:
        body = budget.fit(animation.frames[0], spec.quality, spec.max_bytes, encoder, first=body, resize=False).data
    timings["encode"] = _ms_since(mark)
    result = _result(body, fmt, animation.frames[0].size, source, displayed, timings)
    result.frames = len(animation.frames)  # type: ignore[attr-defined]
    if spec.quality is not None and fmt != "gif":
        result.refit = lambda limit: budget.fit(animation.frames[0], spec.quality, limit, encoder,  # type: ignore[attr-defined]
                                                first=result.data, resize=False)
    return result


def _info(source: Any, data: bytes, config: Config, timings: dict[str, float], started: float) -> TransformResult:
    image = source.image
    frames = animate.frame_count(image, config.max_frames)
    icc = bool(image.info.get("icc_profile"))
    pixels = decode.load_pixels(source, 1 if source.format == "JPEG" else 8)
    normal = resize.normalise_mode(pixels)
    has_alpha = normal.mode in ("LA", "RGBA")
    normal = colour.to_srgb(normal, pixels.info.get("icc_profile"))
    width, height = source.oriented_size
    body = placeholder.info_json(width=width, height=height, fmt=source.format.lower(), frames=frames,
                                 has_alpha=has_alpha, orientation=source.orientation, icc=icc, size=len(data),
                                 dominant=placeholder.dominant_colour(normal))
    timings["decode"] = _ms_since(started)
    return _result(body, "json", (width, height), source, (width, height), timings)


def _result(body: bytes, fmt: str, size: tuple[int, int], source: Any, displayed: tuple[int, int],
            timings: dict[str, float]) -> TransformResult:
    return TransformResult(data=body, content_type=CONTENT_TYPES[fmt], width=size[0], height=size[1], format=fmt,
                           source_format=source.format.lower(), source_size=displayed, timings_ms=timings)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


Refit = Callable[[int], budget.Fitted]
