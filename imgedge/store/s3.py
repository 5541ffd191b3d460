"""S3 (or any S3-compatible endpoint) through boto3.

The client comes from the caller, created once per Lambda container; its endpoint follows boto3's
standard settings (``AWS_ENDPOINT_URL_S3``), which is how tests point it at a local server. Errors map
onto imgedge's own: a missing key is ``NotFound`` (S3 answers 404 when the role may ``ListBucket``);
throttling and 5xx are ``UpstreamError`` (503/502) after boto3's own bounded retries.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ImageEdgeError, NotFound, PayloadTooLarge, UpstreamError
from . import StoredObject

_MISSING = {"NoSuchKey", "404", "NotFound"}
_EXISTS = {"PreconditionFailed", "412"}
#: A conditional write raced another one still in flight: S3 says retry, not "it exists" (the other
#: writer may yet fail), so ``put_new`` tries again, a bounded number of times.
_CONFLICT = {"ConditionalRequestConflict", "409"}
CONFLICT_RETRIES = 3
CONFLICT_BACKOFF_S = 0.1
_THROTTLED = {"SlowDown", "503", "ServiceUnavailable", "RequestLimitExceeded", "Throttling"}


def client_config(*, connect_timeout: float = 1.0, read_timeout: float = 4.0, attempts: int = 3) -> BotoConfig:
    """boto3 settings that fit Lambda@Edge's 30 s origin budget.

    Worst case per call: ``attempts`` x (connect + read) plus standard-mode backoff (< 1 s per retry), so a
    GET and a PUT that both exhaust their retries still finish inside 30 s, and the viewer gets a
    short-lived 502/503 instead of CloudFront's own timeout.
    """
    return BotoConfig(
        retries={"total_max_attempts": attempts, "mode": "standard"},  # attempts including the first
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


class S3Store:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def get(self, key: str, *, max_bytes: int | None = None) -> StoredObject:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            if max_bytes is not None and response.get("ContentLength", 0) > max_bytes:
                response["Body"].close()
                raise PayloadTooLarge(f"the original exceeds {max_bytes} bytes")
            data = _read_at_most(response["Body"], max_bytes)
        except ClientError as exc:
            raise _translate(exc) from exc
        except BotoCoreError as exc:  # timeouts, connection resets, truncated bodies
            raise UpstreamError("the image store did not answer") from exc
        return _stored(response, data)

    def head(self, key: str) -> StoredObject | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            error = _translate(exc)
            if isinstance(error, NotFound):
                return None
            raise error from exc
        except BotoCoreError as exc:
            raise UpstreamError("the image store did not answer") from exc
        return _stored(response, b"")

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            error = _translate(exc)
            if not isinstance(error, NotFound):
                raise error from exc
        except BotoCoreError as exc:
            raise UpstreamError("the image store did not answer") from exc

    def put_new(
        self, key: str, data: bytes, *, content_type: str, cache_control: str, metadata: dict[str, str]
    ) -> bool:
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType=content_type,
                    CacheControl=cache_control,
                    Metadata=metadata,
                    IfNoneMatch="*",
                )
            except ClientError as exc:
                code = _code(exc)
                if code in _EXISTS:
                    return False
                if code in _CONFLICT and attempt < CONFLICT_RETRIES:
                    time.sleep(CONFLICT_BACKOFF_S * (attempt + 1))
                    continue
                if code in _CONFLICT:
                    raise UpstreamError("the image store is busy writing this variant", status=503) from exc
                raise _translate(exc) from exc
            except BotoCoreError as exc:
                raise UpstreamError("the image store did not answer") from exc
            return True
        raise AssertionError("unreachable")


def _read_at_most(body: Any, max_bytes: int | None) -> bytes:
    """The body, reading at most ``max_bytes + 1`` bytes: a missing or lying Content-Length cannot make
    the function buffer more than the limit."""
    if max_bytes is None:
        return body.read()
    chunks, size = [], 0
    while True:
        chunk = body.read(min(1 << 20, max_bytes + 1 - size))  # an empty read at the end checks the length
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            body.close()
            raise PayloadTooLarge(f"the original exceeds {max_bytes} bytes")


def _stored(response: dict[str, Any], data: bytes) -> StoredObject:
    return StoredObject(
        data=data,
        content_type=response.get("ContentType"),
        etag=response.get("ETag"),
        cache_control=response.get("CacheControl"),
        metadata=dict(response.get("Metadata") or {}),
    )


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _translate(exc: ClientError) -> ImageEdgeError:
    code = _code(exc)
    if code in _MISSING:
        return NotFound("no such image")
    if code in _THROTTLED:
        return UpstreamError("the image store is busy", status=503)
    if code in ("AccessDenied", "403"):
        return UpstreamError("the image store refused access")
    return UpstreamError("the image store failed")
