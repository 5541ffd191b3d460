"""template.yaml passes cfn-lint, translates with SAM offline, and passes the project's Lambda@Edge rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from imgedge.config import Config
from imgedge.edge.cloudfront import DEVICE_HEADERS, VIEWER_URL_HEADER
from tooling import VARIANTS_PREFIX
from tooling.bundle import BUNDLES, RUNTIME_GLIBC_MINOR
from tooling.lint import lint
from tooling.template import TEMPLATE_PATH, function_runtime, translate


def resources_of(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_cfn_lint_passes():
    matches = lint_file(Path(TEMPLATE_PATH), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("mode", ["edge", "regional"])
def test_cfn_lint_passes_on_the_sam_translation(sam_template, mode, tmp_path):
    """cfn-lint checks the SAM template without running the transform, so it cannot see what SAM adds: the S3
    event's permission, and the bucket's DependsOn on it that closes a cycle if the purge function or its role
    names the bucket or the distribution (the rules' dependency-cycle checks that too)."""
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(translate(sam_template, {"Mode": mode})))
    assert [str(m) for m in lint_file(path, config=ManualArgs(regions=["us-east-1"]))] == []


def test_sam_translates_to_versions_associated_with_the_distribution(translated):
    versions = resources_of(translated, "AWS::Lambda::Version")
    functions = {v["Properties"]["FunctionName"]["Ref"]: name for name, v in versions.items()}
    assert set(functions) == {"ViewerRequestFunction", "OriginResponseFunction"}
    behavior = translated["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    associations = {a["EventType"]: a["LambdaFunctionARN"] for a in behavior["LambdaFunctionAssociations"]}
    assert associations == {
        "viewer-request": {"Ref": functions["ViewerRequestFunction"]},
        "origin-response": {"Ref": functions["OriginResponseFunction"]},
    }


def test_rules_pass_on_the_template(translated):
    assert [str(v) for v in lint(translated)] == []


@pytest.mark.parametrize(
    "parameters",
    [
        {"Aliases": "img.example.com,cdn.example.com",
         "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"},
        {"EnableOriginShield": "false", "VariantExpiryDays": 30, "PriceClass": "PriceClass_All"},
        {"OriginResponseMemory": 3008},
        {"EnableLogPipeline": "true", "LogRetentionDays": 3653},
        {"PurgeInvalidation": "never"},
    ],
)
def test_rules_pass_with_other_parameters(sam_template, parameters):
    assert [str(v) for v in lint(translate(sam_template, parameters))] == []


def test_functions_have_no_environment_layers_and_edge_limits(translated):
    functions = resources_of(translated, "AWS::Lambda::Function")
    viewer = functions["ViewerRequestFunction"]["Properties"]
    origin = functions["OriginResponseFunction"]["Properties"]
    assert (viewer["MemorySize"], viewer["Timeout"]) == (128, 5)
    assert origin["MemorySize"] == {"Ref": "OriginResponseMemory"} and origin["Timeout"] == 30
    memory = translated["Parameters"]["OriginResponseMemory"]
    assert 1536 <= memory["Default"] <= 2048 and memory["MaxValue"] <= 3008
    for props in (viewer, origin):
        assert "Environment" not in props and "Layers" not in props
        assert props["Architectures"] == ["x86_64"] and props["Runtime"] in ("python3.12", "python3.13")


def test_code_uris_and_handlers_are_what_package_builds(sam_template):
    wanted = {"ViewerRequestFunction": "viewer-request", "OriginResponseFunction": "origin-response",
              "PurgeFunction": "purge"}
    for name, bundle_name in wanted.items():
        props = sam_template["Resources"][name]["Properties"]
        bundle = BUNDLES[bundle_name]
        assert props["CodeUri"] == "."
        module, _, function = props["Handler"].rpartition(".")
        assert module.replace(".", "/") + ".py" == bundle.handler and function == "handler"
        assert (TEMPLATE_PATH.parent / bundle.handler).exists()


def test_sam_build_runs_a_makefile_target_per_function(sam_template):
    """``sam build`` runs ``make build-<LogicalId>`` in CodeUri for a function with ``BuildMethod: makefile``:
    every function of the template has one, the Makefile has its target, and the target builds that bundle."""
    makefile = (TEMPLATE_PATH.parent / "Makefile").read_text()
    functions = [name for name, resource in sam_template["Resources"].items()
                 if resource["Type"] == "AWS::Serverless::Function"]
    assert sorted(functions) == sorted(b.function for b in BUNDLES.values())
    for name in functions:
        assert sam_template["Resources"][name]["Metadata"] == {"BuildMethod": "makefile"}
        assert sam_template["Resources"][name]["Properties"]["CodeUri"] == "."
        assert re.search(rf"^(build-\S+ )*build-{name}\b.*:", makefile, re.M), name
    assert "--function $(@:build-%=%) --artifacts-dir \"$(ARTIFACTS_DIR)\"" in makefile


def test_runtime_is_one_the_packager_builds_for(sam_template):
    assert function_runtime(sam_template) in RUNTIME_GLIBC_MINOR


def test_variants_prefix_agrees_with_config_and_template(sam_template):
    assert Config().variants_prefix == VARIANTS_PREFIX
    bucket = sam_template["Resources"]["ImagesBucket"]["Properties"]
    expiry = bucket["LifecycleConfiguration"]["Rules"][1]["Fn::If"][1]
    assert expiry["Prefix"] == f"{VARIANTS_PREFIX}/"
    policies = sam_template["Resources"]["OriginResponseRole"]["Properties"]["Policies"]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    puts = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in puts] == [{"Fn::Sub": "${ImagesBucket.Arn}/" + VARIANTS_PREFIX + "/*"}]


def test_origin_request_policy_forwards_what_origin_response_reads(translated):
    (policy,) = resources_of(translated, "AWS::CloudFront::OriginRequestPolicy").values()
    headers = policy["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert {h.lower() for h in headers["Headers"]} == set(DEVICE_HEADERS) | {"user-agent", VIEWER_URL_HEADER.lower()}


def test_the_dialect_paths_run_the_default_behaviours_functions_and_policies(translated):
    """Cloudflare's /cdn-cgi/image/… and Next.js' /_next/image go through the same functions and policies as
    every other URL (the viewer-request reads them into variant keys), in either mode."""
    config = translated["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behaviors = {b["PathPattern"]: {k: v for k, v in b.items() if k != "PathPattern"} for b in config["CacheBehaviors"]}
    assert behaviors == {"/cdn-cgi/image/*": config["DefaultCacheBehavior"],
                         "/_next/image*": config["DefaultCacheBehavior"]}


def test_distribution_settings(translated):
    config = translated["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert config["HttpVersion"] == "http2and3"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["Compress"] is False and behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    (origin,) = config["Origins"]
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert origin["OriginShield"]["Fn::If"][0] == "UseOriginShield"
    outputs = translated["Outputs"]
    assert {"DistributionDomainName", "DistributionId", "BucketName"} <= set(outputs)


def test_conditions_switch_off_origin_shield_and_variant_expiry(sam_template):
    conditions = sam_template["Conditions"]
    assert conditions["ExpireVariants"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "VariantExpiryDays"}, 0]}]}
    assert conditions["UseOriginShield"] == {"Fn::Equals": [{"Ref": "EnableOriginShield"}, "true"]}


def test_a_memory_change_publishes_a_new_version(sam_template):
    """SAM names versions by code only; the parameter in the version's Description forces a new one."""
    out = translate(sam_template, {"OriginResponseMemory": "2048"})
    (version,) = [r for r in resources_of(out, "AWS::Lambda::Version").values()
                  if r["Properties"]["FunctionName"] == {"Ref": "OriginResponseFunction"}]
    assert "${OriginResponseMemory}" in version["Properties"]["Description"]["Fn::Sub"]
    assert version["DeletionPolicy"] == version["UpdateReplacePolicy"] == "Retain"


def metadata_the_generator_writes(tmp_path) -> set[str]:
    """The user-metadata names a stored variant carries, found by generating one (S3 shows each as x-amz-meta-*)."""
    import io

    from PIL import Image

    from imgedge.generate import Variant, generate_variant
    from imgedge.store import DirectoryStore

    store = DirectoryStore(tmp_path)
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(image, "JPEG")
    store.put_original("photos/cat.jpg", image.getvalue())
    key = f"{VARIANTS_PREFIX}/photos/cat.jpg/w32-q80.webp"
    generate_variant(store, Variant.read(key, Config()), Config())
    return set(store.get(key).metadata)


@pytest.mark.parametrize("mode", ["edge", "regional"])
def test_viewers_get_nosniff_and_none_of_the_variants_s3_metadata(sam_template, mode, tmp_path):
    translated = translate(sam_template, {"Mode": mode})
    behavior = translated["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    name = behavior["ResponseHeadersPolicyId"]["Ref"]
    policy = translated["Resources"][name]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    assert config["SecurityHeadersConfig"]["ContentTypeOptions"] == {"Override": True}
    removed = {item["Header"].lower() for item in config["RemoveHeadersConfig"]["Items"]}
    written = metadata_the_generator_writes(tmp_path)
    assert written and {f"x-amz-meta-{name}" for name in written} <= removed


@pytest.mark.parametrize("mode", ["edge", "regional"])
def test_viewers_get_vary_on_what_negotiated_the_variant(sam_template, mode):
    """Vary: Accept and the client hints the viewer-request reads (the generators' own list), replacing any
    origin's; not User-Agent, which would split downstream caches per browser build."""
    from imgedge.answers import VARY
    from imgedge.request.negotiate import HINT_HEADERS

    translated = translate(sam_template, {"Mode": mode})
    behavior = translated["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    config = translated["Resources"][behavior["ResponseHeadersPolicyId"]["Ref"]]["Properties"][
        "ResponseHeadersPolicyConfig"]
    custom = {item["Header"]: item for item in config["CustomHeadersConfig"]["Items"]}
    assert custom["Vary"]["Value"] == VARY and custom["Vary"]["Override"] is True
    named = [name.strip() for name in VARY.split(",")]
    assert named == ["Accept", *HINT_HEADERS] and "User-Agent" not in named
