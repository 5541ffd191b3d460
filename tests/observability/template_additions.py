"""Issue 8's additions to template.yaml (purge function, optional log pipeline), kept here until the deploy
rules know plain regional functions; then ``python -m tests.observability.template_additions --apply`` puts
them into template.yaml with three targeted insertions and this module's ``template()`` reads the merged file.

Why not in template.yaml yet: ``imgedge.deploy.rules`` checks every ``AWS::Lambda::Function`` as a Lambda@Edge
function unless a Function URL targets it, and allows S3 writes only under ``_variants/``; the purge function
(S3-notification triggered, environment variables, trusted by lambda.amazonaws.com only) and the Firehose
role (writes the log bucket) would fire ``versioned-association``, ``no-environment``, ``role-trust`` and
``s3-iam-scope`` in every tests/deploy case. ``KNOWN_RULE_GAPS`` lists exactly those; the tests check that
nothing else fires.
"""

from __future__ import annotations

import sys
from pathlib import Path

from imgedge.deploy.template import TEMPLATE_PATH, loads_template

ADDITIONS = Path(__file__).with_name("template_additions.yaml")
#: (rule, resource) the current deploy rules report for the additions, and nothing else.
KNOWN_RULE_GAPS = {
    ("versioned-association", "PurgeFunction"),
    ("no-environment", "PurgeFunction"),
    ("role-trust", "PurgeRole"),
    ("s3-iam-scope", "FirehoseToS3Role"),
}
CONDITIONS_ANCHOR = "  RegionalMode: !Equals [!Ref Mode, regional]\n"


def parts() -> tuple[str, str, str]:
    text = ADDITIONS.read_text()
    _, rest = text.split("# --- Parameters ---\n", 1)
    parameters, rest = rest.split("# --- Conditions ---\n", 1)
    conditions, resources = rest.split("# --- Resources ---\n", 1)
    return parameters, conditions, resources


def merged(source: str) -> str:
    """``source`` (template.yaml's text) with the additions inserted; unchanged if they are already there."""
    if "\n  PurgeFunction:\n" in source:
        return source
    parameters, conditions, resources = parts()
    for anchor in ("\n\nConditions:\n", CONDITIONS_ANCHOR, "\nOutputs:\n"):
        if source.count(anchor) != 1:
            raise ValueError(f"template.yaml has {source.count(anchor)} of {anchor!r}: insert the additions by hand")
    out = source.replace("\n\nConditions:\n", "\n" + parameters + "\nConditions:\n", 1)
    out = out.replace(CONDITIONS_ANCHOR, CONDITIONS_ANCHOR + conditions, 1)
    return out.replace("\nOutputs:\n", "\n" + resources + "Outputs:\n", 1)


def merged_text() -> str:
    return merged(TEMPLATE_PATH.read_text())


def template() -> dict:
    """template.yaml as it is once the additions are in (parsed)."""
    return loads_template(merged_text())


def main(argv: list[str]) -> int:
    if argv != ["--apply"]:
        print(__doc__)
        return 2
    source = TEMPLATE_PATH.read_text()
    result = merged(source)
    if result == source:
        print("template.yaml already has the additions")
        return 0
    TEMPLATE_PATH.write_text(result)
    print(f"inserted the additions into {TEMPLATE_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
