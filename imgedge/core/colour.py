"""Colour: every variant leaves in sRGB, untagged.

Policy (documented for users in the README): an embedded ICC profile that is not sRGB (Display P3 from
phones, Adobe RGB from cameras, a CMYK press profile) is converted to sRGB with LittleCMS (perceptual
intent) and then dropped; an sRGB profile is dropped as it is (browsers treat untagged images as sRGB,
and a profile costs 0.5-3 KB per variant). CMYK without a profile gets Pillow's plain conversion.
Greyscale profiles are dropped without conversion. Wide-gamut colours outside sRGB are mapped into it:
that is the price of one rendering for every browser and every app that ignores profiles.

The conversion runs on the resized image (after ``resize``), so it costs a fraction of a millisecond per
variant, and ``PIL.ImageCms`` is imported only when an image carries a profile.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image

#: Colour-space signatures in the ICC header (bytes 16-19) that we convert.
_CONVERTIBLE = {b"RGB ": ("RGB", "RGBA"), b"CMYK": ("CMYK",)}


def to_srgb(image: Image.Image, icc_profile: bytes | None, *, in_place: bool = False) -> Image.Image:
    """``image`` in sRGB (L, LA, RGB or RGBA), with ``icc_profile`` applied when it is not sRGB.
    ``in_place``: the caller owns ``image``, so an RGB or RGBA conversion may write into it (the same
    pixels without a second output-sized image)."""
    if icc_profile and len(icc_profile) >= 128:
        modes = _CONVERTIBLE.get(icc_profile[16:20])
        if modes and image.mode in modes and not is_srgb(icc_profile):
            transform = _transform(icc_profile, image.mode)
            if transform is not None:
                return transform.apply_in_place(image) if in_place and image.mode != "CMYK" else transform.apply(image)
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


def is_srgb(icc_profile: bytes) -> bool:
    """True for the usual sRGB profiles (by description: "sRGB IEC61966-2.1", "sRGB built-in", ...)."""
    return _description(icc_profile).lower().startswith("srgb")


@lru_cache(maxsize=32)
def _description(icc_profile: bytes) -> str:
    import io

    from PIL import ImageCms

    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)).profile.profile_description or ""
    except (OSError, ValueError, TypeError):
        return "sRGB"  # unreadable: leave the pixels alone (and drop the broken profile)


@lru_cache(maxsize=32)
def _transform(icc_profile: bytes, mode: str):
    import io

    from PIL import ImageCms

    out_mode = "RGBA" if mode == "RGBA" else "RGB"
    try:
        return ImageCms.buildTransform(
            ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)),
            _srgb(),
            mode,
            out_mode,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
        )
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None


@lru_cache(maxsize=1)
def _srgb():
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")
