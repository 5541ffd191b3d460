"""Read template.yaml and run the SAM transform offline.

``load_template`` is the local edge's (``imgedge.local.template``): cfn-lint's own YAML loader, short tags
(``!Ref X``, ``!GetAtt A.B``) in the JSON form CloudFormation and samtranslator work on. ``translate`` runs
samtranslator's ``Translator`` with no AWS access: a fixed Region (us-east-1), an empty managed-policy map (the
template attaches no managed policy) and local ``CodeUri`` paths replaced by ``s3://`` placeholders, as
``sam validate`` does. ``resolve_conditions`` then picks one mode's template out of it, by the same code the
local edge and the cfn-lint rules use.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from imgedge.local import template as _shared
from imgedge.local.template import resolve_conditions  # noqa: F401  (re-exported: translate, then resolve a mode)

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


def load_template(path: str | os.PathLike[str] = TEMPLATE_PATH) -> dict[str, Any]:
    """The repository's template.yaml (or ``path``), read by the local edge's loader (cfn-lint's)."""
    return _shared.load_template(path)


def read_template(path: str | os.PathLike[str] = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml in the same JSON form as ``load_template``, read with PyYAML alone: what the packager
    needs (Runtime, Architectures) without cfn-lint and its dependencies in the build environment
    (requirements/build.txt). tests/deploy checks both readers agree on the whole template."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    def plain_string(loader: yaml.SafeLoader, node: yaml.Node) -> str:
        return loader.construct_scalar(node)  # dates and times stay strings, as CloudFormation reads them

    Loader.add_multi_constructor("!", short_tag)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", plain_string)
    with open(path, encoding="utf-8") as handle:
        template = yaml.load(handle, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(template, dict):
        raise ValueError(f"{path}: not a template")
    return template


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
