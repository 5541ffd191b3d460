"""The command line CI runs and the docs give: plain ``cfn-lint template.yaml --append-rules tooling/cfn_rules``
passes on template.yaml and refuses, by the project rules' ids, a Lambda@Edge function with environment
variables, an unversioned association, a wrong runtime or architecture, and a PutObject on the whole bucket.

The broken templates are template.yaml edited as text, short tags and all, as a user would break it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tooling.lint import RULES_DIR, rule_ids

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (REPO_ROOT / "template.yaml").read_text()

#: (file name, rule expected, (text in template.yaml, its replacement)); each text occurs once.
BROKEN = [
    ("environment.yaml", "no-environment",
     ("      Handler: handlers.viewer_request.handler\n",
      "      Handler: handlers.viewer_request.handler\n"
      "      Environment:\n        Variables:\n          BUCKET: images\n")),
    ("unversioned.yaml", "versioned-association",
     ("            - EventType: viewer-request\n              LambdaFunctionARN: !Ref ViewerRequestFunction.Version",
      "            - EventType: viewer-request\n              LambdaFunctionARN: !GetAtt ViewerRequestFunction.Arn")),
    ("runtime.yaml", "runtime", ("  Function:\n    Runtime: python3.12\n", "  Function:\n    Runtime: python3.11\n")),
    ("architecture.yaml", "architecture",
     ("    Runtime: python3.12\n    Architectures: [x86_64]\n\nResources:",
      "    Runtime: python3.12\n    Architectures: [arm64]\n\nResources:")),
    ("put-anywhere.yaml", "s3-iam-scope",
     ('''                Resource: !Sub "${ImagesBucket.Arn}/_variants/*"

  # Retain, for both functions''', '''                Resource: !Sub "${ImagesBucket.Arn}/*"

  # Retain, for both functions''')),
]


def cfn_lint(*args: str) -> subprocess.CompletedProcess:
    executable = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}  # this checkout's imgedge, whatever the venv points at
    return subprocess.run([executable, *args, "--append-rules", str(RULES_DIR.relative_to(REPO_ROOT)),
                           "--format", "parseable"], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                          timeout=300)


def test_the_template_passes_cfn_lint_with_the_project_rules():
    done = cfn_lint("template.yaml")
    assert (done.returncode, done.stdout) == (0, ""), done.stderr


def test_cfn_lint_refuses_what_lambda_at_edge_refuses(tmp_path):
    for name, _, (text, replacement) in BROKEN:
        assert TEMPLATE.count(text) == 1, name
        (tmp_path / name).write_text(TEMPLATE.replace(text, replacement))
    done = cfn_lint(*(str(tmp_path / name) for name, _, _ in BROKEN))
    assert done.returncode != 0, done.stderr
    fired: dict[str, set[str]] = {}
    for line in done.stdout.splitlines():  # parseable: file:line:column:line:column:rule:message
        match = re.match(r"^(.*?):\d+:\d+:\d+:\d+:(\w+):", line)
        if match and match.group(2).startswith("E9"):
            fired.setdefault(Path(match.group(1)).name, set()).add(match.group(2))
    expected = {name: {rule_ids()[rule]} for name, rule, _ in BROKEN}
    assert fired == expected, done.stdout

