"""DeleteObjects answers 200 even when keys were not deleted: the per-key errors in its body map through the
same table as every other S3 error (the real servers cannot be made to refuse one key of a batch)."""

from __future__ import annotations

import pytest

from imgedge.errors import UpstreamError
from imgedge.store import S3Store


class _PartlyRefusing:
    """Answers DeleteObjects as S3 does when the role may not delete some of the keys."""

    def __init__(self, refused: dict[str, str]) -> None:
        self.refused, self.batches = refused, []

    def delete_objects(self, *, Bucket: str, Delete: dict) -> dict:
        keys = [obj["Key"] for obj in Delete["Objects"]]
        self.batches.append(keys)
        return {"Errors": [{"Key": key, "Code": self.refused[key], "Message": "..."}
                           for key in keys if key in self.refused]}


def test_keys_refused_in_a_batch_are_an_upstream_error():
    client = _PartlyRefusing({"_variants/a.jpg/w1.webp": "AccessDenied", "_variants/a.jpg/w2.webp": "AccessDenied"})
    with pytest.raises(UpstreamError) as raised:
        S3Store(client, "b").delete(f"_variants/a.jpg/w{i}.webp" for i in range(5))
    assert raised.value.status == 502
    assert raised.value.message == "the image store refused access (2 of 5 keys not deleted)"


def test_a_key_already_gone_is_no_error():
    client = _PartlyRefusing({"_variants/a.jpg/w1.webp": "NoSuchKey"})
    S3Store(client, "b").delete(["_variants/a.jpg/w1.webp", "_variants/a.jpg/w2.webp"])
    assert client.batches == [["_variants/a.jpg/w1.webp", "_variants/a.jpg/w2.webp"]]
