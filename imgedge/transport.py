"""What every transport shares: the one ``Response`` type and the request headers a generator reads.

The transports are the Lambda@Edge events (``imgedge.edge``), the Function URL and WSGI (``imgedge.regional``)
and the local edge's HTTP front door (``imgedge.local``). The generation step answers all of them with a
``Response`` (``imgedge.answers`` calls it ``Answer``); the Lambda@Edge adapter writes it into a CloudFront
response record through ``imgedge.edge.cloudfront``. The header names below are what the viewer-request and
CloudFront hand on to whichever generator runs, so a generator reads them without knowing CloudFront's events.

Standard library only: the viewer-request zip carries this module.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

#: The URL the viewer asked for, set by the viewer-request for the generators' redirects.
VIEWER_URL_HEADER = "X-Imgedge-Viewer-Url"
#: CloudFront's device headers, added after the viewer-request event (never seen there).
DEVICE_HEADERS = (
    "cloudfront-is-mobile-viewer",
    "cloudfront-is-tablet-viewer",
    "cloudfront-is-smarttv-viewer",
    "cloudfront-is-desktop-viewer",
)


class Response(NamedTuple):
    """An HTTP answer as every transport gives or takes it: ``status, headers, body = response`` works."""

    status: int
    headers: dict[str, str]
    body: bytes = b""

    @classmethod
    def of(cls, answer: Response) -> Response:
        """A copy with its own headers (a transport may add to them; the answer stays as it was)."""
        return cls(answer.status, dict(answer.headers), answer.body)


def viewer_url(headers: Mapping[str, str]) -> str | None:
    """The URL the viewer asked for, from lowercase-named request headers (None when the viewer-request
    did not run: there is then no URL to send a viewer back to)."""
    return headers.get(VIEWER_URL_HEADER.lower())


def viewer_device(headers: Mapping[str, str]) -> str:
    """The device class of the viewer, from lowercase-named request headers: CloudFront's device headers
    when it forwarded them, else the User-Agent. Loads the classifier on first use (refusals never need it)."""
    from .device import device_class

    forwarded = {name: headers[name] for name in DEVICE_HEADERS if name in headers}
    return device_class(headers.get("user-agent"), forwarded)
