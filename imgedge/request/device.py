"""The viewer's device class, for the request layer: ``imgedge.device`` classifies (its own module, with its
User-Agent rules and the ``user_agents`` library, imported lazily); the request layer reads only this."""

from __future__ import annotations

from ..device import DEVICE_CLASSES, device_class

__all__ = ["DEVICE_CLASSES", "device_class"]
