"""What CloudFront does to a request and a response under a behaviour's policies, as the local edge plays it.

After the viewer-request: the ``CloudFront-Is-*-Viewer`` headers a policy names are added; the cache key is
computed from the cache policy; the origin gets only what the cache and origin request policies forward (plus
Host, Via and CloudFront's User-Agent). On the way back every response carries CloudFront's own headers
(``X-Cache``, ``Via``, ``X-Amz-Cf-Id``, ``X-Amz-Cf-Pop`` and, for a cached copy, ``Age``). Requests are
CloudFront-shaped dicts; header maps are read and written with ``imgedge.edge.cloudfront``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..device import device_class
from ..edge.cloudfront import cloudfront_headers, header
from .behaviour import Behaviour
from .cache import CacheKey

LOCAL_ORIGIN_DOMAIN = "local-bucket.s3.us-east-1.amazonaws.com"
DISTRIBUTION_DOMAIN = "local.cloudfront.net"
DISTRIBUTION_ID = "ELOCAL"

#: Headers CloudFront sets on every response itself, whatever the origin or a function said.
_CLOUDFRONT_SET = ("age", "x-cache", "via", "x-amz-cf-id", "x-amz-cf-pop", "transfer-encoding")
_DEVICE_LABELS = {"mobile": "Mobile", "tablet": "Tablet", "smarttv": "SmartTV", "desktop": "Desktop"}


def with_device_headers(request: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
    """The CloudFront-Is-*-Viewer headers, added (after the viewer-request) when a policy names them."""
    policies = [behaviour.cache_policy.headers]
    if behaviour.origin_request_policy is not None:
        policies.append(behaviour.origin_request_policy.headers)
    names = {n.lower() for p in policies if p.behavior in ("whitelist", "allViewerAndWhitelistCloudFront")
             for n in p.names}
    flags = _device_flags(device_class(header(request["headers"], "user-agent")))
    extra = cloudfront_headers({k: v for k, v in flags.items() if k.lower() in names})
    return {**request, "headers": {**request["headers"], **extra}} if extra else request


def cache_key(request: dict[str, Any], behaviour: Behaviour) -> CacheKey:
    """The cache key CloudFront computes for ``request`` (after the viewer-request) under ``behaviour``."""
    policy = behaviour.cache_policy
    pairs = parse_qsl(request.get("querystring", ""), keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if policy.query_strings.selects(k)))
    headers = sorted((name, entries[0]["value"]) for name, entries in request["headers"].items()
                     if policy.headers.selects(name, case_sensitive=False))
    cookies = sorted(_cookies(request).items())
    cookies = [(k, v) for k, v in cookies if policy.cookies.selects(k)]
    encoding = ""
    if policy.accept_encoding_gzip or policy.accept_encoding_brotli:
        accepted = (header(request["headers"], "accept-encoding") or "").lower()
        offered = (("br", policy.accept_encoding_brotli), ("gzip", policy.accept_encoding_gzip))
        encoding = ",".join(e for e, on in offered if on and e in accepted)
    extra = json.dumps([headers, cookies, encoding]) if headers or cookies or encoding else ""
    return CacheKey(request["uri"], query, extra)


def forwarded(request: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
    """The request as CloudFront sends it to the origin: only what the cache and origin request policies
    name (plus Host, Via and CloudFront's User-Agent when the viewer's is not forwarded)."""
    orp = behaviour.origin_request_policy
    header_parts = [behaviour.cache_policy.headers] + ([orp.headers] if orp else [])
    query_parts = [behaviour.cache_policy.query_strings] + ([orp.query_strings] if orp else [])
    headers = {name: entries for name, entries in request["headers"].items()
               if any(part.selects(name, case_sensitive=False) for part in header_parts)}
    headers.setdefault("user-agent", cloudfront_headers({"User-Agent": "Amazon CloudFront"})["user-agent"])
    headers.update(cloudfront_headers({"Host": LOCAL_ORIGIN_DOMAIN,
                                       "Via": f"2.0 {DISTRIBUTION_DOMAIN} (CloudFront)"}))
    pairs = parse_qsl(request.get("querystring", ""), keep_blank_values=True)
    query = urlencode([(k, v) for k, v in pairs if any(part.selects(k) for part in query_parts)])
    return {
        **request,
        "querystring": query,
        "headers": headers,
        "origin": {"s3": {"authMethod": "origin-access-identity", "customHeaders": {},
                          "domainName": LOCAL_ORIGIN_DOMAIN, "path": "", "region": "us-east-1"}},
    }


def result(status: int, outcome: str) -> str:
    """The ``X-Cache`` outcome: CloudFront says ``Error`` for any 4xx/5xx, whatever the cache did."""
    return "Error" if status >= 400 else outcome


def stamped(outcome: str, request_id: str, headers: dict[str, str], age: int | None = None) -> dict[str, str]:
    """``headers`` with the ones CloudFront sets itself on the way to the viewer."""
    out = {k: v for k, v in headers.items() if k.lower() not in _CLOUDFRONT_SET}
    if age is not None:
        out["Age"] = str(age)
    out["X-Cache"] = f"{outcome} from cloudfront"
    out["Via"] = f"1.1 {DISTRIBUTION_DOMAIN} (CloudFront)"
    out["X-Amz-Cf-Pop"] = "LOCAL1-P1"
    out["X-Amz-Cf-Id"] = request_id
    return out


def _cookies(request: dict[str, Any]) -> dict[str, str]:
    out = {}
    for entry in request["headers"].get("cookie", []):
        for part in entry["value"].split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                out[name] = value
    return out


def _device_flags(device: str) -> dict[str, str]:
    """The CloudFront-Is-*-Viewer headers CloudFront adds after the viewer-request (bots look desktop)."""
    chosen = device if device in _DEVICE_LABELS else "desktop"
    return {f"CloudFront-Is-{label}-Viewer": str(key == chosen).lower() for key, label in _DEVICE_LABELS.items()}
