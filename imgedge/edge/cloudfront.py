"""Helpers for CloudFront's header maps: ``{"lower-name": [{"key": "Name", "value": "..."}]}``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

Headers = dict[str, list[dict[str, str]]]

#: CloudFront's device headers, added after the viewer-request event (never seen there).
DEVICE_HEADERS = (
    "cloudfront-is-mobile-viewer",
    "cloudfront-is-tablet-viewer",
    "cloudfront-is-smarttv-viewer",
    "cloudfront-is-desktop-viewer",
)
#: The URL the viewer asked for, set by the viewer-request for the origin-response's redirects.
VIEWER_URL_HEADER = "X-Imgedge-Viewer-Url"
#: Headers Lambda@Edge forbids changing in origin-response events (changing them is a 502).
READ_ONLY_ORIGIN_RESPONSE = ("transfer-encoding", "via")


def header(headers: Headers, name: str) -> str | None:
    entries = headers.get(name.lower())
    return entries[0].get("value") if entries else None


def set_header(headers: Headers, name: str, value: str) -> None:
    headers[name.lower()] = [{"key": name, "value": value}]


def device_headers(headers: Headers) -> dict[str, str]:
    """The ``CloudFront-Is-*-Viewer`` headers present, as a plain lowercase dict."""
    return {name: value for name in DEVICE_HEADERS if (value := header(headers, name)) is not None}


def cloudfront_headers(headers: dict[str, str]) -> Headers:
    """Plain ``{"Name": "value"}`` headers as a CloudFront header map."""
    return {name.lower(): [{"key": name, "value": value}] for name, value in headers.items()}


def status_line(status: int) -> dict[str, str]:
    try:
        description = HTTPStatus(status).phrase
    except ValueError:
        description = "Error"
    return {"status": str(status), "statusDescription": description}


def first_record(event: dict[str, Any]) -> dict[str, Any]:
    return event["Records"][0]["cf"]


def s3_origin(request: dict[str, Any]) -> tuple[str, str | None]:
    """(bucket, region) of the event's S3 origin, from ``request.origin.s3``.

    ``domainName`` is ``<bucket>.s3.<region>.amazonaws.com`` (or the legacy ``<bucket>.s3.amazonaws.com``);
    ``region`` is given with OAI origins and otherwise parsed from the domain when present.
    """
    s3 = request["origin"]["s3"]
    domain = s3["domainName"].lower()
    bucket, sep, rest = domain.partition(".s3.")
    if not sep:
        bucket, sep, rest = domain.partition(".s3-")
    if not sep or not bucket:
        raise ValueError(f"not an S3 origin domain: {domain!r}")
    region = s3.get("region") or None
    if region is None and rest.count(".") >= 2 and not rest.startswith("amazonaws"):
        region = rest.split(".")[0]
    return bucket, region
