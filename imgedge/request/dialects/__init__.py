"""URL dialects: the URLs other image services' libraries write, read as the project's own.

``read_url`` is the one entry: a viewer's URI and query → the original's URI and validated ``RequestParams``.

* A path a dialect owns (``/cdn-cgi/image/…``, ``/_next/image``) is read by that dialect.
* A query a query dialect (imgix, Photon) claims, because it uses something only that dialect says (a
  parameter the grammar does not know, such as imgix's ``auto`` or ``ixlib``, or a value the grammar has no
  use for, such as imgix's ``fit=min`` or Photon's ``crop=1``), is read by the first enabled dialect that
  claims it and reads it; if none does, the first one's refusal is the answer.
* Any other URL is the grammar's: it means what the README's parameter table says, and the grammar's
  refusals (a value out of range, an option ``allowed_options`` leaves out) stay its own.

Which dialects are on, and whether they refuse or drop parameters they do not know, is the config's
(``dialects``, ``dialect_unknown_parameters``). Whatever a dialect reads goes through ``grammar.parse_query``,
so ``allowed_options``, ``presets_only`` and signing apply to it as to any URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from ...errors import BadRequest
from ..grammar import MAX_QUERY_CHARS, parse_query
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
    project's grammar), and the dialect's ``keep_format`` (``base.Translation``)."""

    uri: str
    params: RequestParams
    dialect: str | None = None
    keep_format: bool = False


def read_url(uri: str, query: str, config: "Config", *, trusted: bool = False) -> Asked:
    """The original and the request a viewer URL names, in whichever enabled dialect it is written.
    ``trusted`` is ``parse_query``'s (a valid signature vouches for every option)."""
    enabled = [DIALECTS[name] for name in config.dialects]
    pairs = _pairs(query)
    for dialect in enabled:
        if dialect.owns_path is not None and dialect.owns_path(uri):
            if pairs is None:
                raise BadRequest("too many or too long query parameters")
            return _read(dialect, uri, pairs, config, trusted)
    claimants = [d for d in enabled if pairs and d.claims is not None and d.claims(pairs)]
    first_refusal = None
    for dialect in claimants:
        try:
            return _read(dialect, uri, pairs or [], config, trusted)
        except BadRequest as exc:
            first_refusal = first_refusal or exc
    if first_refusal is not None:
        raise first_refusal
    return Asked(uri, parse_query(query, config, trusted=trusted))


def _read(dialect: Dialect, uri: str, pairs: list[tuple[str, str]], config: "Config", trusted: bool) -> Asked:
    said = dialect.translate(uri, pairs, config)
    params = parse_query(urlencode(said.query), config, trusted=trusted)
    return Asked(said.uri, params, dialect.name, said.keep_format)


def _pairs(query: str) -> list[tuple[str, str]] | None:
    """The query's pairs; None when the grammar would refuse it whole (too long, too many fields), which it
    then does in its own words."""
    if len(query) > MAX_QUERY_CHARS:
        return None
    try:
        return parse_qsl(query, keep_blank_values=True, max_num_fields=32)
    except ValueError:
        return None
