"""What every project rule shares: the deployments a template describes, and reporting on SAM's resources.

cfn-lint 1.x validates a SAM template without running the SAM transform (it only merges ``Globals``), so it
never sees the versions, permissions and S3 notifications SAM generates. The project's rules therefore run the
transform themselves (samtranslator, offline, Region us-east-1) and check its output, once per value of the
``Mode`` parameter with the conditions that depend on it resolved by ``imgedge.local.template`` (the code the
local edge resolves the distribution with). A finding on a resource SAM generated is reported on the SAM
resource it came from (``ViewerRequestFunctionVersion…`` on ``ViewerRequestFunction``), naming both.

Rule files import this module as ``tooling.cfn_rules._base`` (not its names: cfn-lint instantiates every rule
class a rule file holds, imported ones too).
"""

from __future__ import annotations

import copy
import json
import weakref
from pathlib import Path
from typing import Any, Iterator

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from imgedge.local.template import load_template, resolve_conditions
from tooling.cfn_rules._model import Model

#: The template parameter whose values select a deployment mode; the rules check each allowed value.
MODE_PARAMETER = "Mode"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

_MODELS: "weakref.WeakKeyDictionary[Any, list[tuple[str | None, Model]]]" = weakref.WeakKeyDictionary()


def deployments(template: dict[str, Any], filename: str | None = None) -> list[tuple[str | None, Model]]:
    """(Mode value or None, model) for each deployment ``template`` describes (SAM translated first).

    A SAM template is translated as written in ``filename`` when there is one: cfn-lint merges ``Globals`` into
    the resources its own way (it concatenates ``Architectures``, which SAM replaces), so its merged copy is
    used, without ``Globals``, only for a template that came from no file."""
    if SAM_TRANSFORM in _as_list(template.get("Transform")):
        from tooling.template import translate

        if filename and Path(filename).is_file():
            sam = load_template(filename)
        else:
            sam = json.loads(json.dumps(template))  # plain dicts, no cfn-lint node types
            sam.pop("Globals", None)
        template = translate(sam)
    allowed = ((template.get("Parameters") or {}).get(MODE_PARAMETER) or {}).get("AllowedValues")
    if not allowed:
        return [(None, Model(copy.deepcopy(template)))]
    return [(str(mode), Model(resolve_conditions(template, {MODE_PARAMETER: mode}))) for mode in allowed]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class ProjectRule(CloudFormationLintRule):
    """A project rule: ``findings(model)`` yields ``(resource, message)`` for one deployment."""

    tags = ["imgedge"]
    source_url = "docs/deploy.md#offline-checks"

    def findings(self, model: Model) -> Iterator[tuple[str, str]]:
        raise NotImplementedError

    def match(self, cfn: Any) -> list[RuleMatch]:
        if cfn not in _MODELS:
            _MODELS[cfn] = deployments(cfn.template, cfn.filename)
        models = _MODELS[cfn]
        found: dict[tuple[str, str], list[str | None]] = {}
        for mode, model in models:
            for resource, message in self.findings(model):
                found.setdefault((resource, message), []).append(mode)
        matches = []
        for (resource, message), modes in found.items():
            only = "" if len(modes) == len(models) or None in modes else f" [Mode={', '.join(map(str, modes))}]"
            matches.append(RuleMatch(self.path(cfn.template, resource), f"{resource}: {message}{only}"))
        return matches

    @staticmethod
    def path(template: dict[str, Any], resource: str) -> list[str]:
        """Where ``resource`` is in the linted template: itself, the SAM resource it was generated from (the
        longest logical id it starts with), or a top-level section (``Rules``)."""
        if resource in template:
            return [resource]
        names = [n for n in (template.get("Resources") or {}) if resource.startswith(n)]
        return ["Resources", max(names, key=len)] if names else ["Resources"]
