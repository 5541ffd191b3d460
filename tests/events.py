"""CloudFront Lambda@Edge events as AWS sends them (fixtures/cf-events), with the fields a test changes."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

EVENTS = Path(__file__).resolve().parent.parent / "fixtures" / "cf-events"

CHROME_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/131.0.0.0 Safari/537.36")
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/18.1 Mobile/15E148 Safari/604.1")
CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


@lru_cache(maxsize=None)
def _load(name: str) -> str:
    return (EVENTS / name).read_text()


def event(name: str) -> dict:
    return copy.deepcopy(json.loads(_load(name)))


def viewer_request(uri: str, querystring: str = "", *, base: str = "viewer-request-desktop-chrome.json",
                   user_agent: str | None = None, accept: str | None = None) -> dict:
    ev = event(base)
    request = ev["Records"][0]["cf"]["request"]
    request["uri"], request["querystring"] = uri, querystring
    if user_agent is not None:
        request["headers"]["user-agent"] = [{"key": "User-Agent", "value": user_agent}]
    if accept is not None:
        request["headers"]["accept"] = [{"key": "Accept", "value": accept}]
    return ev


def origin_response(uri: str, status: str = "404", *, bucket: str = "my-images-bucket",
                    device: str | None = None, viewer_url: str | None = None) -> dict:
    """An S3 origin-response for ``uri``; ``device`` sets the CloudFront-Is-*-Viewer flags, ``viewer_url``
    the X-Imgedge-Viewer-Url header the viewer-request adds and the origin request policy forwards."""
    ev = event({"404": "origin-response-s3-404.json", "403": "origin-response-s3-403.json",
                "200": "origin-response-s3-200.json"}[status])
    request = ev["Records"][0]["cf"]["request"]
    request["uri"] = uri
    domain = f"{bucket}.s3.us-east-1.amazonaws.com"
    request["origin"]["s3"]["domainName"] = domain
    request["headers"]["host"] = [{"key": "Host", "value": domain}]
    if viewer_url is not None:
        request["headers"]["x-imgedge-viewer-url"] = [{"key": "X-Imgedge-Viewer-Url", "value": viewer_url}]
    if device is not None:
        for label in ("Mobile", "Tablet", "SmartTV", "Desktop"):
            request["headers"][f"cloudfront-is-{label.lower()}-viewer"] = [
                {"key": f"CloudFront-Is-{label}-Viewer", "value": str(label.lower() == device).lower()}]
    return ev
