"""The CloudFront event codec: header maps (``{"lower-name": [{"key": "Name", "value": "..."}]}``), events
and response records, read (checked, for the handlers) and written (for the handlers' answers and for the
local edge, which builds the events it hands the handlers with the same functions).
"""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any, Mapping

from ..errors import MalformedEvent
from ..transport import DEVICE_HEADERS, VIEWER_URL_HEADER, Response  # noqa: F401 (the names are re-exported)

Headers = dict[str, list[dict[str, str]]]

#: Headers Lambda@Edge forbids changing in origin-response events (changing them is a 502).
READ_ONLY_ORIGIN_RESPONSE = ("transfer-encoding", "via")


def header(headers: Headers, name: str) -> str | None:
    """The first value of header ``name``, or None (also when the entry is not a ``{key, value}`` list)."""
    entries = headers.get(name.lower())
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        return None
    value = entries[0].get("value")
    return value if isinstance(value, str) else None


def set_header(headers: Headers, name: str, value: str) -> None:
    headers[name.lower()] = [{"key": name, "value": value}]


def device_headers(headers: Headers) -> dict[str, str]:
    """The ``CloudFront-Is-*-Viewer`` headers present, as a plain lowercase dict."""
    return {name: value for name in DEVICE_HEADERS if (value := header(headers, name)) is not None}


def cloudfront_headers(headers: Mapping[str, str]) -> Headers:
    """Plain ``{"Name": "value"}`` headers as a CloudFront header map."""
    return {name.lower(): [{"key": name, "value": value}] for name, value in headers.items()}


def plain_headers(headers: Headers) -> dict[str, str]:
    """A header map as plain headers: the first value of each, spelled as its ``key`` (else its map name)."""
    return {entries[0].get("key", name): entries[0]["value"] for name, entries in headers.items() if entries}


def lowercase_headers(headers: Headers) -> dict[str, str]:
    """A header map as plain headers under their lowercase names, as the generators read them."""
    return {name: value for name in headers if (value := header(headers, name)) is not None}


def response_record(response: Response) -> dict[str, Any]:
    """A response as a function returns it to CloudFront: status line, header map, base64 body."""
    return {**status_line(response.status), "headers": cloudfront_headers(response.headers),
            "body": base64.b64encode(response.body).decode("ascii"), "bodyEncoding": "base64"}


def origin_record(response: Response) -> dict[str, Any]:
    """An origin's response as CloudFront puts it in an origin-response event: no body (functions never
    see the origin's)."""
    return {**status_line(response.status), "headers": cloudfront_headers(response.headers)}


def read_result(result: Mapping[str, Any], origin_body: bytes = b"") -> Response:
    """What a function returned (a response record) as a ``Response``. A record without a body keeps
    ``origin_body``, as CloudFront keeps the origin's body when a function changes only status or headers."""
    if "body" not in result:
        data = origin_body
    elif result.get("bodyEncoding") == "base64":
        data = base64.b64decode(result.get("body") or "")
    else:
        data = (result.get("body") or "").encode()
    return Response(int(result["status"]), plain_headers(result.get("headers", {})), data)


def event(event_type: str, request: Mapping[str, Any], response: Mapping[str, Any] | None = None, *,
          request_id: str, distribution_domain: str, distribution_id: str) -> dict[str, Any]:
    """A Lambda@Edge event as CloudFront sends it (``Records[0].cf``), holding a copy of ``request`` and
    ``response``: handlers edit events in place, and the caller keeps its own."""
    cf: dict[str, Any] = {
        "config": {"distributionDomainName": distribution_domain, "distributionId": distribution_id,
                   "eventType": event_type, "requestId": request_id},
        "request": json.loads(json.dumps(request)),
    }
    if response is not None:
        cf["response"] = json.loads(json.dumps(response))
    return {"Records": [{"cf": cf}]}


def status_line(status: int) -> dict[str, str]:
    try:
        description = HTTPStatus(status).phrase
    except ValueError:
        description = "Error"
    return {"status": str(status), "statusDescription": description}


def first_record(event: Any) -> dict[str, Any]:
    """``Records[0].cf`` of a Lambda@Edge event; ``MalformedEvent`` if there is none."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        raise MalformedEvent("the event has no Records[0]")
    record = records[0].get("cf")
    if not isinstance(record, dict):
        raise MalformedEvent("Records[0] has no cf object")
    return record


def read_request(record: dict[str, Any]) -> dict[str, Any]:
    """``cf.request`` with a string ``uri`` and ``querystring`` and a header map; ``MalformedEvent`` otherwise.

    A missing ``querystring`` or ``headers`` reads as empty; CloudFront always sends both, so anything else
    is not an event of ours and is refused before any field is used.
    """
    request = record.get("request")
    if not isinstance(request, dict):
        raise MalformedEvent("cf.request is not an object")
    if not isinstance(request.get("uri"), str):
        raise MalformedEvent("cf.request.uri is not a string")
    if not isinstance(request.get("querystring", ""), str):
        raise MalformedEvent("cf.request.querystring is not a string")
    check_headers(request.get("headers", {}), "cf.request.headers")
    return request


def read_response(record: dict[str, Any]) -> dict[str, Any]:
    """``cf.response`` (an object); ``MalformedEvent`` otherwise."""
    response = record.get("response")
    if not isinstance(response, dict):
        raise MalformedEvent("cf.response is not an object")
    return response


def check_headers(headers: Any, where: str) -> None:
    """``MalformedEvent`` unless ``headers`` is a CloudFront header map: name → list of ``{key, value}``."""
    if not isinstance(headers, dict):
        raise MalformedEvent(f"{where} is not an object")
    for entries in headers.values():
        if not isinstance(entries, list) or not all(
                isinstance(entry, dict) and isinstance(entry.get("value"), str) for entry in entries):
            raise MalformedEvent(f"{where} has a value that is not a list of {{key, value}} objects")


def s3_origin(request: dict[str, Any]) -> tuple[str, str | None]:
    """(bucket, region) of the event's S3 origin, from ``request.origin.s3``; ``MalformedEvent`` for any other.

    ``domainName`` is ``<bucket>.s3.<region>.amazonaws.com`` (or the legacy ``<bucket>.s3.amazonaws.com``);
    ``region`` is given with OAI origins and otherwise parsed from the domain when present.
    """
    origin = request.get("origin")
    s3 = origin.get("s3") if isinstance(origin, dict) else None
    if not isinstance(s3, dict) or not isinstance(s3.get("domainName"), str):
        raise MalformedEvent("cf.request.origin is not an S3 origin")
    domain = s3["domainName"].lower()
    bucket, sep, rest = domain.partition(".s3.")
    if not sep:
        bucket, sep, rest = domain.partition(".s3-")
    if not sep or not bucket:
        raise MalformedEvent("cf.request.origin.s3.domainName is not an S3 endpoint")
    region = s3.get("region") if isinstance(s3.get("region"), str) and s3.get("region") else None
    if region is None and rest.count(".") >= 2 and not rest.startswith("amazonaws"):
        region = rest.split(".")[0]
    return bucket, region
