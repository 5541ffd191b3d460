"""The purge function and the log pipeline in template.yaml (merged from template_additions.yaml until the
deploy rules know plain regional functions): cfn-lint clean, SAM-translatable without a cycle or a published
version, least privilege, and no deploy rule firing beyond the known gaps."""

from __future__ import annotations

import pytest

from imgedge.deploy.rules import check
from imgedge.deploy.template import translate
from imgedge.observability import LOG_FIELDS
from tests.observability.template_additions import KNOWN_RULE_GAPS, merged_text, template


@pytest.fixture(scope="module")
def sam() -> dict:
    return template()


def resources_of(t: dict, kind: str) -> dict:
    return {name: r for name, r in t["Resources"].items() if r["Type"] == kind}


def test_cfn_lint_passes(tmp_path):
    from cfnlint.api import ManualArgs, lint_file

    path = tmp_path / "template.yaml"
    path.write_text(merged_text())
    assert [str(m) for m in lint_file(path, config=ManualArgs(regions=["us-east-1"]))] == []


@pytest.mark.parametrize("parameters", [{}, {"EnableLogPipeline": "true"}, {"Mode": "regional"},
                                        {"EnableLogPipeline": "true", "PurgeInvalidation": "if-deleted"}])
def test_rules_report_only_the_known_gaps(sam, parameters):
    found = {(v.rule, v.resource) for v in check(translate(sam, parameters), parameters)}
    assert found <= KNOWN_RULE_GAPS, found - KNOWN_RULE_GAPS


def test_the_purge_function_is_a_plain_regional_function_on_the_buckets_notifications(sam):
    out = translate(sam)
    versions = {v["Properties"]["FunctionName"]["Ref"] for v in resources_of(out, "AWS::Lambda::Version").values()}
    assert "PurgeFunction" not in versions  # not Lambda@Edge: nothing to publish
    behaviors = out["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert "PurgeFunction" not in str(behaviors["LambdaFunctionAssociations"])
    notifications = out["Resources"]["ImagesBucket"]["Properties"]["NotificationConfiguration"]
    events = sorted(c["Event"] for c in notifications["LambdaConfigurations"])
    assert events == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert all(c["Function"] == {"Fn::GetAtt": ["PurgeFunction", "Arn"]} for c in notifications["LambdaConfigurations"])
    function = out["Resources"]["PurgeFunction"]["Properties"]
    assert function["Handler"] == "handlers.purge.handler"
    # The function names neither the bucket nor the distribution (the notification would close a cycle).
    assert "ImagesBucket" not in str(function) and "Distribution" not in str(function["Environment"])


def test_the_purge_role_may_only_list_and_delete_variants_and_invalidate_its_distribution(sam):
    policy = sam["Resources"]["PurgeVariantsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in policy}
    assert by_sid["DeleteVariants"]["Action"] == "s3:DeleteObject"
    assert by_sid["DeleteVariants"]["Resource"] == {"Fn::Sub": "${ImagesBucket.Arn}/_variants/*"}
    assert by_sid["ListVariants"]["Condition"] == {"StringLike": {"s3:prefix": "_variants/*"}}
    assert by_sid["InvalidateDistribution"]["Resource"]["Fn::Sub"].endswith(":distribution/${Distribution}")
    role = sam["Resources"]["PurgeRole"]["Properties"]
    assert "s3:" not in str(role["Policies"])


def test_the_log_pipeline_is_optional_and_complete(sam):
    conditional = {name for name, r in sam["Resources"].items() if r.get("Condition") in ("LogPipeline", "EdgeLogPipeline")}
    assert conditional == {"LogsBucket", "OriginResponseEdgeLogGroup", "GenerationLogsSubscription",
                           "LogsToFirehoseRole", "FirehoseToS3Role", "GenerationLogStream", "GenerationLogsDatabase",
                           "GenerationLogsTable", "GenerationLogsWorkGroup"}
    assert sam["Parameters"]["EnableLogPipeline"]["Default"] == "false"
    group = sam["Resources"]["OriginResponseEdgeLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/us-east-1.${OriginResponseFunction}"}
    subscription = sam["Resources"]["GenerationLogsSubscription"]["Properties"]
    assert subscription["FilterPattern"] == '{ $.event = "generate" }'
    destination = sam["Resources"]["GenerationLogStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"] == "generations/dt=!{timestamp:yyyy-MM-dd}/"
    processors = [p["Type"] for p in destination["ProcessingConfiguration"]["Processors"]]
    assert processors == ["Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"]
    table = sam["Resources"]["GenerationLogsTable"]["Properties"]["TableInput"]
    assert table["Parameters"]["storage.location.template"] == {"Fn::Sub": "s3://${LogsBucket}/generations/dt=${!dt}/"}
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == LOG_FIELDS
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
