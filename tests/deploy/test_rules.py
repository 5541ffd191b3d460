"""Each project cfn-lint rule (tooling/cfn_rules) fires on a template broken in its way (the good template
passes: test_template.py): the Lambda@Edge rules, the regional generator's, and those of the support resources
(the purge function, the log pipeline).

Every case mutates a copy of template.yaml (SAM form) and runs cfn-lint on it with the project's rules (in
process, the built-in rules left out: test_cfn_lint_cli.py runs the command line); the rule the case breaks must
fire, by its id, and no other project rule. cfn-lint's built-in rules and samtranslator accept most of these
templates.
"""

from __future__ import annotations

from typing import Callable

import pytest

from tooling.lint import lint, project_rules, rule_ids

VIEWER, ORIGIN = "ViewerRequestFunction", "OriginResponseFunction"


def res(t: dict, name: str) -> dict:
    return t["Resources"][name]["Properties"]


def behavior(t: dict) -> dict:
    return res(t, "Distribution")["DistributionConfig"]["DefaultCacheBehavior"]


def behaviors(t: dict) -> list[dict]:
    """Every behaviour of the distribution: the URL dialects' paths and the default."""
    config = res(t, "Distribution")["DistributionConfig"]
    return [*config.get("CacheBehaviors", []), config["DefaultCacheBehavior"]]


def association(t: dict, event: str) -> dict:
    """The association for ``event``, also inside an ``Fn::If`` (origin-response exists in Mode=edge only)."""
    for item in behavior(t)["LambdaFunctionAssociations"]:
        for arm in item["Fn::If"][1:] if "Fn::If" in item else [item]:
            if isinstance(arm, dict) and arm.get("EventType") == event:
                return arm
    raise KeyError(event)


def role_statements(t: dict, role: str, policy: str) -> list[dict]:
    return next(p for p in res(t, role)["Policies"] if p["PolicyName"] == policy)["PolicyDocument"]["Statement"]


def statement(t: dict, sid: str) -> dict:
    return next(s for s in role_statements(t, "OriginResponseRole", "images-bucket") if s["Sid"] == sid)


def bucket_statement(t: dict, sid: str) -> dict:
    return next(s for s in res(t, "ImagesBucketPolicy")["PolicyDocument"]["Statement"] if s["Sid"] == sid)


def cache_key(t: dict) -> dict:
    return res(t, "VariantCachePolicy")["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]


def origin(t: dict) -> dict:
    return res(t, "Distribution")["DistributionConfig"]["Origins"][0]


def set_(path: Callable[[dict], dict], key: str, value) -> Callable[[dict], None]:
    def mutate(t: dict) -> None:
        path(t)[key] = value

    return mutate


def drop(path: Callable[[dict], dict], key: str) -> Callable[[dict], None]:
    def mutate(t: dict) -> None:
        del path(t)[key]

    return mutate


def globals_(t: dict) -> dict:
    return t["Globals"]["Function"]


def add_oai(t: dict) -> None:
    t["Resources"]["LegacyOai"] = {
        "Type": "AWS::CloudFront::CloudFrontOriginAccessIdentity",
        "Properties": {"CloudFrontOriginAccessIdentityConfig": {"Comment": "legacy"}},
    }
    del origin(t)["OriginAccessControlId"]
    origin(t)["S3OriginConfig"] = {
        "OriginAccessIdentity": {"Fn::Sub": "origin-access-identity/cloudfront/${LegacyOai}"},
    }


def duplicate_viewer_association(t: dict) -> None:
    behavior(t)["LambdaFunctionAssociations"].append(dict(association(t, "viewer-request")))


def viewer_trust_lambda_only(t: dict) -> None:
    res(t, "ViewerRequestRole")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] = [
        "lambda.amazonaws.com"
    ]


def s3_website_origin(t: dict) -> None:
    o = origin(t)
    del o["S3OriginConfig"], o["OriginAccessControlId"]
    o["DomainName"] = {"Fn::Sub": "${ImagesBucket}.s3-website-us-east-1.amazonaws.com"}
    o["CustomOriginConfig"] = {"OriginProtocolPolicy": "http-only"}


# (rule, case id, mutation)
CASES: list[tuple[str, str, Callable[[dict], None]]] = [
    ("region", "no us-east-1 assertion", lambda t: t["Rules"].pop("DeployInUsEast1")),
    ("runtime", "python3.99", set_(globals_, "Runtime", "python3.99")),
    ("runtime", "python3.11 (AL2, glibc 2.26)", set_(globals_, "Runtime", "python3.11")),
    ("runtime", "nodejs on one function", set_(lambda t: res(t, ORIGIN), "Runtime", "nodejs22.x")),
    ("architecture", "arm64", set_(globals_, "Architectures", ["arm64"])),
    ("no-environment", "environment variables",
     set_(lambda t: res(t, ORIGIN), "Environment", {"Variables": {"BUCKET": "x"}})),
    ("no-layers", "a layer",
     set_(lambda t: res(t, VIEWER), "Layers", ["arn:aws:lambda:us-east-1:123456789012:layer:pillow:3"])),
    ("unsupported-feature", "X-Ray active", set_(lambda t: res(t, ORIGIN), "Tracing", "Active")),
    ("unsupported-feature", "ephemeral storage 1 GB",
     set_(lambda t: res(t, ORIGIN), "EphemeralStorage", {"Size": 1024})),
    ("unsupported-feature", "VPC",
     set_(lambda t: res(t, ORIGIN), "VpcConfig", {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]})),
    ("unsupported-feature", "provisioned concurrency",
     set_(lambda t: res(t, VIEWER), "ProvisionedConcurrencyConfig", {"ProvisionedConcurrentExecutions": 1})),
    ("unsupported-feature", "reserved concurrency",
     set_(lambda t: res(t, ORIGIN), "ReservedConcurrentExecutions", 10)),
    ("versioned-association", "!GetAtt Fn.Arn",
     set_(lambda t: association(t, "origin-response"), "LambdaFunctionARN", {"Fn::GetAtt": [ORIGIN, "Arn"]})),
    ("versioned-association", "!Ref Fn.Alias",
     set_(lambda t: association(t, "viewer-request"), "LambdaFunctionARN", {"Ref": f"{VIEWER}.Alias"})),
    ("versioned-association", "$LATEST ARN",
     set_(lambda t: association(t, "viewer-request"), "LambdaFunctionARN",
          "arn:aws:lambda:us-east-1:123456789012:function:viewer:$LATEST")),
    ("versioned-association", "version ARN of another Region",
     set_(lambda t: association(t, "viewer-request"), "LambdaFunctionARN",
          "arn:aws:lambda:eu-west-1:123456789012:function:viewer:3")),
    ("version-lifecycle", "memory parameter not in the version",
     drop(lambda t: res(t, ORIGIN), "VersionDescription")),
    ("version-lifecycle", "old versions deleted on replacement",
     lambda t: t["Resources"][VIEWER].pop("UpdateReplacePolicy")),
    ("version-lifecycle", "versions deleted with the stack",
     lambda t: t["Resources"][ORIGIN].update(DeletionPolicy="Delete")),
    ("versioned-association", "function not associated",
     lambda t: [b["LambdaFunctionAssociations"].pop() for b in behaviors(t)]),
    ("event-type", "misspelt origin_response",
     set_(lambda t: association(t, "origin-response"), "EventType", "origin_response")),
    ("event-type", "two viewer-request functions", duplicate_viewer_association),
    ("event-type", "IncludeBody on a response event",
     set_(lambda t: association(t, "origin-response"), "IncludeBody", True)),
    ("viewer-limits", "viewer 256 MB", set_(lambda t: res(t, VIEWER), "MemorySize", 256)),
    ("viewer-limits", "viewer 10 s", set_(lambda t: res(t, VIEWER), "Timeout", 10)),
    ("origin-limits", "origin 60 s", set_(lambda t: res(t, ORIGIN), "Timeout", 60)),
    ("origin-limits", "origin 4096 MB", set_(lambda t: res(t, ORIGIN), "MemorySize", 4096)),
    ("origin-limits", "memory parameter up to 10240",
     set_(lambda t: t["Parameters"]["OriginResponseMemory"], "MaxValue", 10240)),
    ("origin-limits", "memory parameter unbounded",
     drop(lambda t: t["Parameters"]["OriginResponseMemory"], "MaxValue")),
    ("role-trust", "no edgelambda principal", viewer_trust_lambda_only),
    ("role-trust", "role from outside the template",
     set_(lambda t: res(t, VIEWER), "Role", "arn:aws:iam::123456789012:role/some-role")),
    ("s3-iam-scope", "PutObject on the whole bucket",
     set_(lambda t: statement(t, "WriteVariants"), "Resource", {"Fn::Sub": "${ImagesBucket.Arn}/*"})),
    ("s3-iam-scope", "s3:*", set_(lambda t: statement(t, "ReadObjects"), "Action", "s3:*")),
    ("s3-iam-scope", "s3:Put* wildcard", set_(lambda t: statement(t, "WriteVariants"), "Action", "s3:Put*")),
    ("s3-iam-scope", "GetObject on Resource *", set_(lambda t: statement(t, "ReadObjects"), "Resource", "*")),
    ("s3-iam-scope", "GetObject on every bucket",
     set_(lambda t: statement(t, "ReadObjects"), "Resource", "arn:aws:s3:::*/*")),
    ("s3-iam-scope", "DeleteObject on originals",
     set_(lambda t: statement(t, "ReadObjects"), "Action", ["s3:GetObject", "s3:DeleteObject"])),
    ("s3-iam-scope", "managed AmazonS3FullAccess",
     set_(lambda t: res(t, "OriginResponseRole"), "ManagedPolicyArns",
          ["arn:aws:iam::aws:policy/AmazonS3FullAccess"])),
    ("bucket-private", "BlockPublicPolicy false",
     set_(lambda t: res(t, "ImagesBucket")["PublicAccessBlockConfiguration"], "BlockPublicPolicy", False)),
    ("bucket-private", "no public access block",
     drop(lambda t: res(t, "ImagesBucket"), "PublicAccessBlockConfiguration")),
    ("bucket-private", "no encryption", drop(lambda t: res(t, "ImagesBucket"), "BucketEncryption")),
    ("bucket-private", "public-read ACL", set_(lambda t: res(t, "ImagesBucket"), "AccessControl", "PublicRead")),
    ("bucket-policy", "public read", set_(lambda t: bucket_statement(t, "CloudFrontReadsObjects"), "Principal", "*")),
    ("bucket-policy", "CloudFront not scoped to the distribution",
     drop(lambda t: bucket_statement(t, "CloudFrontReadsObjects"), "Condition")),
    ("bucket-policy", "CloudFront may write",
     set_(lambda t: bucket_statement(t, "CloudFrontReadsObjects"), "Action", ["s3:GetObject", "s3:PutObject"])),
    ("origin-access", "legacy OAI", add_oai),
    ("origin-access", "OAC that does not sign",
     set_(lambda t: res(t, "OriginAccessControl")["OriginAccessControlConfig"], "SigningBehavior", "never")),
    ("origin-access", "S3 origin without OAC", drop(origin, "OriginAccessControlId")),
    ("origin-access", "public S3 website endpoint", s3_website_origin),
    ("cache-key", "query strings in the key",
     set_(cache_key, "QueryStringsConfig", {"QueryStringBehavior": "all"})),
    ("cache-key", "Accept header in the key",
     set_(cache_key, "HeadersConfig", {"HeaderBehavior": "whitelist", "Headers": ["Accept"]})),
    ("cache-key", "cookies in the key", set_(cache_key, "CookiesConfig", {"CookieBehavior": "all"})),
    ("cache-key", "gzip normalisation", set_(cache_key, "EnableAcceptEncodingGzip", True)),
    ("cache-key", "managed cache policy id",
     set_(behavior, "CachePolicyId", "658327ea-f89d-4fab-a63d-7e88639e58f6")),
    ("behavior", "compression on", set_(behavior, "Compress", True)),
    ("behavior", "plain HTTP allowed", set_(behavior, "ViewerProtocolPolicy", "allow-all")),
]


# -- Mode=regional: the generator behind a Function URL (checked in each mode; these break only regional) --

GENERATOR = "GeneratorFunction"


def generator_origin(t: dict) -> dict:
    return next(o["Fn::If"][1] for o in res(t, "Distribution")["DistributionConfig"]["Origins"]
                if "Fn::If" in o and o["Fn::If"][1].get("Id") == "generator")


def origin_group(t: dict) -> dict:
    return res(t, "Distribution")["DistributionConfig"]["OriginGroups"]["Fn::If"][1]["Items"][0]


def generator_statement(t: dict, sid: str) -> dict:
    return next(s for s in role_statements(t, "GeneratorRole", "images-bucket") if s["Sid"] == sid)


def add_s3_invoke_permission(t: dict) -> None:
    t["Resources"]["S3InvokesGenerator"] = {
        "Type": "AWS::Lambda::Permission", "Condition": "RegionalMode",
        "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": f"{GENERATOR}.Alias"},
                       "Principal": "s3.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["ImagesBucket", "Arn"]}},
    }


def swap_group_members(t: dict) -> None:
    items = origin_group(t)["Members"]["Items"]
    items.reverse()


REGIONAL_CASES: list[tuple[str, str, Callable[[dict], None]]] = [
    ("function-url-auth", "AuthType NONE (chosen by a condition, so SAM adds no permission)",
     set_(lambda t: res(t, GENERATOR)["FunctionUrlConfig"], "AuthType",
          {"Fn::If": ["RegionalMode", "NONE", "AWS_IAM"]})),
    ("function-url-auth", "response streaming", set_(lambda t: res(t, GENERATOR)["FunctionUrlConfig"], "InvokeMode",
                                                    "RESPONSE_STREAM")),
    ("invoke-permission", "no lambda:InvokeFunction (needed since October 2025)",
     lambda t: t["Resources"].pop("GeneratorInvokePermission")),
    ("invoke-permission", "no lambda:InvokeFunctionUrl", lambda t: t["Resources"].pop("GeneratorInvokeUrlPermission")),
    ("invoke-permission", "permissions on the function while the URL invokes the alias",
     lambda t: [res(t, p).update(FunctionName={"Ref": GENERATOR})
                for p in ("GeneratorInvokePermission", "GeneratorInvokeUrlPermission")]),
    ("invoke-permission", "InvokeFunctionUrl without FunctionUrlAuthType AWS_IAM",
     drop(lambda t: res(t, "GeneratorInvokeUrlPermission"), "FunctionUrlAuthType")),
    ("invoke-scope", "InvokeFunction not scoped by SourceArn",
     drop(lambda t: res(t, "GeneratorInvokePermission"), "SourceArn")),
    ("invoke-scope", "InvokeFunctionUrl scoped to another distribution",
     set_(lambda t: res(t, "GeneratorInvokeUrlPermission"), "SourceArn",
          "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE")),
    ("invoke-scope", "public InvokeFunction", set_(lambda t: res(t, "GeneratorInvokePermission"), "Principal", "*")),
    ("invoke-scope", "another service may invoke the origin", add_s3_invoke_permission),
    ("lambda-origin-access", "generator OAC of origin type s3",
     set_(lambda t: res(t, "GeneratorOriginAccessControl")["OriginAccessControlConfig"],
          "OriginAccessControlOriginType", "s3")),
    ("lambda-origin-access", "generator OAC that does not sign",
     set_(lambda t: res(t, "GeneratorOriginAccessControl")["OriginAccessControlConfig"], "SigningBehavior",
          "no-override")),
    ("lambda-origin-access", "Function URL origin without OAC", drop(generator_origin, "OriginAccessControlId")),
    ("lambda-origin-access", "Function URL origin signed by the S3 OAC",
     set_(generator_origin, "OriginAccessControlId", {"Fn::GetAtt": ["OriginAccessControl", "Id"]})),
    ("lambda-origin-access", "Function URL over plain HTTP",
     set_(lambda t: generator_origin(t)["CustomOriginConfig"], "OriginProtocolPolicy", "match-viewer")),
    ("lambda-origin-access", "another stack's Function URL",
     set_(generator_origin, "DomainName", "abcdefghijklmnop.lambda-url.us-east-1.on.aws")),
    ("origin-group", "no failover on 404",
     set_(lambda t: origin_group(t)["FailoverCriteria"], "StatusCodes", {"Quantity": 1, "Items": [403]})),
    ("origin-group", "the generator asked first", swap_group_members),
    ("origin-group", "the behavior targets the generator directly",
     set_(behavior, "TargetOriginId", {"Fn::If": ["RegionalMode", "generator", "images"]})),
    ("regional-limits", "generator timeout over the origin read timeout",
     set_(lambda t: res(t, GENERATOR), "Timeout", 60)),
    ("regional-limits", "generator memory parameter unbounded",
     drop(lambda t: t["Parameters"]["GeneratorMemory"], "MaxValue")),
    ("regional-limits", "generator on two architectures",
     set_(lambda t: res(t, GENERATOR), "Architectures", ["x86_64", "arm64"])),
    ("regional-version", "memory parameter not in the version",
     drop(lambda t: res(t, GENERATOR), "VersionDescription")),
    ("role-trust", "generator role trusted by edgelambda only",
     set_(lambda t: res(t, "GeneratorRole")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"], "Service",
          "edgelambda.amazonaws.com")),
    ("role-trust", "generator role also trusted by edgelambda",
     set_(lambda t: res(t, "GeneratorRole")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"], "Service",
          ["lambda.amazonaws.com", "edgelambda.amazonaws.com"])),
    ("s3-iam-scope", "generator may overwrite originals",
     set_(lambda t: generator_statement(t, "WriteVariants"), "Resource", {"Fn::Sub": "${ImagesBucket.Arn}/*"})),
    ("runtime", "generator on python3.11", set_(lambda t: res(t, GENERATOR), "Runtime", "python3.11")),
]
CASES += REGIONAL_CASES


# -- support resources: the purge function (an S3-event regional function) and the log pipeline -------------

PURGE = "PurgeFunction"


def purge_statement(t: dict, sid: str) -> dict:
    return next(s for s in res(t, "PurgeVariantsPolicy")["PolicyDocument"]["Statement"] if s["Sid"] == sid)


def purge_role_policy(t: dict, name: str) -> dict:
    return next(p for p in res(t, "PurgeRole")["Policies"] if p["PolicyName"] == name)


def firehose_statement(t: dict, sid: str) -> dict:
    return next(s for s in role_statements(t, "FirehoseToS3Role", "write-logs") if s["Sid"] == sid)


def trust_principal(role: str) -> Callable[[dict], dict]:
    return lambda t: res(t, role)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]


def add_statement(path: Callable[[dict], list], statement: dict) -> Callable[[dict], None]:
    def mutate(t: dict) -> None:
        path(t).append(statement)

    return mutate


def notification_by_hand(permission: dict | None) -> Callable[[dict], None]:
    """The bucket's notification written on the bucket instead of as the function's SAM event, with ``permission``
    (the properties of an AWS::Lambda::Permission on the function) or none."""
    def mutate(t: dict) -> None:
        del res(t, PURGE)["Events"]
        res(t, "ImagesBucket")["NotificationConfiguration"] = {"LambdaConfigurations": [
            {"Event": "s3:ObjectRemoved:*", "Function": {"Fn::GetAtt": [PURGE, "Arn"]}}]}
        if permission is not None:
            t["Resources"]["PurgeInvokedByS3"] = {"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": PURGE}, **permission}}

    return mutate


def invalidation_in_the_purge_role(t: dict) -> None:
    """The CloudFront right inline in PurgeRole: role -> distribution -> bucket -> permission -> function -> role."""
    statement = purge_statement(t, "InvalidateDistribution")
    res(t, "PurgeVariantsPolicy")["PolicyDocument"]["Statement"].remove(statement)
    res(t, "PurgeRole")["Policies"].append({"PolicyName": "invalidate",
                                           "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}})


IMAGES_OBJECTS = {"Fn::Sub": "${ImagesBucket.Arn}/*"}

SUPPORT_CASES: list[tuple[str, str, Callable[[dict], None]]] = [
    ("runtime", "purge on python3.11", set_(lambda t: res(t, PURGE), "Runtime", "python3.11")),
    ("event-function", "purge on two architectures",
     set_(lambda t: res(t, PURGE), "Architectures", ["x86_64", "arm64"])),
    ("event-function", "purge timeout over 15 minutes", set_(lambda t: res(t, PURGE), "Timeout", 960)),
    ("event-function", "purge memory over 10240 MB", set_(lambda t: res(t, PURGE), "MemorySize", 20480)),
    ("event-function", "S3 notification without a permission for S3", notification_by_hand(None)),
    ("invoke-scope", "S3 permission without SourceAccount",
     notification_by_hand({"Principal": "s3.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["ImagesBucket", "Arn"]}})),
    ("role-trust", "purge role also trusted by edgelambda",
     set_(trust_principal("PurgeRole"), "Service", ["lambda.amazonaws.com", "edgelambda.amazonaws.com"])),
    ("role-trust", "purge role trusted by another account",
     lambda t: trust_principal("PurgeRole")(t).update(AWS="arn:aws:iam::210987654321:root")),
    ("s3-iam-scope", "purge may delete originals", set_(lambda t: purge_statement(t, "DeleteVariants"), "Resource",
                                                        IMAGES_OBJECTS)),
    ("s3-iam-scope", "purge with s3:*", set_(lambda t: purge_statement(t, "DeleteVariants"), "Action", "s3:*")),
    ("s3-iam-scope", "purge reads originals",
     add_statement(lambda t: res(t, "PurgeVariantsPolicy")["PolicyDocument"]["Statement"],
                   {"Effect": "Allow", "Action": "s3:GetObject", "Resource": IMAGES_OBJECTS})),
    ("s3-iam-scope", "purge may write variants",
     set_(lambda t: purge_statement(t, "DeleteVariants"), "Action", ["s3:DeleteObject", "s3:PutObject"])),
    ("s3-iam-scope", "purge lists the whole bucket", drop(lambda t: purge_statement(t, "ListVariants"), "Condition")),
    ("s3-iam-scope", "purge lists originals",
     set_(lambda t: purge_statement(t, "ListVariants"), "Condition",
          {"StringLike": {"s3:prefix": ["_variants/*", "photos/*"]}})),
    ("s3-iam-scope", "Firehose role writing to the images bucket",
     lambda t: firehose_statement(t, "WriteLogs")["Resource"].append({"Fn::Sub": "${ImagesBucket.Arn}/_variants/*"})),
    ("s3-iam-scope", "Firehose role writing anywhere in the log bucket",
     set_(lambda t: firehose_statement(t, "WriteLogs"), "Resource", {"Fn::Sub": "${LogsBucket.Arn}/*"})),
    ("s3-iam-scope", "Firehose role may delete logs",
     set_(lambda t: firehose_statement(t, "WriteLogs"), "Action", ["s3:PutObject", "s3:DeleteObject"])),
    ("s3-iam-scope", "log bucket writable by a role Lambda may assume too",
     set_(trust_principal("FirehoseToS3Role"), "Service", ["firehose.amazonaws.com", "lambda.amazonaws.com"])),
    ("s3-iam-scope", "the CloudWatch Logs role writing the log bucket",
     add_statement(lambda t: role_statements(t, "LogsToFirehoseRole", "put-records"),
                   {"Effect": "Allow", "Action": "s3:PutObject",
                    "Resource": {"Fn::Sub": "${LogsBucket.Arn}/generations/*"}})),
    ("cloudfront-iam-scope", "invalidations on every distribution",
     set_(lambda t: purge_statement(t, "InvalidateDistribution"), "Resource", "*")),
    ("cloudfront-iam-scope", "purge may change the distribution",
     set_(lambda t: purge_statement(t, "InvalidateDistribution"), "Action",
          ["cloudfront:CreateInvalidation", "cloudfront:UpdateDistribution"])),
    ("cloudfront-iam-scope", "the viewer-request role may invalidate",
     add_statement(lambda t: role_statements(t, "ViewerRequestRole", "edge-logs"),
                   {"Effect": "Allow", "Action": "cloudfront:CreateInvalidation",
                    "Resource": "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"})),
    ("event-failure", "purge without an on-failure destination", drop(lambda t: res(t, PURGE), "EventInvokeConfig")),
    ("event-failure", "purge failures sent to a queue of another stack",
     set_(lambda t: res(t, PURGE)["EventInvokeConfig"]["DestinationConfig"]["OnFailure"], "Destination",
          "arn:aws:sqs:us-east-1:123456789012:elsewhere")),
    ("event-failure", "the purge role may not send to its failure queue",
     lambda t: res(t, "PurgeRole")["Policies"].remove(purge_role_policy(t, "failed-events"))),
    ("dependency-cycle", "purge function names the bucket",
     lambda t: res(t, PURGE)["Environment"]["Variables"].update(BUCKET={"Ref": "ImagesBucket"})),
    ("dependency-cycle", "purge role names the distribution", invalidation_in_the_purge_role),
]
CASES += SUPPORT_CASES


@pytest.mark.parametrize("rule, mutate", [(r, m) for r, _, m in CASES], ids=[f"{r}: {c}" for r, c, _ in CASES])
def test_broken_template_fires_its_rule(sam_template, rule, mutate):
    mutate(sam_template)
    findings = lint(sam_template)
    assert {f.id for f in findings} == {rule_ids()[rule]}, [str(f) for f in findings]


def test_every_rule_has_a_broken_template():
    assert {rule for rule, _, _ in CASES} == set(rule_ids())


def test_rules_are_custom_cfn_lint_rules_with_unique_ids():
    rules = list(project_rules().rules.values())
    assert len({r.id for r in rules}) == len(rules) == len(rule_ids())
    assert all(r.id.startswith("E9") and r.description and r.shortdesc for r in rules)


def test_findings_name_rule_resource_reason_and_modes(sam_template):
    set_(globals_, "Runtime", "python3.99")(sam_template)
    messages = sorted(str(f) for f in lint(sam_template))
    assert messages == [
        "[runtime] OriginResponseFunction: Runtime 'python3.99' is not one of python3.12, python3.13 [Mode=edge]",
        "[runtime] PurgeFunction: Runtime 'python3.99' is not one of python3.12, python3.13",
        "[runtime] ViewerRequestFunction: Runtime 'python3.99' is not one of python3.12, python3.13",
    ]


def test_a_function_nothing_invokes_is_checked_as_an_edge_function(sam_template):
    """Without its S3 event the purge function is of no known kind: reported, and held to the edge rules (and its
    role, no longer an event function's, may not invalidate)."""
    del sam_template["Resources"][PURGE]["Properties"]["Events"]
    fired = {f.rule for f in lint(sam_template)}
    assert fired == {"versioned-association", "no-environment", "role-trust", "cloudfront-iam-scope"}
