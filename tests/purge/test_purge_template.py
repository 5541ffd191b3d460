"""The purge function in template.yaml: a plain regional function on the bucket's S3 notifications (not
Lambda@Edge: no version, no association), whose rights are only to list and delete variants and invalidate its
distribution, placed so that the notification closes no dependency cycle. Offline: SAM's translator and the
project's rules (tests/deploy runs cfn-lint and every broken-template case)."""

from __future__ import annotations

import pytest

from tooling.bundle import BUNDLES
from tooling.lint import lint
from tooling.template import TEMPLATE_PATH, load_template, translate


@pytest.fixture(scope="module")
def sam() -> dict:
    return load_template(TEMPLATE_PATH)


def resources_of(t: dict, kind: str) -> dict:
    return {name: r for name, r in t["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize("mode", ["edge", "regional"])
def test_the_purge_function_is_a_plain_regional_function_on_the_buckets_notifications(sam, mode):
    out = translate(sam, {"Mode": mode})
    versions = {v["Properties"]["FunctionName"]["Ref"] for v in resources_of(out, "AWS::Lambda::Version").values()}
    assert "PurgeFunction" not in versions  # not Lambda@Edge: nothing to publish
    assert not [a for a in resources_of(out, "AWS::Lambda::Alias") if a.startswith("Purge")]
    behaviors = out["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert "PurgeFunction" not in str(behaviors["LambdaFunctionAssociations"])
    notifications = out["Resources"]["ImagesBucket"]["Properties"]["NotificationConfiguration"]
    events = sorted(c["Event"] for c in notifications["LambdaConfigurations"])
    assert events == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert all(c["Function"] == {"Fn::GetAtt": ["PurgeFunction", "Arn"]} for c in notifications["LambdaConfigurations"])
    (permission,) = [p["Properties"] for p in resources_of(out, "AWS::Lambda::Permission").values()
                     if p["Properties"]["FunctionName"] == {"Ref": "PurgeFunction"}]
    assert permission["Principal"] == "s3.amazonaws.com" and permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    function = out["Resources"]["PurgeFunction"]["Properties"]
    assert function["Handler"] == "handlers.purge.handler"
    assert set(function["Environment"]["Variables"]) == {"DISTRIBUTION_ID_PARAMETER", "INVALIDATE"}
    # The function names neither the bucket nor the distribution (the notification would close a cycle).
    assert "ImagesBucket" not in str(function) and "Distribution" not in str(function)
    assert [str(v) for v in lint(out, {"Mode": mode})] == []


def test_the_distribution_id_reaches_the_function_through_ssm(sam):
    parameter = sam["Resources"]["DistributionIdParameter"]["Properties"]
    variables = sam["Resources"]["PurgeFunction"]["Properties"]["Environment"]["Variables"]
    assert parameter["Value"] == {"Ref": "Distribution"}
    assert variables["DISTRIBUTION_ID_PARAMETER"] == parameter["Name"]
    (statement,) = next(p for p in sam["Resources"]["PurgeRole"]["Properties"]["Policies"]
                        if p["PolicyName"] == "distribution-id")["PolicyDocument"]["Statement"]
    assert statement["Action"] == "ssm:GetParameter"
    assert statement["Resource"]["Fn::Sub"].endswith(":parameter" + parameter["Name"]["Fn::Sub"])


def test_the_purge_role_may_only_list_and_delete_variants_and_invalidate_its_distribution(sam):
    policy = sam["Resources"]["PurgeVariantsPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "PurgeRole"}]
    by_sid = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(by_sid) == {"ListVariants", "DeleteVariants", "InvalidateDistribution"}
    assert by_sid["DeleteVariants"]["Action"] == "s3:DeleteObject"
    assert by_sid["DeleteVariants"]["Resource"] == {"Fn::Sub": "${ImagesBucket.Arn}/_variants/*"}
    assert by_sid["ListVariants"]["Condition"] == {"StringLike": {"s3:prefix": "_variants/*"}}
    assert by_sid["InvalidateDistribution"]["Action"] == "cloudfront:CreateInvalidation"
    assert by_sid["InvalidateDistribution"]["Resource"]["Fn::Sub"].endswith(":distribution/${Distribution}")
    role = sam["Resources"]["PurgeRole"]["Properties"]
    assert "s3:" not in str(role["Policies"]) and "cloudfront:" not in str(role["Policies"])
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


@pytest.mark.parametrize("mode", ["edge", "regional"])
def test_a_purge_that_fails_every_retry_lands_in_a_queue_the_role_may_send_to(sam, mode):
    out = translate(sam, {"Mode": mode})
    (config,) = resources_of(out, "AWS::Lambda::EventInvokeConfig").values()
    props = config["Properties"]
    assert props["FunctionName"] == {"Ref": "PurgeFunction"} and props["MaximumRetryAttempts"] == 2
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["PurgeFailureQueue", "Arn"]}
    queue = out["Resources"]["PurgeFailureQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600 and queue["SqsManagedSseEnabled"] is True
    # inline in the role, so the permission exists before Lambda validates the destination
    (statement,) = next(p for p in out["Resources"]["PurgeRole"]["Properties"]["Policies"]
                        if p["PolicyName"] == "failed-events")["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["PurgeFailureQueue", "Arn"]}
    assert out["Outputs"]["PurgeFailureQueueUrl"]["Value"] == {"Ref": "PurgeFailureQueue"}


def test_code_uri_and_handler_are_what_package_builds(sam):
    props = sam["Resources"]["PurgeFunction"]["Properties"]
    bundle = BUNDLES["purge"]
    assert bundle.function == "PurgeFunction" and bundle.requirements == ()
    assert props["CodeUri"] == "."  # sam build: Makefile build-<LogicalId> (tests/deploy/test_template.py)
    module, _, function = props["Handler"].rpartition(".")
    assert module.replace(".", "/") + ".py" == bundle.handler and function == "handler"
    assert (TEMPLATE_PATH.parent / bundle.handler).exists()
    assert "AutoPublishAlias" not in props and "AutoPublishAlias" not in sam["Globals"]["Function"]
