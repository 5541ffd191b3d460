"""Regional generator entry point (a Lambda function behind a Function URL, Mode=regional). Keep it thin:
the logic is imgedge.regional.

Init (once per container): the settings from the environment (``IMGEDGE_BUCKET``, see
imgedge/regional/settings.py) and one S3 client in the function's Region (``AWS_DEFAULT_REGION``), reused by
every invocation. The client is botocore's: the store calls only GetObject and PutObject, and importing boto3
(with s3transfer) would add ~40 ms to every cold start. The endpoint follows the SDK's standard settings, so
``AWS_ENDPOINT_URL_S3`` points it at a local server. Pillow is imported by the first render, not here (the
zip has no numpy: no render uses it).
"""

import os

import botocore.session

from imgedge.regional import function_url
from imgedge.regional.app import GeneratorApp
from imgedge.regional.settings import load_settings
from imgedge.store import S3Store
from imgedge.store.s3 import client_config

SETTINGS = load_settings(os.environ)
APP = GeneratorApp(
    S3Store(botocore.session.get_session().create_client("s3", config=client_config()), SETTINGS.bucket),
    SETTINGS.config,
    max_inline_bytes=SETTINGS.max_inline_bytes,
)


def handler(event, context):
    return function_url.handle(event, APP)
