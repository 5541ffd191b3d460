"""The stores the contract suite runs against: a directory, and ``S3Store`` on each real S3 server.

An S3 backend also carries a second ``S3Store`` on the same bucket reached through a fault-injecting proxy
(``tests.faults``) with no retries, so error mapping is tested against real S3 error bodies in one request.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

import boto3

from imgedge.store import DirectoryStore, S3Store, Store
from imgedge.store.s3 import client_config
from tests.faults import FaultProxy
from tests.s3servers import S3Server


@dataclass
class Backend:
    name: str
    store: Store
    #: Writes an object whatever is there (an original, as the owner uploads it): ``seed(key, data)``.
    seed: Callable[[str, bytes], None]
    #: S3 only: the same bucket behind ``proxy``, one attempt per call.
    faulty: S3Store | None = None
    proxy: FaultProxy | None = None

    def seed_many(self, keys: list[str], data: bytes = b"x") -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda key: self.seed(key, data), keys))


def directory_backend(root) -> Backend:
    store = DirectoryStore(root)
    return Backend("directory", store, store.put_original)


class S3Bench:
    """One server's direct client and, through one fault proxy, a client that makes one attempt per call:
    made once per server (a boto3 session takes a second to load), shared by its tests' buckets."""

    def __init__(self, server: S3Server) -> None:
        self.server, self.client, self.proxy = server, server.client(), FaultProxy(server.endpoint_url)
        session = boto3.session.Session(aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                                        region_name=server.region)
        config = client_config(attempts=1, read_timeout=10.0).merge(
            boto3.session.Config(s3={"addressing_style": "path"}))
        self.faulty_client = session.client("s3", endpoint_url=self.proxy.url, config=config)

    def close(self) -> None:
        self.proxy.close()

    @contextlib.contextmanager
    def bucket(self) -> Iterator[Backend]:
        """A fresh bucket (emptied and deleted afterwards) with a direct and a faulty store."""
        client, bucket = self.client, f"imgedge-store-{uuid.uuid4().hex[:16]}"
        kwargs = {}
        if self.server.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.server.region}
        client.create_bucket(Bucket=bucket, **kwargs)
        self.proxy.faults.clear()
        self.proxy.seen.clear()

        def seed(key: str, data: bytes) -> None:
            client.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/octet-stream")

        try:
            yield Backend(self.server.name, S3Store(client, bucket), seed, S3Store(self.faulty_client, bucket),
                          self.proxy)
        finally:
            try:
                for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                    objects = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
                    if objects:
                        client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
                client.delete_bucket(Bucket=bucket)
            except Exception as exc:  # teardown must not mask the test's own result
                warnings.warn(f"could not delete bucket {bucket} on {self.server.name}: {exc!r}", stacklevel=1)
