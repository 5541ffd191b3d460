"""Regional Lambda (not Lambda@Edge): S3 ObjectCreated/ObjectRemoved on an original → purge its variants.

Keep it thin: the logic is ``imgedge.purge.handle_s3_event``. Settings come from the environment (a
regional function may have one): ``DISTRIBUTION_ID``, or ``DISTRIBUTION_ID_PARAMETER`` naming the SSM
parameter that holds it (template.yaml: the bucket's notification depends on this function, the
distribution on the bucket, so the function cannot name the distribution directly), and ``INVALIDATE``
(``always`` | ``if-deleted`` | ``never``). Keys under ``_variants/`` are ignored, so the function's own
deletions (which S3 notifies too) end at once instead of recursing. An event it cannot read is skipped, its
reason in the summary line; a purge that fails raises, so Lambda retries it and then sends the event to the
stack's failure queue (template.yaml: PurgeFailureQueue).
"""

import json
import os
from functools import lru_cache

import boto3

from imgedge.config import load_config
from imgedge.purge import handle_s3_event
from imgedge.store import S3Store
from imgedge.store.s3 import client_config


@lru_cache(maxsize=1)
def _s3():
    return boto3.client("s3", config=client_config(connect_timeout=2.0, read_timeout=20.0))


@lru_cache(maxsize=1)
def _cloudfront():
    return boto3.client("cloudfront")


@lru_cache(maxsize=1)
def _distribution_id():
    if os.environ.get("DISTRIBUTION_ID"):
        return os.environ["DISTRIBUTION_ID"]
    name = os.environ.get("DISTRIBUTION_ID_PARAMETER")
    if not name:
        return None
    return boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] or None


def handler(event, context):
    distribution_id = _distribution_id()
    return handle_s3_event(
        event,
        load_config(),
        lambda bucket: S3Store(_s3(), bucket),
        cloudfront=_cloudfront() if distribution_id else None,
        distribution_id=distribution_id,
        invalidate=os.environ.get("INVALIDATE", "always"),
        log=lambda summary: print(json.dumps(summary, separators=(",", ":"))),
    )
