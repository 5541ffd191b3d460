"""Lambda@Edge origin-response entry point. Keep it thin: the logic is imgedge.edge.origin_response.

boto3 clients are created once per container (per bucket region) and reused across invocations; the
endpoint follows boto3's standard settings, so ``AWS_ENDPOINT_URL_S3`` points it at a local server.
"""

from functools import lru_cache

import boto3

from imgedge.edge import origin_response
from imgedge.edge.cloudfront import s3_origin
from imgedge.store import S3Store
from imgedge.store.s3 import client_config


@lru_cache(maxsize=8)
def _client(region):
    return boto3.client("s3", region_name=region, config=client_config())


def _store_for(request):
    bucket, region = s3_origin(request)
    return S3Store(_client(region), bucket)


def handler(event, context):
    return origin_response.handle(event, _store_for)
