"""What the command line checks before it acts: the store, the local edge and CloudFront answer.

``imgedge purge`` deletes variants and then invalidates caches; a missing credential or a mistyped bucket
found only at the invalidation would leave the variants deleted and the caches serving them. So every
service a command will need is asked one cheap question first (``HeadBucket``, ``/healthz``,
``GetDistribution``), and a failure becomes a ``Failure`` with its exit code before anything changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from .exits import Exit, Failure

#: Seconds a check waits for a connection or an answer: a down endpoint is reported in seconds.
CHECK_TIMEOUT = 3.0


def check_directory_bucket(root: str) -> None:
    if not Path(root).is_dir():
        raise Failure(Exit.MISSING, f"no directory bucket at {Path(root).resolve()} (--root)")


def check_s3_bucket(bucket: str, endpoint_url: str | None) -> None:
    """Credentials exist, the endpoint answers and the bucket is there and readable."""
    import boto3

    from ..store.s3 import client_config

    session = boto3.session.Session()
    _require_credentials(session)
    client = session.client("s3", endpoint_url=endpoint_url,
                            config=client_config(connect_timeout=CHECK_TIMEOUT, read_timeout=CHECK_TIMEOUT,
                                                 attempts=1))
    where = f"bucket {bucket}" + (f" on {endpoint_url}" if endpoint_url else "")
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as exc:  # noqa: BLE001 (botocore's errors, classified below)
        raise aws_failure(exc, where) from None


def check_cloudfront(distribution_id: str) -> Any:
    """A CloudFront client once credentials exist and the distribution is known. A principal allowed to
    invalidate but not to read the distribution passes: the check must not demand more than the work does."""
    import boto3

    session = boto3.session.Session()
    _require_credentials(session)
    client = session.client("cloudfront")
    try:
        client.get_distribution(Id=distribution_id)
    except Exception as exc:  # noqa: BLE001
        failure = aws_failure(exc, f"distribution {distribution_id}")
        if failure.code != Exit.DENIED:
            raise failure from None
    return client


def check_local_edge(base_url: str) -> None:
    try:
        with urlopen(base_url.rstrip("/") + "/healthz", timeout=CHECK_TIMEOUT) as response:
            response.read()
    except HTTPError as exc:
        raise Failure(Exit.UNREACHABLE, f"local edge {base_url}: /healthz answered {exc.code}") from None
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Failure(Exit.UNREACHABLE, f"local edge {base_url} did not answer ({reason})") from None


def invalidate_local_edge(base_url: str, paths: list[str]) -> int:
    """``POST /_imgedge/invalidations`` on a running ``imgedge serve``; returns how many entries went."""
    request = Request(base_url.rstrip("/") + "/_imgedge/invalidations", method="POST",
                      data=json.dumps({"paths": paths}).encode(), headers={"Content-Type": "application/json"})
    try:
        with urlopen(request, timeout=10) as response:
            return int(json.load(response)["removed"])
    except (URLError, OSError, ValueError, KeyError) as exc:
        raise Failure(Exit.UNREACHABLE, f"local edge {base_url}: invalidation failed ({exc})") from None


def aws_failure(exc: BaseException, where: str) -> Failure:
    """The ``Failure`` for a botocore error (or an imgedge store error caused by one)."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    cause: BaseException | None = exc
    while cause is not None and not type(cause).__module__.startswith("botocore"):
        cause = cause.__cause__
    if isinstance(cause, (NoCredentialsError, PartialCredentialsError)):
        return Failure(Exit.CREDENTIALS, "no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run "
                                         "aws configure)")
    if isinstance(cause, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return Failure(Exit.UNREACHABLE, f"{where}: the endpoint did not answer")
    if isinstance(cause, ClientError):
        error = cause.response.get("Error", {})
        code = str(error.get("Code") or cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in ("NoSuchBucket", "404", "NotFound", "NoSuchDistribution"):
            return Failure(Exit.MISSING, f"{where} does not exist")
        if code in ("AccessDenied", "403", "Forbidden"):
            return Failure(Exit.DENIED, f"{where}: access denied")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken"):
            return Failure(Exit.CREDENTIALS, f"{where}: AWS rejected the credentials ({code})")
        return Failure(Exit.UNREACHABLE, f"{where}: {code or 'error'} {error.get('Message') or ''}".rstrip())
    if cause is not None:
        return Failure(Exit.UNREACHABLE, f"{where}: {cause}")
    return Failure(Exit.FAILED, f"{where}: {exc}")


def _require_credentials(session: Any) -> None:
    if session.get_credentials() is None:
        raise Failure(Exit.CREDENTIALS, "no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run "
                                        "aws configure)")
