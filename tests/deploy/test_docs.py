"""docs/deploy.md and the README checked against what they describe: the `sam deploy --guided` prompt table
lists every template parameter, in the template's order (the order SAM asks them in), and nothing else; the
README sends users to the config file they edit, not the generated one."""

from __future__ import annotations

import re
from pathlib import Path

from tooling.template import TEMPLATE_PATH, read_template

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_guided_prompt_table_lists_every_template_parameter_in_order():
    text = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\s*\| Parameter (\w+) \|", text, re.M)
    assert documented == list(read_template(TEMPLATE_PATH)["Parameters"])


def test_the_readme_points_at_the_config_users_edit():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/config.json" in readme
    for line in readme.splitlines():
        if "imgedge/config.json" in line:
            assert "generated" in line, line
