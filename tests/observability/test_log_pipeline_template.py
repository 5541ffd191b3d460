"""The optional log pipeline in template.yaml (EnableLogPipeline=true): CloudWatch Logs subscription → Firehose →
S3 → Glue table → Athena workgroup; the Firehose role writes only the log bucket, under fixed prefixes; the
table's columns are the log line's fields. Offline: SAM's translator and the project's rules."""

from __future__ import annotations

import pytest

from imgedge.local.template import resolve_conditions
from imgedge.observability import LOG_FIELDS
from tooling.lint import lint
from tooling.template import TEMPLATE_PATH, load_template, translate

PIPELINE = {"LogsBucket", "OriginResponseEdgeLogGroup", "GenerationLogsSubscription", "LogsToFirehoseRole",
            "FirehoseToS3Role", "GenerationLogStream", "GenerationLogsDatabase", "GenerationLogsTable",
            "GenerationLogsWorkGroup"}


@pytest.fixture(scope="module")
def sam() -> dict:
    return load_template(TEMPLATE_PATH)


@pytest.mark.parametrize("parameters", [{"EnableLogPipeline": "true", "Mode": "edge"},
                                        {"EnableLogPipeline": "true", "Mode": "regional"},
                                        {"EnableLogPipeline": "false"}])
def test_rules_pass_with_and_without_the_pipeline(sam, parameters):
    assert [str(v) for v in lint(translate(sam, parameters), parameters)] == []


def test_the_log_pipeline_is_optional_and_complete(sam):
    conditional = {name for name, r in sam["Resources"].items()
                   if r.get("Condition") in ("LogPipeline", "EdgeLogPipeline")}
    assert conditional == PIPELINE
    assert sam["Parameters"]["EnableLogPipeline"]["Default"] == "false"
    off = resolve_conditions(translate(sam, {"EnableLogPipeline": "false"}), {"EnableLogPipeline": "false"})
    assert not PIPELINE & set(off["Resources"])
    regional = resolve_conditions(translate(sam, {"EnableLogPipeline": "true", "Mode": "regional"}),
                                  {"EnableLogPipeline": "true", "Mode": "regional"})
    assert PIPELINE - set(regional["Resources"]) == {"OriginResponseEdgeLogGroup", "GenerationLogsSubscription"}
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


def test_firehose_writes_only_its_prefixes_of_the_log_bucket(sam):
    role = sam["Resources"]["FirehoseToS3Role"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    statements = {s["Sid"]: s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]}
    assert statements["WriteLogs"]["Resource"] == [{"Fn::Sub": "${LogsBucket.Arn}/generations/*"},
                                                   {"Fn::Sub": "${LogsBucket.Arn}/errors/*"}]
    destination = sam["Resources"]["GenerationLogStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
    for prefix in (destination["Prefix"], destination["ErrorOutputPrefix"]):
        assert prefix.split("/")[0] in ("generations", "errors")  # what the role may write
    assert "ImagesBucket" not in str(role)
