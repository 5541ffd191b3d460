"""S3 event notifications as S3 delivers them to Lambda (event structure version 2.1): the purge function's input.

Keys arrive form-encoded (``quote_plus``: a space is ``+``, a ``+`` is ``%2B``); ``ObjectRemoved`` records carry
no size or ETag.
"""

from __future__ import annotations

from urllib.parse import quote_plus


def encoded_key(key: str) -> str:
    """``key`` as S3 writes it into a notification."""
    return quote_plus(key, safe="/")


def s3_event(bucket: str, encoded: str, event_name: str, *, size: int = 1024) -> dict:
    """One record for the object ``encoded`` (already form-encoded, see ``encoded_key``) in ``bucket``."""
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-24T01:22:53.123Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810",
                             "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "imgedge-purge",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": ({"key": encoded, "sequencer": "0055AED6DCD90281E5"}
                       if event_name.startswith("ObjectRemoved") else
                       {"key": encoded, "size": size, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                        "sequencer": "0055AED6DCD90281E5"}),
        },
    }]}
