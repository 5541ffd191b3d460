"""What every URL dialect shares: the ``Dialect`` a module declares, the ``Translation`` it returns, and the
``Reader`` that walks a dialect's parameters.

A dialect says a URL of another image service (imgix, Cloudflare, Next.js, WordPress's Photon) in the
project's own words: the original's URI and a query of the project's grammar. It never decides which bytes
a viewer gets: ``grammar.parse_query`` validates what it says (ranges, ``allowed_options``, ``presets_only``)
and ``canonical.resolve`` snaps it, so a dialect URL names one of the variants the project's own URLs can
name, and the variant bound holds whatever dialects are on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from ...errors import BadRequest
from ..values import quote

if TYPE_CHECKING:
    from ...config import Config

#: ``(name, value)`` pairs of a query, in the order given.
Pairs = list[tuple[str, str]]
_SCHEME = re.compile(r"/[A-Za-z][A-Za-z0-9+.-]*:/")
_NUMBER = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?|\.[0-9]{1,6}")


@dataclass(frozen=True)
class Translation:
    """A dialect URL in the project's words.

    ``uri`` is the original's URI (percent-encoded, leading ``/``); ``query`` the project's query pairs;
    ``keep_format``: the URL names no format and its dialect then keeps the original's own, which is what
    ``fmt=auto`` gives a viewer that accepts neither AVIF nor WebP (JPEG, PNG with alpha, GIF when
    animated).
    """

    uri: str
    query: Pairs
    keep_format: bool = False


@dataclass(frozen=True)
class Dialect:
    """One dialect: its config name, how it reads a URL, and how the edge recognises it.

    ``owns_path(uri)``: the URL is this dialect's by its path (Cloudflare's ``/cdn-cgi/image/…``, Next.js'
    ``/_next/image``); such a URL is read by its dialect only. Query dialects (imgix, Photon) have no path of
    their own: ``claims(pairs)`` says whether a query uses something only this dialect says (a parameter the
    grammar does not know, or a value the grammar has no use for, such as imgix's ``fit=min``); the grammar
    keeps every other URL, so its refusals (a range, an option not allowed) stay its own.
    """

    name: str
    translate: Callable[[str, Pairs, "Config"], Translation]
    owns_path: Callable[[str], bool] | None = None
    claims: Callable[[Pairs], bool] | None = None


def claimed_by(names: Iterable[str], values: dict[str, Callable[[str], bool]]) -> Callable[[Pairs], bool]:
    """A query dialect's ``claims``: the query has one of ``names`` (which the grammar does not know), or a
    parameter whose value ``values[name]`` recognises as the dialect's own."""
    own = frozenset(names)

    def claims(pairs: Pairs) -> bool:
        return any(name.lower() in own or (name.lower() in values and values[name.lower()](value.strip().lower()))
                   for name, value in pairs)

    return claims


class Reader:
    """A dialect's parameters, one name at a time: repeats refused, names outside ``known`` refused or
    dropped as ``config.dialect_unknown_parameters`` says, and ``out`` the project's query built up."""

    def __init__(self, dialect: str, pairs: Iterable[tuple[str, str]], known: Iterable[str], config: "Config") -> None:
        self.dialect = dialect
        self.config = config
        self.values: dict[str, str] = {}
        self.out: Pairs = []
        names = frozenset(known)
        for raw_name, raw in pairs:
            name = raw_name.lower()
            if name not in names:
                if config.dialect_unknown_parameters == "refuse":
                    raise BadRequest(f"unknown {dialect} parameter {quote(raw_name)}; imgedge reads: "
                                     f"{', '.join(sorted(names))}")
                continue
            if name in self.values:
                raise BadRequest(f"{dialect} parameter {name} given more than once")
            self.values[name] = raw.strip()

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def emit(self, name: str, value: object) -> None:
        """Add ``name=value`` to the project's query; a value of None adds nothing."""
        if value is not None:
            self.out.append((name, value if isinstance(value, str) else f"{value:g}" if isinstance(value, float)
                             else str(value)))

    def copy(self, names: dict[str, str]) -> None:
        """Pass the parameters the grammar reads as they are (dialect name → the project's), when given."""
        for name, ours in names.items():
            self.emit(ours, self.values.get(name))

    def refuse(self, name: str, why: str) -> BadRequest:
        return BadRequest(f"{self.dialect} {name}: {why}")

    def number(self, name: str, low: float, high: float) -> float | None:
        """The parameter as a plain decimal within ``low..high``, or None when not given."""
        raw = self.values.get(name)
        if raw is None:
            return None
        if not _NUMBER.fullmatch(raw) or not low <= float(raw) <= high:
            raise self.refuse(name, f"must be a number from {low:g} to {high:g}")
        return float(raw)

    def choice(self, name: str, words: dict[str, str], default: str | None = None) -> str | None:
        """The parameter's word mapped through ``words`` (case-insensitive), ``default`` when not given."""
        raw = self.values.get(name)
        if raw is None:
            return default
        if raw.lower() not in words:
            raise self.refuse(name, f"must be one of {', '.join(words)}")
        return words[raw.lower()]

    def size(self, width: float | None, height: float | None, dpr: float | None) -> None:
        """``w``/``h`` in output pixels: ``dpr`` multiplied in (so any ratio the dialect allows works), each
        side capped at ``max_dimension`` (a larger side snaps to the top rung anyway). Without a side, ``dpr``
        is passed on within the project's 1..4 to scale the device's default width."""
        factor = dpr if dpr is not None else 1.0
        top = self.config.max_dimension
        if width is None and height is None:
            if dpr is not None and dpr != 1:
                self.emit("dpr", min(4.0, max(1.0, round(dpr, 3))))
            return
        for name, side in (("w", width), ("h", height)):
            if side is not None:
                self.emit(name, max(1, min(top, round(side * factor))))


def is_fraction(raw: str) -> bool:
    """A side below 1: a fraction of the original (imgix ``w=0.5``)."""
    return bool(_NUMBER.fullmatch(raw)) and float(raw) < 1


def pixels(reader: Reader, name: str) -> float | None:
    """A side in pixels (``1 <= value``). A value below 1 is no size in the dialects that read sides this way
    (imgix reads it as a fraction of the original, the project's ``scale``): refused."""
    value = reader.number(name, 0, 100_000)
    if value is not None and value < 1:
        raise reader.refuse(name, "a fraction of the original's size is not supported here: give pixels "
                                  "(or the project's scale=0.5)")
    return value


def same_origin_path(reader: Reader, name: str, value: str) -> str:
    """``value`` as a path of this host (``/photos/cat.jpg``): absolute and protocol-relative URLs, and paths
    carrying a query, are refused (the edge renders only its own bucket's originals)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or _SCHEME.match(value):
        raise reader.refuse(name, "must be a path on this host, starting with a single / (no other origin)")
    if "?" in value or "#" in value:
        raise reader.refuse(name, "must be a path without a query or fragment")
    return value
