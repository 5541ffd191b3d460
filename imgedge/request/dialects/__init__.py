"""URL dialects: the URLs other image services' libraries write, read as the project's own.

``read_url`` is the one entry: a viewer's URI and query → the original's URI and validated ``RequestParams``.

* A path a dialect owns (``/cdn-cgi/image/…``, ``/_next/image``) is read by that dialect.
* Any other URL is read by the project's grammar first: a URL it accepts means what the README's parameter
  table says, whatever service also uses those names. Only when the grammar refuses it are the query
  dialects (imgix, Photon) tried, the one knowing most of its parameter names first; the first that reads it
  wins. When none does, the refusal is the grammar's, or, when the URL uses a name the grammar does not know,
  that of the dialect that knows the most of them.

Which dialects are on, and whether they refuse or drop parameters they do not know, is the config's
(``dialects``, ``dialect_unknown_parameters``). Whatever a dialect reads goes through ``grammar.parse_query``,
so ``allowed_options``, ``presets_only`` and signing apply to it as to any URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from ...errors import BadRequest, URITooLong
from ..grammar import parse_query
from ..options import ALIASES
from ..spec import RequestParams
from . import cloudflare, imgix, nextjs, photon
from .base import Dialect

if TYPE_CHECKING:
    from ...config import Config

#: Every dialect by its config name, in the default order.
DIALECTS: dict[str, Dialect] = {d.name: d for d in (imgix.DIALECT, cloudflare.DIALECT, nextjs.DIALECT,
                                                     photon.DIALECT)}
#: What ``dialect_unknown_parameters`` may say.
UNKNOWN_POLICIES = ("refuse", "ignore")


@dataclass(frozen=True)
class Asked:
    """What a viewer URL asks for: the original's ``uri``, the ``params``, which ``dialect`` read it (None: the
    project's grammar), and the dialect's ``keep_format`` and ``compress`` (``base.Translation``)."""

    uri: str
    params: RequestParams
    dialect: str | None = None
    keep_format: bool = False
    compress: bool = False


def read_url(uri: str, query: str, config: "Config", *, trusted: bool = False) -> Asked:
    """The original and the request a viewer URL names, in whichever enabled dialect it is written.
    ``trusted`` is ``parse_query``'s (a valid signature vouches for every option)."""
    enabled = [DIALECTS[name] for name in config.dialects]
    for dialect in enabled:
        if dialect.owns_path is not None and dialect.owns_path(uri):
            return _read(dialect, uri, _pairs(query), config, trusted)
    try:
        return Asked(uri, parse_query(query, config, trusted=trusted))
    except URITooLong:
        raise
    except BadRequest as refused:
        native = refused
    pairs = _pairs(query)
    names = {name.lower() for name, _ in pairs}
    candidates = sorted((d for d in enabled if d.owns_path is None and names & d.names),
                        key=lambda d: -len(names & d.names))
    failures = []
    for dialect in candidates:
        try:
            return _read(dialect, uri, pairs, config, trusted)
        except BadRequest as exc:
            if names & dialect.names - set(ALIASES):  # it knows a name the grammar does not
                failures.append(exc)
    raise failures[0] if failures else native


def _read(dialect: Dialect, uri: str, pairs: list[tuple[str, str]], config: "Config", trusted: bool) -> Asked:
    said = dialect.translate(uri, pairs, config)
    params = parse_query(urlencode(said.query), config, trusted=trusted)
    return Asked(said.uri, params, dialect.name, said.keep_format, said.compress)


def _pairs(query: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(query, keep_blank_values=True, max_num_fields=32)
    except ValueError:
        raise BadRequest("too many query parameters") from None
