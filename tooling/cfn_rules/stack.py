"""Rules on the stack as a whole: where it deploys, and whether CloudFormation can order its resources."""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._values import as_list, refs_in  # noqa: E402


class Region(_base.ProjectRule):
    """Lambda@Edge functions must be created in us-east-1; the template must say so where it deploys."""

    id = "E9001"
    shortdesc = "region"
    description = "The template asserts (Rules) that it deploys in us-east-1, where Lambda@Edge functions must live"

    def findings(self, model):
        for rule in (model.template.get("Rules") or {}).values():
            if not isinstance(rule, dict) or rule.get("RuleCondition"):
                continue
            for assertion in rule.get("Assertions") or []:
                equals = (assertion or {}).get("Assert", {})
                if isinstance(equals, dict) and isinstance(equals.get("Fn::Equals"), list):
                    operands = equals["Fn::Equals"]
                    if {"Ref": "AWS::Region"} in operands and "us-east-1" in operands:
                        return
        yield "Rules", "no unconditional assertion that AWS::Region equals us-east-1"


class DependencyCycle(_base.ProjectRule):
    """cfn-lint's own cycle check (E3004) reads the SAM template, so it misses the cycle an S3 event closes
    when its function or the function's role names the bucket (SAM makes the bucket DependsOn the function's
    permission); this one reads the translation."""

    id = "E9002"
    shortdesc = "dependency-cycle"
    description = ("No resources depend on each other in a cycle (Ref, GetAtt, Sub, DependsOn) once SAM has "
                   "transformed the template")

    def findings(self, model):
        resources = model.resources
        graph = {name: sorted({r for r in refs_in({k: v for k, v in resource.items() if k != "DependsOn"})
                               if r in resources and r != name} | set(as_list(resource.get("DependsOn"))))
                 for name, resource in resources.items() if isinstance(resource, dict)}
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        path: list[str] = []
        found: set[tuple[str, ...]] = set()

        def visit(node: str) -> None:
            state[node] = 1
            path.append(node)
            for nxt in graph.get(node, []):
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt):]
                    start = cycle.index(min(cycle))
                    found.add(tuple(cycle[start:] + cycle[:start]))
                elif nxt in graph and nxt not in state:
                    visit(nxt)
            path.pop()
            state[node] = 2

        for node in sorted(graph):
            if node not in state:
                visit(node)
        for cycle in sorted(found):  # each cycle once, on its alphabetically first resource
            yield cycle[0], ("circular dependency: " + " -> ".join(cycle + cycle[:1]) +
                             " (CloudFormation refuses the template)")
