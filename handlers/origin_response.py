"""Lambda@Edge origin-response entry point. Keep it thin: the logic is imgedge.edge.origin_response.

boto3 clients are created once per container (per bucket region) and reused across invocations; the
endpoint follows boto3's standard settings, so ``AWS_ENDPOINT_URL_S3`` points it at a local server.
"""

from functools import lru_cache

import boto3
from botocore.config import Config as BotoConfig

from imgedge.edge import origin_response
from imgedge.edge.cloudfront import s3_origin
from imgedge.store import S3Store

#: Bounded retries inside Lambda@Edge's 30 s origin budget: 3 attempts, short connect, modest read.
_BOTO_CONFIG = BotoConfig(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=2,
    read_timeout=8,
)


@lru_cache(maxsize=8)
def _client(region):
    return boto3.client("s3", region_name=region, config=_BOTO_CONFIG)


def _store_for(request):
    bucket, region = s3_origin(request)
    return S3Store(_client(region), bucket)


def handler(event, context):
    return origin_response.handle(event, _store_for)
