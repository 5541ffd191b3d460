"""Purge on real S3 servers (moto, SeaweedFS): list + DeleteObjects, and the purge Lambda driven by S3
notification events shaped exactly as S3 sends them (keys form-encoded: ``+`` is a space)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import boto3
import pytest

import handlers.purge as purge_handler
import imgedge.store.s3 as s3_store
from imgedge import cli
from imgedge.config import Config
from imgedge.purge import originals_changed, purge
from imgedge.store import S3Store
from tests.purge.events import encoded_key, s3_event
from tooling.template import load_template, translate

ORIGINAL = "photos/summer holiday/lake boats ünï+1.jpg"
#: How S3 writes that key into a notification: form-encoded, so the space is "+" and the "+" is "%2B".
ORIGINAL_IN_EVENT = "photos/summer+holiday/lake+boats+%C3%BCn%C3%AF%2B1.jpg"
VARIANTS = [f"_variants/{ORIGINAL}/{segment}" for segment in
            ("w320-q60.avif", "w320-q80.webp", "w640-q60.avif", "w640-h480-cover-q60.avif", "w1200-q80.legacy")]
#: An original whose key starts with the first one's: its variants live *below* the first one's folder.
NESTED = f"{ORIGINAL}/crop.jpg"
NESTED_VARIANT = f"_variants/{NESTED}/w320-q60.avif"
OTHER_VARIANT = "_variants/photos/other.jpg/w320-q60.avif"


def keys_in(client, bucket: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@pytest.fixture
def bucket(s3_bucket):
    server, name = s3_bucket
    client = server.client()
    for key in [ORIGINAL, NESTED, "photos/other.jpg"]:
        client.put_object(Bucket=name, Key=key, Body=b"original", ContentType="image/jpeg")
    for key in VARIANTS + [NESTED_VARIANT, OTHER_VARIANT]:
        client.put_object(Bucket=name, Key=key, Body=b"variant", ContentType="image/avif",
                          Metadata={"source-etag": "abc"})
    return server, name, client


@pytest.fixture
def lambda_env(bucket, monkeypatch):
    """The process environment of the purge Lambda, pointed at the server."""
    server, name, client = bucket
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    for key in ("DISTRIBUTION_ID", "DISTRIBUTION_ID_PARAMETER", "INVALIDATE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    for cached in (purge_handler._s3, purge_handler._cloudfront, purge_handler._distribution_id):
        cached.cache_clear()
    yield server, name, client
    for cached in (purge_handler._s3, purge_handler._cloudfront, purge_handler._distribution_id):
        cached.cache_clear()


def test_purge_deletes_exactly_one_originals_variants_in_batches(bucket, monkeypatch):
    server, name, client = bucket
    monkeypatch.setattr(s3_store, "DELETE_BATCH", 2)  # 5 variants: 3 DeleteObjects calls
    result = purge(ORIGINAL, S3Store(client, name), Config())
    assert result.deleted == sorted(VARIANTS)
    assert keys_in(client, name) == sorted([ORIGINAL, NESTED, "photos/other.jpg", NESTED_VARIANT, OTHER_VARIANT])
    assert purge(ORIGINAL, S3Store(client, name), Config()).deleted == []


def test_cli_purge_on_s3(lambda_env, capsys):
    server, name, client = lambda_env  # credentials from the environment, as for a person at a shell
    code = cli.main(["purge", "photos/other.jpg", "--s3-endpoint", server.endpoint_url, "--bucket", name])
    assert code == 0
    assert OTHER_VARIANT not in keys_in(client, name)
    assert "  /_variants/photos/other.jpg/*\n" in capsys.readouterr().out


@pytest.mark.parametrize("event_name", ["ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload",
                                        "ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated"])
def test_an_original_overwritten_or_deleted_purges_its_variants(lambda_env, event_name, capsys):
    server, name, client = lambda_env
    summary = purge_handler.handler(s3_event(name, ORIGINAL_IN_EVENT, event_name), None)
    assert summary["originals"] == [ORIGINAL] and summary["deleted"] == len(VARIANTS)
    assert summary["invalidation_id"] is None and summary["skipped"] == []
    assert summary["paths"] == sorted(["/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg*",
                                       "/_variants/photos/summer%20holiday/lake%20boats%20%C3%BCn%C3%AF%2B1.jpg/*"])
    remaining = keys_in(client, name)
    assert not set(VARIANTS) & set(remaining) and {ORIGINAL, NESTED_VARIANT, OTHER_VARIANT} <= set(remaining)
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["event"] == "purge"


def test_the_purges_own_deletions_do_not_recurse(lambda_env):
    server, name, client = lambda_env
    # S3 notifies the deletion of each variant the purge removed; those records change nothing.
    encoded_variant = "_variants/" + ORIGINAL_IN_EVENT + "/w320-q60.avif"
    summary = purge_handler.handler(s3_event(name, encoded_variant, "ObjectRemoved:Delete"), None)
    assert summary["originals"] == [] and summary["deleted"] == 0 and summary["paths"] == []
    assert summary["skipped"] == [f"_variants/{ORIGINAL}/w320-q60.avif: a variant"]
    # Nor does a generator storing a new variant.
    created = purge_handler.handler(s3_event(name, "_variants/photos/other.jpg/w640-q60.avif",
                                             "ObjectCreated:Put"), None)
    assert created["deleted"] == 0 and OTHER_VARIANT in keys_in(client, name)


def notifications_to_purge() -> list[dict]:
    """The LambdaConfigurations of template.yaml's bucket (as SAM deploys them) that invoke the purge function."""
    bucket = translate(load_template())["Resources"]["ImagesBucket"]["Properties"]
    configurations = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    return [c for c in configurations if c["Function"] == {"Fn::GetAtt": ["PurgeFunction", "Arn"]}]


def notified(configurations: list[dict], key: str, event_name: str) -> bool:
    """Whether S3 sends ``event_name`` for ``key`` to the function, by those configurations' events and filters."""
    for configuration in configurations:
        rules = {r["Name"].lower(): r["Value"]
                 for r in configuration.get("Filter", {}).get("S3Key", {}).get("Rules", [])}
        if fnmatchcase(f"s3:{event_name}", configuration["Event"]) and key.startswith(rules.get("prefix", "")) \
                and key.endswith(rules.get("suffix", "")):
            return True
    return False


def test_the_purge_does_not_recurse_through_the_templates_notifications(lambda_env):
    """Play the deployed loop: an original is overwritten; S3 notifies the function of every change the function
    then makes, as template.yaml's bucket notification is configured; repeat until nothing is notified. S3 key
    filters cannot exclude a prefix, so the function is notified of its own deletions under _variants/ and must
    stop there: one round of purging, one round of ignored deletions, nothing more."""
    server, name, client = lambda_env
    configurations = notifications_to_purge()
    assert {c["Event"] for c in configurations} == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
    assert notified(configurations, VARIANTS[0], "ObjectRemoved:Delete")  # its own deletions do come back

    pending = [(ORIGINAL, "ObjectCreated:Put")]
    rounds: list[list[dict]] = []
    while pending and len(rounds) < 5:
        before = set(keys_in(client, name))
        rounds.append([purge_handler.handler(s3_event(name, encoded_key(key), event_name), None)
                       for key, event_name in pending])
        after = set(keys_in(client, name))
        pending = [(key, "ObjectRemoved:Delete") for key in sorted(before - after)]  # DeleteObjects too
        pending += [(key, "ObjectCreated:Put") for key in sorted(after - before)]
        pending = [(key, event_name) for key, event_name in pending if notified(configurations, key, event_name)]
    assert len(rounds) == 2, rounds
    (first,) = rounds[0]
    assert first["originals"] == [ORIGINAL] and first["deleted"] == len(VARIANTS)
    assert len(rounds[1]) == len(VARIANTS)
    for summary in rounds[1]:
        assert summary["originals"] == [] and summary["deleted"] == 0 and summary["paths"] == []
        assert summary["skipped"][0].endswith(": a variant")


def test_events_that_name_no_original_are_skipped(lambda_env):
    server, name, client = lambda_env
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-24T01:22:53.123Z",
                  "Bucket": name, "RequestId": "5582815E1AEA5ADF",
                  "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}
    assert purge_handler.handler(test_event, None)["originals"] == []
    folder = purge_handler.handler(s3_event(name, "photos/", "ObjectCreated:Put"), None)
    assert folder["originals"] == [] and "photos/" in folder["skipped"][0]
    restore = s3_event(name, ORIGINAL_IN_EVENT, "ObjectRestore:Completed")
    assert purge_handler.handler(restore, None)["deleted"] == 0
    assert len(keys_in(client, name)) == 3 + len(VARIANTS) + 2


def test_keys_are_form_decoded():
    assert encoded_key(ORIGINAL) == ORIGINAL_IN_EVENT
    event = s3_event("b", ORIGINAL_IN_EVENT, "ObjectCreated:Put")
    event["Records"] += s3_event("b", "a%2Bb+c.jpg", "ObjectRemoved:Delete")["Records"]
    changes, skipped = originals_changed(event, Config())
    assert [c.key for c in changes] == [ORIGINAL, "a+b c.jpg"] and skipped == []


def test_the_handler_invalidates_the_distribution_it_finds(lambda_env, monkeypatch):
    server, name, client = lambda_env
    if server.name != "moto":
        pytest.skip("CloudFront is only served by moto")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", server.endpoint_url)
    cloudfront = boto3.client("cloudfront", endpoint_url=server.endpoint_url, region_name="us-east-1",
                              aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "imgedge-purge-test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "images", "DomainName": f"{name}.s3.us-east-1.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "images", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]["Id"]
    ssm = boto3.client("ssm", endpoint_url=server.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
    ssm.put_parameter(Name="/imgedge/test/distribution-id", Value=distribution, Type="String", Overwrite=True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", server.endpoint_url)
    monkeypatch.setenv("DISTRIBUTION_ID_PARAMETER", "/imgedge/test/distribution-id")

    summary = purge_handler.handler(s3_event(name, ORIGINAL_IN_EVENT, "ObjectCreated:Put"), None)
    assert summary["invalidation_id"]
    batch = cloudfront.get_invalidation(DistributionId=distribution, Id=summary["invalidation_id"])
    assert sorted(batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]) == summary["paths"]

    # INVALIDATE=if-deleted: nothing stored any more, so no invalidation.
    monkeypatch.setenv("INVALIDATE", "if-deleted")
    again = purge_handler.handler(s3_event(name, ORIGINAL_IN_EVENT, "ObjectCreated:Put"), None)
    assert again["deleted"] == 0 and again["invalidation_id"] is None
