"""S3 (or any S3-compatible endpoint) through boto3.

The client comes from the caller, created once per Lambda container; its endpoint follows boto3's
standard settings (``AWS_ENDPOINT_URL_S3``), which is how tests point it at a local server.

Every method answers failures through one table (``_error``): a missing key is ``NotFound`` (S3 answers
404 when the role may ``ListBucket``, as every role of the stack may); 403 is ``UpstreamError`` (502), a
missing permission and never a missing key (without ``ListBucket`` S3 would answer 403 for a missing key
too, and taking those for "missing" would hide the misconfiguration behind cached 404s and fallbacks);
throttling and a conditional-write conflict are ``UpstreamError`` 503, anything else 502, after boto3's own
bounded retries.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any, Iterable, Iterator

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ImageEdgeError, NotFound, PayloadTooLarge, UpstreamError
from . import StoredObject

#: Codes as S3 sends them, and the bare HTTP statuses that are all botocore can report for a HEAD.
_MISSING = {"NoSuchKey", "404", "NotFound"}
_EXISTS = {"PreconditionFailed", "412"}
#: A conditional write raced another one still in flight: S3 says retry, not "it exists" (the other
#: writer may yet fail), so ``put_new`` tries again, a bounded number of times.
_CONFLICT = {"ConditionalRequestConflict", "409"}
_THROTTLED = {"SlowDown", "503", "ServiceUnavailable", "RequestLimitExceeded", "Throttling"}
_DENIED = {"AccessDenied", "403"}
CONFLICT_RETRIES = 3
CONFLICT_BACKOFF_S = 0.1
#: S3 DeleteObjects takes at most this many keys per request.
DELETE_BATCH = 1000


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

    @classmethod
    def open(cls, bucket: str, endpoint_url: str | None = None) -> "S3Store":
        """A store on ``bucket`` with a client from boto3's standard settings (credentials, region, endpoint):
        what the command line uses, where nobody hands a client in."""
        import boto3

        return cls(boto3.client("s3", endpoint_url=endpoint_url), bucket)

    def get(self, key: str, *, max_bytes: int | None = None) -> StoredObject:
        with _mapped():
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            if max_bytes is not None and response.get("ContentLength", 0) > max_bytes:
                response["Body"].close()
                raise PayloadTooLarge(f"the original exceeds {max_bytes} bytes")
            data = _read_at_most(response["Body"], max_bytes)
        return _stored(response, data)

    def head(self, key: str) -> StoredObject | None:
        try:
            with _mapped():
                response = self.client.head_object(Bucket=self.bucket, Key=key)
        except NotFound:
            return None
        return _stored(response, b"")

    def put_new(
        self, key: str, data: bytes, *, content_type: str, cache_control: str, metadata: dict[str, str]
    ) -> bool:
        for attempt in itertools.count():
            with _mapped():
                try:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                                           CacheControl=cache_control, Metadata=metadata, IfNoneMatch="*")
                except ClientError as exc:
                    code = _code(exc)
                    if code in _EXISTS:
                        return False
                    if code not in _CONFLICT or attempt == CONFLICT_RETRIES:
                        raise
                    time.sleep(CONFLICT_BACKOFF_S * (attempt + 1))
                    continue
            return True
        raise AssertionError("unreachable")

    def list(self, prefix: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        with _mapped():
            for page in pages:
                for obj in page.get("Contents", []):
                    yield obj["Key"]

    def delete(self, keys: Iterable[str]) -> None:
        iterator = iter(keys)
        while batch := list(itertools.islice(iterator, DELETE_BATCH)):
            with _mapped():
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
            failed = [str(e.get("Code")) for e in answer.get("Errors") or [] if str(e.get("Code")) not in _MISSING]
            if failed:
                error = _error(failed[0])
                raise type(error)(f"{error.message} ({len(failed)} of {len(batch)} keys not deleted)",
                                  status=error.status)


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """Run one S3 call, raising its failure as imgedge's own error (``_error``)."""
    try:
        yield
    except ClientError as exc:
        raise _error(_code(exc)) from exc
    except BotoCoreError as exc:  # timeouts, connection resets, truncated bodies
        raise UpstreamError("the image store did not answer") from exc


def _error(code: str) -> ImageEdgeError:
    """The one translation of an S3 error code into imgedge's errors (see the module docstring)."""
    if code in _MISSING:
        return NotFound("no such image")
    if code in _THROTTLED:
        return UpstreamError("the image store is busy", status=503)
    if code in _CONFLICT:
        return UpstreamError("the image store is busy writing this object", status=503)
    if code in _DENIED:
        return UpstreamError("the image store refused access")
    return UpstreamError("the image store failed")


def _read_at_most(body: Any, max_bytes: int | None) -> bytes:
    """The body, reading at most ``max_bytes + 1`` bytes: a missing or lying Content-Length cannot make
    the function buffer more than the limit."""
    if max_bytes is None:
        return body.read()
    chunks: list[bytes] = []
    size = 0
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
