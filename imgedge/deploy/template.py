"""Read template.yaml (CloudFormation short tags included) and run the SAM transform offline.

``load_template`` turns ``!Ref X`` into ``{"Ref": "X"}``, ``!GetAtt A.B`` into ``{"Fn::GetAtt": ["A", "B"]}``
and so on, the JSON form CloudFormation and samtranslator work on. ``translate`` runs samtranslator's
``Translator`` with no AWS access: a fixed Region (us-east-1), an empty managed-policy map (the template
attaches no managed policy) and local ``CodeUri`` paths replaced by ``s3://`` placeholders, as
``sam validate`` does. ``resolve_conditions`` (from ``conditions``) then picks one mode's template out of it.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from .conditions import resolve_conditions  # noqa: F401  (re-exported: translate, then resolve a mode)

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

_SCALAR_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "Sub": "Fn::Sub",
    "GetAtt": "Fn::GetAtt",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
}
_SEQUENCE_TAGS = {
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Join": "Fn::Join",
    "Split": "Fn::Split",
    "Select": "Fn::Select",
    "FindInMap": "Fn::FindInMap",
    "Sub": "Fn::Sub",
    "Cidr": "Fn::Cidr",
    "GetAtt": "Fn::GetAtt",
    "Contains": "Fn::Contains",
    "EachMemberEquals": "Fn::EachMemberEquals",
    "EachMemberIn": "Fn::EachMemberIn",
    "ValueOf": "Fn::ValueOf",
    "RefAll": "Fn::RefAll",
    "ValueOfAll": "Fn::ValueOfAll",
}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form intrinsic tags."""


def _construct(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        name = _SCALAR_TAGS.get(tag_suffix) or _SEQUENCE_TAGS.get(tag_suffix)
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        name = _SEQUENCE_TAGS.get(tag_suffix)
        value = loader.construct_sequence(node, deep=True)
    else:
        name = _SCALAR_TAGS.get(tag_suffix) or _SEQUENCE_TAGS.get(tag_suffix)
        value = loader.construct_mapping(node, deep=True)
    if name is None:
        raise yaml.constructor.ConstructorError(None, None, f"unknown tag !{tag_suffix}", node.start_mark)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct)
# CloudFormation keeps "2010-09-09" and friends as strings; YAML 1.1 would make dates of them.
_CfnLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _CfnLoader.yaml_implicit_resolvers.items()
}


def load_template(path: str | os.PathLike[str] = TEMPLATE_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def loads_template(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506


def function_runtime(template: dict[str, Any]) -> str:
    """The Python runtime every function uses (Globals, or each function's own, which must agree)."""
    runtimes = set()
    default = template.get("Globals", {}).get("Function", {}).get("Runtime")
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            runtimes.add(resource.get("Properties", {}).get("Runtime", default))
    if len(runtimes) != 1 or not isinstance(next(iter(runtimes)), str):
        raise ValueError(f"functions must share one literal Runtime, found {sorted(map(str, runtimes))}")
    return runtimes.pop()


def function_architecture(template: dict[str, Any], logical_id: str) -> str:
    """The one Lambda architecture of function ``logical_id`` (its own ``Architectures``, else Globals', else
    x86_64). A literal is required: the zip's wheels are built for it."""
    default = template.get("Globals", {}).get("Function", {}).get("Architectures", ["x86_64"])
    resource = template.get("Resources", {}).get(logical_id)
    if not isinstance(resource, dict):
        raise ValueError(f"no function {logical_id} in the template")
    architectures = resource.get("Properties", {}).get("Architectures", default)
    if not (isinstance(architectures, list) and len(architectures) == 1 and isinstance(architectures[0], str)):
        raise ValueError(f"{logical_id}: Architectures must be one literal value, found {architectures!r}")
    return architectures[0]


def translate(sam_template: dict[str, Any], parameter_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy, computed offline for Region us-east-1."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    import boto3
    from samtranslator.metrics.metrics import Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    ArnGenerator.BOTO_SESSION_REGION_NAME = REGION
    template = copy.deepcopy(sam_template)
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            if not props["CodeUri"].startswith("s3://"):
                props["CodeUri"] = f"s3://placeholder-bucket/{name}.zip"
    metrics = Metrics()  # publishes nowhere (dummy publisher); published below so it does not warn at exit
    translator = Translator(
        managed_policy_map={},
        sam_parser=Parser(),
        boto_session=boto3.session.Session(region_name=REGION),
        metrics=metrics,
    )
    try:
        return translator.translate(sam_template=template, parameter_values=dict(parameter_values or {}))
    finally:
        metrics.publish()
