"""The generator as a plain HTTP application: ``GET /<variant key>`` → the variant's bytes.

``GeneratorApp(store, config)(method, path, headers, body)`` returns ``Response(status, headers, body)``
(``imgedge.transport``: the one response type of every transport), so
``status, headers, body = app("GET", "/_variants/…", {})`` works. It knows HTTP, not Lambda or CloudFront:
``function_url`` adapts it to Function URL events, ``wsgi`` to WSGI, and ``imgedge.local.origins.OriginGroup``
puts it behind S3 the way CloudFront's origin group does. It reads the viewer's URL and device from the
request headers through ``imgedge.transport``, as the Lambda@Edge adapter does from its event.

What it answers:

* ``GET``/``HEAD`` of a canonical variant key: reads the original, renders, stores with a conditional
  create and returns the bytes (``imgedge.generate.generate_variant``, the step shared with the
  Lambda@Edge adapter), ``Cache-Control`` of a variant, an ``ETag`` equal to the one S3 will give the
  stored object. ``HEAD`` does the same work and returns no body.
* Outputs over ``max_inline_bytes`` (default: what fits Lambda's 6 MB response once base64-encoded) are
  stored and answered with a ``302`` to the URL the viewer asked for (``X-Imgedge-Viewer-Url``, set by the
  viewer-request function) with ``Cache-Control: private, no-store``: the next request finds them in S3.
  Without that header there is no URL to send the viewer back to: ``502``, stored, retry.
* Any other method: ``405``. Any request with a body, or with a query string: ``400`` (CloudFront's OAC
  would have to sign a body's hash; the viewer-request has folded every parameter into the path).
* Paths that are not canonical variant keys: ``400`` (``403`` for unsafe ones); a missing original ``404``;
  every refusal with the short ``error_cache_control`` of the config; an unexpected failure ``500``.

Only ``imgedge.request`` is needed to refuse a request; Pillow and the device classifier
are imported when the first variant is rendered.
"""

from __future__ import annotations

import hashlib
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..answers import answer_variant, refusal
from ..config import Config
from ..errors import ImageEdgeError
from ..generate import Variant, check_generatable
from ..observability import GenerationLog
from ..request.paths import key_for_uri
from ..transport import Response, viewer_device, viewer_url

if TYPE_CHECKING:  # imgedge.store imports botocore, which refusals never need
    from ..store import Store

#: Lambda's synchronous response limit, counted in decimal megabytes (stricter than 6 MiB, never too lax).
LAMBDA_RESPONSE_LIMIT = 6_000_000
#: Room for the Function URL response envelope (JSON, status, headers) around the base64 body.
RESPONSE_HEADROOM = 32 * 1024
#: The largest image returned inline: base64 turns 3 bytes into 4. 4,475,424 bytes (~4.5 MB).
FUNCTION_URL_MAX_INLINE_BYTES = (LAMBDA_RESPONSE_LIMIT - RESPONSE_HEADROOM) * 3 // 4
ALLOWED_METHODS = ("GET", "HEAD")

Log = Callable[[dict[str, Any]], None]


class GeneratorApp:
    """The regional generator. ``store`` holds the originals and receives the variants."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        max_inline_bytes: int = FUNCTION_URL_MAX_INLINE_BYTES,
        log: Log | None = None,
    ) -> None:
        if not 0 < max_inline_bytes <= FUNCTION_URL_MAX_INLINE_BYTES:
            raise ValueError(f"max_inline_bytes must be within 1..{FUNCTION_URL_MAX_INLINE_BYTES}")
        self.store = store
        self.config = config
        self.max_inline_bytes = max_inline_bytes
        self.log = log or print_json

    def __call__(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                 body: bytes = b"") -> Response:
        """One request. ``path`` is the percent-encoded request target (a ``?query`` in it is refused)."""
        method = method.upper()
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        if method not in ALLOWED_METHODS:
            return self._refuse(405, "only GET and HEAD are served", {"Allow": ", ".join(ALLOWED_METHODS)})
        if body or _declares_body(lowered):
            return self._refuse(400, "requests with a body are refused")
        target, _, query = path.partition("?")
        if query:
            return self._refuse(400, "a variant URL takes no parameters")
        try:
            variant = check_generatable(Variant.read(key_for_uri(target), self.config), self.config)
        except ImageEdgeError as exc:
            return self._refuse(exc.status, exc.message)
        response = self._generate(variant, lowered)
        return response._replace(body=b"") if method == "HEAD" else response

    # ------------------------------------------------------------------------------------------------
    def _generate(self, variant: Variant, headers: dict[str, str]) -> Response:
        entry = GenerationLog(event="generate", mode="regional", variant=variant.key,
                              original=variant.original_key, device=viewer_device(headers))
        response = Response.of(answer_variant(self.store, variant, self.config, viewer_url=viewer_url(headers),
                                              max_inline_bytes=self.max_inline_bytes, entry=entry))
        if response.status == 200:  # the ETag S3 will give the stored object (single-part MD5)
            response.headers["ETag"] = '"%s"' % hashlib.md5(response.body, usedforsecurity=False).hexdigest()
        self.log(entry.fields())
        return response

    def _refuse(self, status: int, message: str, extra: dict[str, str] | None = None) -> Response:
        response = Response.of(refusal(status, message, self.config))
        response.headers.update(extra or {})
        return response


def _declares_body(headers: Mapping[str, str]) -> bool:
    length = headers.get("content-length", "").strip()
    return bool(headers.get("transfer-encoding")) or (length not in ("", "0"))


def print_json(entry: dict[str, Any]) -> None:
    """One JSON line on stdout, the same shape as the edge's (with its EMF metrics): CloudWatch Logs."""
    from ..observability import log_line, utc_now

    entry.setdefault("ts", utc_now())
    sys.stdout.write(log_line(entry) + "\n")
