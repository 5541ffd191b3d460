"""IAM least privilege, judged by the kind of role a policy is attached to: who may assume each function's role,
what it may do to S3 (writes only under the variants prefix; the purge only lists and deletes variants; a log
delivery role only its own bucket) and to CloudFront (only the purge, only invalidations of this distribution).
"""

import re
import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling import VARIANTS_PREFIX  # noqa: E402
from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._values import as_list, items, ref, refs_in, render, statements  # noqa: E402

EDGE_PRINCIPALS = ("lambda.amazonaws.com", "edgelambda.amazonaws.com")
REGIONAL_PRINCIPALS = ("lambda.amazonaws.com",)
#: What a Firehose delivery role needs on its destination bucket; the writes among them are PutObject and
#: AbortMultipartUpload.
FIREHOSE_S3_ACTIONS = ("s3:abortmultipartupload", "s3:getbucketlocation", "s3:getobject", "s3:listbucket",
                       "s3:listbucketmultipartuploads", "s3:putobject")
EVENT_S3_ACTIONS = ("s3:listbucket", "s3:deleteobject")
INVALIDATION_ACTION = "cloudfront:createinvalidation"
_S3_WRITE_VERBS = ("put", "delete", "restore", "replicate", "abort", "create", "update", "bypass")
_VARIANTS = f"/{VARIANTS_PREFIX}/*"


def allow_statements(model):
    """(reported resource, statement, kinds of the roles it applies to) for every Allow statement."""
    for name, document, roles in model.policy_documents():
        kinds = set().union(*(model.role_kind(role) for role in roles)) if roles else {"other"}
        for statement in statements(document):
            yield name, statement, kinds


def writes(actions):
    return [a for a in actions if a.lower().split(":", 1)[-1].startswith(_S3_WRITE_VERBS)]


def under_variants(resource):
    head = resource[: -len(_VARIANTS)]
    return resource.endswith(_VARIANTS) and head and "*" not in head and "?" not in head


class RoleTrust(_base.ProjectRule):
    id = "E9401"
    shortdesc = "role-trust"
    description = ("Every function's role is in the template; edge functions' roles are trusted by "
                   "lambda.amazonaws.com and edgelambda.amazonaws.com, regional functions' (generator, event "
                   "functions) by lambda.amazonaws.com and nothing else")

    def findings(self, model):
        for function, props in model.of_type("AWS::Lambda::Function"):
            regional = model.kinds[function] in ("generator", "event")
            principals = REGIONAL_PRINCIPALS if regional else EDGE_PRINCIPALS
            role = ref(props.get("Role"))
            if model.type_of(role) != "AWS::IAM::Role":
                yield function, f"role {render(props.get('Role'))} is not a role of this template"
                continue
            missing = [p for p in principals if p not in model.trusted_by(role, assume_only=True)]
            if missing:
                yield role, f"trust policy lacks {', '.join(missing)} (used by {function})"
            extra = sorted(model.trusted_by(role) - set(principals))
            if regional and extra:
                yield role, (f"trust policy also trusts {', '.join(extra)}: {function} is a regional function, its "
                             f"role is for {', '.join(principals)} alone")


class S3IamScope(_base.ProjectRule):
    id = "E9402"
    shortdesc = "s3-iam-scope"
    description = ("IAM grants no s3:* (or other S3 wildcard), no S3 action on Resource *, no NotAction, no managed "
                   f"S3 policy, and S3 writes only under arn:...:bucket{_VARIANTS}; an event function's role only "
                   f"s3:ListBucket limited (s3:prefix) to {VARIANTS_PREFIX}/ and s3:DeleteObject under it; a role "
                   "trusted only by firehose.amazonaws.com only the S3 actions Firehose delivery uses, on a bucket "
                   "of the template that no CloudFront origin reads, writing only under fixed prefixes")

    def findings(self, model):
        served = model.cloudfront_buckets()
        for name, statement, kinds in allow_statements(model):
            if statement.get("_managed"):
                yield name, f"managed policy {statement['_managed']} cannot be scoped to the bucket"
                continue
            if "NotAction" in statement or "NotResource" in statement:
                yield name, "Allow with NotAction/NotResource grants too much"
                continue
            s3_actions = [str(a) for a in as_list(statement.get("Action"))
                          if a == "*" or str(a).lower().startswith("s3:")]
            if not s3_actions:
                continue
            for action in s3_actions:
                if "*" in action or "?" in action:
                    yield name, f"wildcard action {action}"
            values = items(statement.get("Resource"))
            resources = [render(r) for r in values]
            if "*" in resources or not resources:
                yield name, f"{', '.join(s3_actions)} on Resource *"
                continue
            for resource in resources:
                bucket = resource.split("/", 1)[0]
                if "*" in bucket or "?" in bucket:
                    yield name, f"{', '.join(s3_actions)} on {resource}: any bucket"
            if kinds & {"edge", "generator", "other"}:
                for resource in resources if writes(s3_actions) else []:
                    if not under_variants(resource):
                        yield name, (f"{', '.join(writes(s3_actions))} on {resource}: writes must be limited to "
                                     f"<bucket ARN>{_VARIANTS}")
            if "event" in kinds:
                yield from self.event_scope(name, statement, s3_actions, resources)
            if "firehose" in kinds:
                yield from self.firehose_scope(model, name, s3_actions, values, served)

    @staticmethod
    def event_scope(name, statement, s3_actions, resources):
        """An event function's role: s3:ListBucket limited to the variants prefix, s3:DeleteObject under it."""
        for action in s3_actions:
            if action.lower() not in EVENT_S3_ACTIONS and "*" not in action and "?" not in action:
                yield name, (f"{action}: an event function's role may only list (s3:ListBucket) and delete "
                             f"(s3:DeleteObject) variants under {VARIANTS_PREFIX}/")
        lowered = {a.lower() for a in s3_actions}
        if "s3:deleteobject" in lowered:
            for resource in resources:
                if "/" in resource and not under_variants(resource):
                    yield name, (f"s3:DeleteObject on {resource}: an event function may delete only under "
                                 f"<bucket ARN>{_VARIANTS}, never an original")
        if "s3:listbucket" in lowered:
            condition = statement.get("Condition") or {}
            prefixes = [str(p) for op in ("StringLike", "StringEquals")
                        for p in as_list((condition.get(op) or {}).get("s3:prefix"))]
            if not prefixes or any(not p.startswith(f"{VARIANTS_PREFIX}/") for p in prefixes):
                yield name, (f"s3:ListBucket not limited by a Condition on s3:prefix to {VARIANTS_PREFIX}/ "
                             "(StringLike or StringEquals): the event function could list the originals")

    @staticmethod
    def firehose_scope(model, name, s3_actions, values, served):
        """A role only Firehose assumes: its delivery actions, on a bucket no CloudFront origin reads, writing
        under fixed prefixes."""
        for action in s3_actions:
            if action.lower() not in FIREHOSE_S3_ACTIONS and "*" not in action and "?" not in action:
                yield name, (f"{action}: Firehose delivery needs only s3:AbortMultipartUpload, GetBucketLocation, "
                             "GetObject, ListBucket, ListBucketMultipartUploads and PutObject")
        for value in values:
            resource = render(value)
            buckets = {r for r in refs_in(value) if model.type_of(r) == "AWS::S3::Bucket"}
            if buckets & served:
                yield name, (f"{', '.join(s3_actions)} on {resource}: {', '.join(sorted(buckets & served))} is read "
                             "by CloudFront; a log delivery role may only use a bucket no CloudFront origin reads")
                continue
            if len(buckets) != 1:
                yield name, (f"{', '.join(s3_actions)} on {resource}: not one bucket of this template (a log bucket "
                             "no CloudFront origin reads)")
                continue
            if writes(s3_actions):
                _, _, rest = resource.partition("/")
                prefix = rest[:-2] if rest.endswith("/*") else ""
                if not prefix or "*" in prefix or "?" in prefix:
                    yield name, (f"{', '.join(writes(s3_actions))} on {resource}: log writes must be limited to a "
                                 "fixed prefix, <bucket ARN>/<prefix>/*")


class CloudFrontIamScope(_base.ProjectRule):
    id = "E9403"
    shortdesc = "cloudfront-iam-scope"
    description = ("Only event functions' roles act on CloudFront, only with cloudfront:CreateInvalidation and only "
                   "on a distribution of this template")

    def findings(self, model):
        distributions = model.distributions()
        for name, statement, kinds in allow_statements(model):
            if statement.get("_managed") or "NotAction" in statement or "NotResource" in statement:
                continue  # reported by s3-iam-scope
            actions = [str(a) for a in as_list(statement.get("Action"))]
            granted = [a for a in actions if a == "*" or a.lower().startswith("cloudfront:")]
            if not granted:
                continue
            for action in granted:
                if action.lower() != INVALIDATION_ACTION:
                    yield name, f"{action}: the only CloudFront action a role may have is cloudfront:CreateInvalidation"
            if kinds != {"event"}:
                yield name, (f"{', '.join(granted)} for a role that is not (only) an event function's "
                             f"({', '.join(sorted(kinds))})")
            for resource in [render(r) for r in items(statement.get("Resource"))] or ["*"]:
                match = re.search(r":distribution/\$\{([^}.]+)\}$", resource)
                if not match or match.group(1) not in distributions:
                    yield name, f"{', '.join(granted)} on {resource}: not a distribution of this template"
