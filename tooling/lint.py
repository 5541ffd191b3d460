"""The project's cfn-lint rules run in-process, for tests and scripts: the same rules as
``cfn-lint template.yaml --append-rules tooling/cfn_rules``, without cfn-lint's built-in ones (which
``tests/deploy/test_template.py`` runs on their own), so checking a hundred broken templates stays fast.
"""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from imgedge.local.template import load_template, resolve_conditions

RULES_DIR = Path(__file__).resolve().parent / "cfn_rules"


@dataclass(frozen=True)
class Finding:
    id: str
    rule: str
    #: "<resource>: <why>", with " [Mode=...]" when only some modes have it.
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


@functools.cache
def project_rules() -> Any:
    from cfnlint.rules import RulesCollection

    rules = RulesCollection()
    rules.create_from_directory(str(RULES_DIR))
    return rules


def rule_ids() -> dict[str, str]:
    """{rule name (shortdesc): id} of every project rule."""
    return {rule.shortdesc: rule.id for rule in project_rules().rules.values()}


def lint(template: Mapping[str, Any] | str | Path, parameters: Mapping[str, Any] | None = None) -> list[Finding]:
    """The project rules' findings on a template (a file, or a SAM/CloudFormation dict), with ``parameters``
    fixed (their conditions resolved and values pinned) when given."""
    if isinstance(template, (str, Path)):
        if not parameters:
            return _lint_file(Path(template))
        template = load_template(template)
    if parameters:
        template = resolve_conditions(template, parameters)
    with tempfile.TemporaryDirectory(prefix="imgedge-lint-") as directory:
        path = Path(directory) / "template.json"
        path.write_text(json.dumps(template))
        return _lint_file(path)


def _lint_file(path: Path) -> list[Finding]:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner.template.runner import run_template_by_file_path

    matches = run_template_by_file_path(str(path), ConfigMixIn(regions=["us-east-1"]), project_rules(), False)
    return [Finding(m.rule.id, m.rule.shortdesc, m.message) for m in matches]


def fired(findings: Iterable[Finding]) -> set[str]:
    """The names of the rules that fired."""
    return {finding.rule for finding in findings}
