"""The regional generator's configuration, from its environment (a regional Lambda has environment variables).

==========================  ===========================================================================
``IMGEDGE_BUCKET``          required: the bucket of originals and variants (template.yaml sets it)
``IMGEDGE_CONFIG_JSON``     optional: a JSON object of ``imgedge.config.Config`` keys, used *instead of* the
                            bundled ``imgedge/config.json``. For running the generator outside the stack
                            only: behind CloudFront the viewer-request function names the variant with its
                            own bundled config, and a generator with another ladder would refuse its keys.
                            The template therefore leaves it unset, and ``make package`` bundles the same
                            config.json into all three zips.
``IMGEDGE_CONFIG``          optional: a path to such a file (as for the local edge); else the bundled file
``IMGEDGE_MAX_INLINE_BYTES``  optional: a lower inline limit than what fits the 6 MB Lambda response
==========================  ===========================================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from ..config import Config, load_config
from .app import FUNCTION_URL_MAX_INLINE_BYTES


class SettingsError(ValueError):
    """The function's environment is unusable; the message names the variable."""


@dataclass(frozen=True)
class RegionalSettings:
    bucket: str
    config: Config
    max_inline_bytes: int = FUNCTION_URL_MAX_INLINE_BYTES


def load_settings(environ: Mapping[str, str]) -> RegionalSettings:
    bucket = (environ.get("IMGEDGE_BUCKET") or "").strip()
    if not bucket:
        raise SettingsError("IMGEDGE_BUCKET is not set: the generator needs the bucket of originals")
    raw = environ.get("IMGEDGE_CONFIG_JSON")
    if raw:
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise SettingsError("IMGEDGE_CONFIG_JSON must be a JSON object of config keys")
            config = Config.from_mapping(data)
        except (json.JSONDecodeError, TypeError, ValueError) as exc:
            if isinstance(exc, SettingsError):
                raise
            raise SettingsError(f"IMGEDGE_CONFIG_JSON: {exc}") from exc
    else:
        config = load_config(environ.get("IMGEDGE_CONFIG") or None)
    limit = environ.get("IMGEDGE_MAX_INLINE_BYTES")
    if limit:
        if not limit.isdigit() or not 0 < int(limit) <= FUNCTION_URL_MAX_INLINE_BYTES:
            raise SettingsError("IMGEDGE_MAX_INLINE_BYTES must be an integer within "
                                f"1..{FUNCTION_URL_MAX_INLINE_BYTES}")
        return RegionalSettings(bucket, config, int(limit))
    return RegionalSettings(bucket, config)
