"""Generate the ``imgedge/config.json`` bundled in both Lambda@Edge zips.

Lambda@Edge has no environment variables, and the viewer-request function (which needs the ladder, the
quality defaults and the auto formats to name the canonical variant) cannot see origin custom headers.
So the configuration is build-time: an operator's JSON file (any subset of ``imgedge.config.Config``'s
fields, ``deploy/config.json`` by default) is validated by ``Config.from_mapping`` and written, complete and
canonical (every field, sorted keys), into each zip. Same input, same bytes: the zips stay deterministic,
and a config change changes the code's hash, so ``sam deploy`` publishes new function versions.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any, Mapping

from imgedge.config import Config

from . import VARIANTS_PREFIX


class ConfigError(ValueError):
    """The operator's deploy config is unusable; the message says why."""


def read_overrides(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path`` (the operator's deploy config)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object of config keys")
    return data


def build_config(overrides: Mapping[str, Any] | None = None) -> Config:
    """The Config the functions will run with: defaults plus ``overrides``, validated."""
    try:
        config = Config.from_mapping(dict(overrides or {}))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid deploy config: {exc}") from exc
    if config.variants_prefix.strip("/") != VARIANTS_PREFIX:
        raise ConfigError(
            f"variants_prefix {config.variants_prefix!r} differs from {VARIANTS_PREFIX!r}, to which template.yaml "
            "scopes the function's s3:PutObject and the variant-expiry lifecycle rule; change those too "
            "(and tooling.VARIANTS_PREFIX) if you really need another prefix"
        )
    return config


def to_mapping(config: Config) -> dict[str, Any]:
    """Every field of ``config`` as JSON types (tuples become lists, mappings plain dicts)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return {f.name: plain(getattr(config, f.name)) for f in fields(config)}


def render(config: Config) -> bytes:
    """Canonical JSON bytes for ``config``; guaranteed to load back into an equal Config."""
    text = _dump(to_mapping(config)) + "\n"
    if Config.from_mapping(json.loads(text)) != config:  # a future field that JSON cannot carry
        raise ConfigError("the config does not survive a JSON round trip; extend config_gen.to_mapping")
    return text.encode("utf-8")


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with sorted keys, one key per line, and lists without objects kept on one line (readable ladders)."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        items = [f'{pad}  {json.dumps(str(k))}: {_dump(v, indent + 2)}' for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(f"{pad}  {_dump(v, indent + 2)}" for v in value) + "\n" + pad + "]"
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(", ", ": "))


def generate(config_path: str | Path | None) -> tuple[Config, bytes]:
    """(Config, config.json bytes) from an operator file, or from the defaults when ``config_path`` is None."""
    overrides = read_overrides(config_path) if config_path is not None else {}
    config = build_config(overrides)
    return config, render(config)
