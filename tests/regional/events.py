"""Lambda Function URL events (payload format 2.0) as CloudFront's OAC-signed origin requests produce them.

The shape follows the Lambda developer guide's request payload: ``rawPath`` percent-encoded as sent,
``rawQueryString`` (empty when there is none), lowercase ``headers`` (repeated ones comma-joined),
``requestContext.http.method``, ``requestContext.authorizer.iam`` for ``AuthType: AWS_IAM`` (here CloudFront's
service identity), ``body`` only when there is one, ``isBase64Encoded``.
"""

from __future__ import annotations

import base64
import copy

URL_ID = "abcdefghijklmnopqrstuvwxyz234567"
DOMAIN = f"{URL_ID}.lambda-url.us-east-1.on.aws"

_BASE = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/",
    "rawQueryString": "",
    "headers": {
        "host": DOMAIN,
        "user-agent": "Amazon CloudFront",
        "via": "2.0 0b8a3bd8d1a1c3b4d5e6f7a8b9c0d1e2.cloudfront.net (CloudFront)",
        "x-amz-cf-id": "Yq4SOyZNgP2r3c0JQx4v1O7fbbhxHUr1N6nQyY8QfxN0uHqkS3pWqA==",
        "x-amzn-trace-id": "Root=1-67a1b2c3-0123456789abcdef01234567",
        "x-forwarded-for": "203.0.113.178, 130.176.1.2",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-amz-date": "20261115T101500Z",
        "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-amz-security-token": "IQoJb3JpZ2luX2VjEXAMPLE",
        "x-amzn-tls-version": "TLSv1.3",
        "x-amzn-tls-cipher-suite": "TLS_AES_128_GCM_SHA256",
    },
    "requestContext": {
        "accountId": "123456789012",
        "apiId": URL_ID,
        "authorizer": {"iam": {
            "accessKey": "ASIAEXAMPLEKEY000000",
            "accountId": "123456789012",
            "callerId": "AROAEXAMPLEROLE00000:CloudFront",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": "arn:aws:sts::123456789012:assumed-role/CloudFrontOAC/CloudFront",
            "userId": "AROAEXAMPLEROLE00000:CloudFront",
        }},
        "domainName": DOMAIN,
        "domainPrefix": URL_ID,
        "http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "130.176.1.2",
                 "userAgent": "Amazon CloudFront"},
        "requestId": "8f7e6d5c-4b3a-2918-0706-f5e4d3c2b1a0",
        "routeKey": "$default",
        "stage": "$default",
        "time": "15/Nov/2026:10:15:00 +0000",
        "timeEpoch": 1794564900000,
    },
    "isBase64Encoded": False,
}


def function_url_event(method: str, raw_path: str, raw_query: str = "", *, headers: dict | None = None,
                       body: bytes | str | None = None, base64_body: bool = False) -> dict:
    event = copy.deepcopy(_BASE)
    event["rawPath"] = raw_path
    event["rawQueryString"] = raw_query
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = raw_path
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if raw_query:
        event["queryStringParameters"] = dict(p.partition("=")[::2] for p in raw_query.split("&"))
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        event["body"] = base64.b64encode(data).decode() if base64_body else data.decode("latin-1")
        event["isBase64Encoded"] = base64_body
        event["headers"]["content-length"] = str(len(data))
    return event
