"""The image core: bytes + a resolved spec in, bytes + metadata out. Imports Pillow; the viewer-request
path never imports this package."""

from .pipeline import TransformResult, render

__all__ = ["TransformResult", "render"]
