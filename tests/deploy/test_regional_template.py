"""template.yaml with Mode=regional: the generator behind a Function URL, OAC of type lambda, both invoke
permissions scoped to the distribution, an origin group; and Mode=edge unchanged. Offline: SAM's translator
with each Mode value, the conditions resolved, the project's rules (cfn-lint runs in test_template.py)."""

from __future__ import annotations

import pytest

from imgedge.local.template import resolve_conditions
from tooling.bundle import BUNDLES
from tooling.lint import fired, lint
from tooling.template import TEMPLATE_PATH, function_architecture, function_runtime, translate


def resources_of(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def distribution(template: dict) -> dict:
    return template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


def test_mode_parameter_defaults_to_edge(sam_template):
    mode = sam_template["Parameters"]["Mode"]
    assert mode["Default"] == "edge" and mode["AllowedValues"] == ["edge", "regional"]
    memory = sam_template["Parameters"]["GeneratorMemory"]
    assert 1769 <= memory["Default"] <= 3008 and memory["MaxValue"] <= 10240


def test_rules_pass_in_both_modes(sam_template):
    for mode in ("edge", "regional"):
        assert [str(v) for v in lint(translate(sam_template, {"Mode": mode}), {"Mode": mode})] == []
    assert lint(translate(sam_template)) == []  # every mode at once


@pytest.mark.parametrize("parameters", [
    {"EnableOriginShield": "false", "GeneratorMemory": 10240},
    {"EnableLogPipeline": "true", "PurgeInvalidation": "if-deleted"},
    {"Aliases": "img.example.com",
     "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"},
])
def test_rules_pass_in_regional_mode_with_other_parameters(sam_template, parameters):
    parameters = {"Mode": "regional", **parameters}
    assert [str(v) for v in lint(translate(sam_template, parameters), parameters)] == []


def test_edge_mode_has_no_regional_resource(translated):
    assert not [name for name in translated["Resources"] if name.startswith("Generator")]
    assert "OriginGroups" not in distribution(translated)
    assert distribution(translated)["DefaultCacheBehavior"]["TargetOriginId"] == "images"


def test_regional_mode_drops_the_origin_response_function(translated_regional):
    resources = translated_regional["Resources"]
    assert not [name for name in resources if name.startswith("OriginResponse")]
    assert "OriginResponseVersion" not in translated_regional["Outputs"]
    behavior = distribution(translated_regional)["DefaultCacheBehavior"]
    (association,) = behavior["LambdaFunctionAssociations"]
    assert association["EventType"] == "viewer-request"


def test_viewer_request_is_the_same_in_both_modes(translated, translated_regional):
    """Same function, same version, same cache policy: cache keys and variant keys do not change on a switch."""
    for name in ("ViewerRequestFunction", "ViewerRequestRole", "VariantCachePolicy", "DeviceOriginRequestPolicy",
                 "ImagesBucket", "ImagesBucketPolicy", "OriginAccessControl"):
        assert translated["Resources"][name] == translated_regional["Resources"][name], name
    edge, regional = (distribution(t)["DefaultCacheBehavior"] for t in (translated, translated_regional))
    assert edge["LambdaFunctionAssociations"][0] == regional["LambdaFunctionAssociations"][0]
    for key in ("CachePolicyId", "OriginRequestPolicyId", "ViewerProtocolPolicy", "Compress", "AllowedMethods"):
        assert edge[key] == regional[key], key


def test_generator_function_and_its_url(translated_regional):
    resources = translated_regional["Resources"]
    function = resources["GeneratorFunction"]["Properties"]
    assert function["Environment"] == {"Variables": {"IMGEDGE_BUCKET": {"Ref": "ImagesBucket"}}}
    assert function["MemorySize"] == {"Ref": "GeneratorMemory"} and function["Timeout"] == 30
    assert function["Handler"] == "handlers.regional.handler"
    (url,) = resources_of(translated_regional, "AWS::Lambda::Url").values()
    alias = url["Properties"]["TargetFunctionArn"]["Ref"]
    assert resources[alias]["Type"] == "AWS::Lambda::Alias"
    assert url["Properties"]["AuthType"] == "AWS_IAM" and url["Properties"]["InvokeMode"] == "BUFFERED"
    version = resources[resources[alias]["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]]
    assert "${GeneratorMemory}" in version["Properties"]["Description"]["Fn::Sub"]


def test_generator_origin_and_origin_group(translated_regional):
    config = distribution(translated_regional)
    images, generator = config["Origins"]
    assert images["Id"] == "images" and "S3OriginConfig" in images
    assert generator["Id"] == "generator"
    assert generator["DomainName"] == {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["GeneratorFunctionUrl",
                                                                                             "FunctionUrl"]}]}]}
    assert generator["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    oac = translated_regional["Resources"][generator["OriginAccessControlId"]["Fn::GetAtt"][0]]
    assert oac["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "lambda"
    (group,) = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["images", "generator"]
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [403, 404]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == group["Id"]
    assert config["DefaultCacheBehavior"]["AllowedMethods"] == ["GET", "HEAD"]  # no body ever reaches the URL


def test_both_invoke_actions_granted_to_this_distribution_only(translated_regional):
    permissions = {name: p for name, p in resources_of(translated_regional, "AWS::Lambda::Permission").items()
                   if not name.startswith("Purge")}  # S3 invokes the purge function (tests/purge)
    assert sorted(p["Properties"]["Action"] for p in permissions.values()) == [
        "lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
    for permission in permissions.values():
        props = permission["Properties"]
        assert props["Principal"] == "cloudfront.amazonaws.com"
        assert props["SourceArn"] == {
            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}
        assert props["FunctionName"] == {"Ref": "GeneratorFunctionAliaslive"}
    by_action = {p["Properties"]["Action"]: p["Properties"] for p in permissions.values()}
    assert by_action["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "AWS_IAM"
    assert by_action["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True


def test_generator_role_is_regional_and_least_privilege(translated_regional):
    role = translated_regional["Resources"]["GeneratorRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    puts = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in puts] == [{"Fn::Sub": "${ImagesBucket.Arn}/_variants/*"}]


def test_code_uri_handler_runtime_and_architecture_are_what_package_builds(sam_template):
    props = sam_template["Resources"]["GeneratorFunction"]["Properties"]
    bundle = BUNDLES["regional"]
    assert bundle.function == "GeneratorFunction"
    assert props["CodeUri"] == "."  # sam build: Makefile build-<LogicalId> (tests/deploy/test_template.py)
    module, _, function = props["Handler"].rpartition(".")
    assert module.replace(".", "/") + ".py" == bundle.handler and function == "handler"
    assert (TEMPLATE_PATH.parent / bundle.handler).exists()
    assert props["Runtime"] == function_runtime(sam_template)  # its own literal, equal to the edge functions'
    assert function_architecture(sam_template, "GeneratorFunction") in ("x86_64", "arm64")
    for name, spec in BUNDLES.items():
        assert spec.function in sam_template["Resources"], name


def test_a_public_function_url_fires_auth_and_scope(sam_template):
    sam_template["Resources"]["GeneratorFunction"]["Properties"]["FunctionUrlConfig"]["AuthType"] = "NONE"
    findings = lint(translate(sam_template, {"Mode": "regional"}))
    assert fired(findings) == {"function-url-auth", "invoke-scope"}  # SAM adds Principal "*" permissions
    assert all(f.message.endswith(" [Mode=regional]") for f in findings), findings


def test_violations_say_in_which_modes_they_occur(sam_template):
    sam_template["Resources"]["GeneratorFunction"]["Properties"]["Timeout"] = 60
    sam_template["Resources"]["ViewerRequestFunction"]["Properties"]["Timeout"] = 10
    by_rule = {f.rule: f.message for f in lint(translate(sam_template))}
    assert set(by_rule) == {"regional-limits", "viewer-limits"}
    assert by_rule["regional-limits"].endswith(" [Mode=regional]")
    assert "[Mode=" not in by_rule["viewer-limits"]  # in every mode


# -- the conditions resolver -------------------------------------------------------------------------------


TEMPLATE = {
    "Parameters": {"Mode": {"Type": "String", "Default": "a", "AllowedValues": ["a", "b"]},
                   "Other": {"Type": "String", "Default": ""}},
    "Conditions": {
        "IsA": {"Fn::Equals": [{"Ref": "Mode"}, "a"]},
        "IsB": {"Fn::Not": [{"Condition": "IsA"}]},
        "HasOther": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Other"}, ""]}]},
        "BAndOther": {"Fn::And": [{"Condition": "IsB"}, {"Condition": "HasOther"}]},
        "AOrOther": {"Fn::Or": [{"Condition": "IsA"}, {"Condition": "HasOther"}]},
        "InRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
    },
    "Resources": {
        "OnlyA": {"Type": "T", "Condition": "IsA", "Properties": {}},
        "OnlyB": {"Type": "T", "Condition": "IsB", "Properties": {}},
        "Mixed": {"Type": "T", "Condition": "BAndOther", "Properties": {
            "List": [1, {"Fn::If": ["IsA", 2, {"Ref": "AWS::NoValue"}]}, {"Fn::If": ["HasOther", 3, 4]}],
            "Key": {"Fn::If": ["IsB", {"Ref": "AWS::NoValue"}, "kept"]},
            "Either": {"Fn::If": ["AOrOther", "x", "y"]},
            "Region": {"Fn::If": ["InRegion", "here", "elsewhere"]},
        }},
    },
    "Outputs": {"OutA": {"Condition": "IsA", "Value": 1}},
}


def test_resolve_conditions_for_mode_a():
    out = resolve_conditions(TEMPLATE, {"Mode": "a"})
    assert set(out["Resources"]) == {"OnlyA"}  # BAndOther is False once IsB is, whatever Other is
    assert "Condition" not in out["Resources"]["OnlyA"] and out["Outputs"] == {"OutA": {"Value": 1}}


def test_resolve_conditions_keeps_what_the_fixed_parameters_do_not_decide():
    out = resolve_conditions(TEMPLATE, {"Mode": "b"})
    assert set(out["Resources"]) == {"OnlyB", "Mixed"} and "OutA" not in out["Outputs"]
    mixed = out["Resources"]["Mixed"]
    assert mixed["Condition"] == "BAndOther"  # depends on Other too: still unknown
    props = mixed["Properties"]
    assert props["List"] == [1, {"Fn::If": ["HasOther", 3, 4]}]
    assert "Key" not in props
    assert props["Either"] == {"Fn::If": ["AOrOther", "x", "y"]}
    assert props["Region"] == {"Fn::If": ["InRegion", "here", "elsewhere"]}
    assert out["Parameters"]["Mode"] == {"Type": "String", "Default": "b", "AllowedValues": ["b"]}
    assert resolve_conditions(out, {"Mode": "b"}) == out  # idempotent
    both = resolve_conditions(TEMPLATE, {"Mode": "b", "Other": "x"})
    assert "Condition" not in both["Resources"]["Mixed"]
    assert both["Resources"]["Mixed"]["Properties"]["List"] == [1, 3]
    assert both["Resources"]["Mixed"]["Properties"]["Either"] == "x"
    assert TEMPLATE["Resources"]["OnlyA"]["Condition"] == "IsA"  # the input is not modified
