"""The real S3 servers (moto, SeaweedFS) behave the way imgedge needs.

Everything goes over real HTTP to 127.0.0.1; boto3 is not mocked.
Run one backend only with ``-m "not seaweedfs"`` or ``-k moto``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

# Every byte value, plus CR/LF/NUL/^Z, which text-mode handling would mangle.
BINARY = bytes(range(256)) * 64 + b"\x00\r\n\x1a\xff\xfe"


def _status(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_round_trip_preserves_bytes_and_headers(s3_bucket):
    server, bucket = s3_bucket
    s3 = server.client()
    put = s3.put_object(
        Bucket=bucket,
        Key="variants/cat/w640.webp",
        Body=BINARY,
        ContentType="image/webp",
        CacheControl="public, max-age=31536000, immutable",
        Metadata={"source-etag": "abc123", "width": "640"},
    )

    got = s3.get_object(Bucket=bucket, Key="variants/cat/w640.webp")

    assert got["Body"].read() == BINARY
    assert got["ContentLength"] == len(BINARY)
    assert got["ContentType"] == "image/webp"
    assert got["CacheControl"] == "public, max-age=31536000, immutable"
    assert got["Metadata"] == {"source-etag": "abc123", "width": "640"}
    assert got["ETag"] == put["ETag"]


def test_get_missing_key_is_nosuchkey_404(s3_bucket):
    server, bucket = s3_bucket
    s3 = server.client()

    with pytest.raises(s3.exceptions.NoSuchKey) as excinfo:
        s3.get_object(Bucket=bucket, Key="does/not/exist.jpg")
    assert excinfo.value.response["Error"]["Code"] == "NoSuchKey"
    assert _status(excinfo.value) == 404

    # HEAD has no body, so botocore can only report the bare status code.
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="does/not/exist.jpg")
    assert excinfo.value.response["Error"]["Code"] == "404"
    assert _status(excinfo.value) == 404


def test_put_if_none_match_star_refuses_overwrite(s3_bucket):
    server, bucket = s3_bucket
    s3 = server.client()
    key = "variants/dog/w320.avif"
    # Create-only write of a new key succeeds.
    first = s3.put_object(Bucket=bucket, Key=key, Body=b"first", ContentType="image/avif", IfNoneMatch="*")

    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key=key, Body=b"second", ContentType="image/png", IfNoneMatch="*")

    assert _status(excinfo.value) == 412
    assert excinfo.value.response["Error"]["Code"] == "PreconditionFailed"
    kept = s3.get_object(Bucket=bucket, Key=key)
    assert kept["Body"].read() == b"first"
    assert kept["ETag"] == first["ETag"]
    assert kept["ContentType"] == "image/avif"


def test_head_object_etag_matches_put(s3_bucket):
    server, bucket = s3_bucket
    s3 = server.client()
    put = s3.put_object(Bucket=bucket, Key="a.jpg", Body=BINARY, ContentType="image/jpeg")

    head = s3.head_object(Bucket=bucket, Key="a.jpg")

    # Single-part upload: the ETag is the quoted hex MD5 of the body.
    assert put["ETag"] == f'"{hashlib.md5(BINARY).hexdigest()}"'
    assert head["ETag"] == put["ETag"]
    assert head["ContentLength"] == len(BINARY)
    assert head["ContentType"] == "image/jpeg"
    # A conditional GET with that ETag is answered 304 Not Modified.
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="a.jpg", IfNoneMatch=head["ETag"])
    assert _status(excinfo.value) == 304


AWKWARD_KEYS = [
    "dir with spaces/file name.webp",
    "ünïcødé/日本語/画像 😀.avif",
    "100%/a%20b%2Fc%.jpg",
    "mix/ä b%c+d&e=f?g#h~.png",
]


def test_awkward_keys_round_trip(s3_bucket):
    server, bucket = s3_bucket
    s3 = server.client()
    for i, key in enumerate(AWKWARD_KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=b"body-%d" % i, ContentType="image/webp")

    for i, key in enumerate(AWKWARD_KEYS):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"body-%d" % i, key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(b"body-%d" % i)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted(AWKWARD_KEYS)
    # "a%20b" must not have been decoded to "a b" on the way in.
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="100%/a b/c%.jpg")


def test_multipart_upload_with_default_checksums(s3_bucket):
    """upload_fileobj above the threshold: multipart, with boto3's default
    CRC checksums (in a trailer, aws-chunked) on a file-like body."""
    server, bucket = s3_bucket
    s3 = server.client()
    body = os.urandom(6 * 1024 * 1024 + 17)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)

    s3.upload_fileobj(io.BytesIO(body), bucket, "big.bin", Config=config, ExtraArgs={"ContentType": "image/tiff"})

    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "image/tiff"
    assert got["ETag"].endswith('-2"')  # multipart ETag: md5-of-md5s plus "-<parts>"


_CHILD = r"""
import json, sys, boto3
bucket = sys.argv[1]
s3 = boto3.client("s3")  # configured only by the environment
s3.put_object(Bucket=bucket, Key="from-child.bin", Body=b"\x00child\xff")
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
print(json.dumps({"endpoint": s3.meta.endpoint_url, "region": s3.meta.region_name,
                  "url": url.split("?")[0]}))
"""


def test_env_configures_boto3_in_a_child_process(s3_bucket):
    server, bucket = s3_bucket
    env = {**os.environ, **server.env()}

    out = subprocess.run(
        [sys.executable, "-c", _CHILD, bucket], env=env, capture_output=True, text=True, timeout=60
    )

    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["endpoint"] == server.endpoint_url
    assert seen["region"] == server.region
    assert seen["url"] == f"{server.endpoint_url}/{bucket}/k"  # path style
    got = server.client().get_object(Bucket=bucket, Key="from-child.bin")
    assert got["Body"].read() == b"\x00child\xff"


def test_env_configures_boto3_in_process(s3_bucket, monkeypatch):
    server, bucket = s3_bucket
    server.client().put_object(Bucket=bucket, Key="k", Body=b"v")
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)

    # A fresh Session: boto3's module-level default session caches credentials.
    s3 = boto3.session.Session().client("s3")

    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # server.client() keeps working whatever profile settings are patched in.
    assert server.client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_client_ignores_the_developers_aws_settings(s3_bucket, monkeypatch, tmp_path):
    server, bucket = s3_bucket
    hostile = tmp_path / "config"
    hostile.write_text("[default]\nregion = eu-west-3\ns3 =\n    addressing_style = virtual\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(hostile))
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "stale-token")

    s3 = server.client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")

    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert s3.meta.endpoint_url == server.endpoint_url
