"""How CloudFront reaches its origins: S3 through Origin Access Control, the regional generator's Function URL
signed by a ``lambda`` OAC over HTTPS, and only as the failover member of an origin group behind S3."""

import re
import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._values import branches, items, ref, refs_in, render  # noqa: E402

FAILOVER_STATUSES = (403, 404)


class OriginAccess(_base.ProjectRule):
    id = "E9601"
    shortdesc = "origin-access"
    description = ("S3 origins use Origin Access Control (s3, sigv4, always), never a legacy OAI, and S3 is not "
                   "reached as a custom (website) origin")

    def findings(self, model):
        for name, _ in model.of_type("AWS::CloudFront::CloudFrontOriginAccessIdentity"):
            yield name, "legacy Origin Access Identity; use an OriginAccessControl"
        yield from oac_settings(model, lambda_only=False)
        for name, origin, kind in model.origins():
            origin_id = origin.get("Id", "?")
            if kind == "s3":
                if (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity"):
                    yield name, f"origin {origin_id} uses an Origin Access Identity"
                if model.type_of(ref(origin.get("OriginAccessControlId"))) != "AWS::CloudFront::OriginAccessControl":
                    yield name, f"origin {origin_id} has no OriginAccessControl of this template"
            elif kind == "custom" and re.search(r"\.s3[.-]|s3-website", render(origin.get("DomainName"))):
                yield name, (f"origin {origin_id} reaches S3 as a custom origin (public website endpoint) "
                             "instead of with OAC")


def oac_settings(model, lambda_only):
    """An OAC only Function URL origins use must be of type lambda; one S3 origins use, of type s3; an unused one
    is checked as what it says it is. Yields the findings for OACs of the one kind or the other."""
    users: dict[str, set[str]] = {}
    for _, origin, kind in model.origins():
        for oac in refs_in(origin.get("OriginAccessControlId")):
            users.setdefault(oac, set()).add(kind)
    for name, props in model.of_type("AWS::CloudFront::OriginAccessControl"):
        config = props.get("OriginAccessControlConfig") or {}
        kinds = users.get(name) or ({"function-url"} if config.get("OriginAccessControlOriginType") == "lambda"
                                    else {"s3"})
        if (kinds == {"function-url"}) != lambda_only:
            continue
        expected = {"OriginAccessControlOriginType": "lambda" if lambda_only else "s3", "SigningBehavior": "always",
                    "SigningProtocol": "sigv4"}
        for key, value in expected.items():
            if config.get(key) != value:
                yield name, f"{key} is {config.get(key)!r}, expected {value!r}"


class LambdaOriginAccess(_base.ProjectRule):
    id = "E9602"
    shortdesc = "lambda-origin-access"
    description = ("An origin that reaches a Function URL is HTTPS-only and signed by an OriginAccessControl of this "
                   "template with origin type lambda (sigv4, always); no Function URL of another stack (its "
                   "permissions cannot be checked)")

    def findings(self, model):
        yield from oac_settings(model, lambda_only=True)
        for dist, origin, kind in model.origins():
            if kind != "function-url":
                continue
            origin_id = origin.get("Id", "?")
            if not any(model.type_of(r) == "AWS::Lambda::Url" for r in refs_in(origin.get("DomainName"))):
                yield dist, (f"origin {origin_id} is a Function URL of no AWS::Lambda::Url of this template "
                             f"({render(origin.get('DomainName'))})")
            oac = ref(origin.get("OriginAccessControlId"))
            if model.type_of(oac) != "AWS::CloudFront::OriginAccessControl":
                yield dist, (f"origin {origin_id} (a Function URL) is not signed by an OriginAccessControl of this "
                             "template: CloudFront could not call an AWS_IAM URL")
            else:
                oac_config = model.props(oac).get("OriginAccessControlConfig") or {}
                oac_type = oac_config.get("OriginAccessControlOriginType")
                if oac_type != "lambda":
                    yield dist, (f"origin {origin_id} (a Function URL) is signed by {oac}, of origin type "
                                 f"{oac_type!r}: expected 'lambda'")
            policy = (origin.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy")
            if policy != "https-only":
                yield dist, (f"origin {origin_id} (a Function URL) has OriginProtocolPolicy {policy!r}, "
                             "expected 'https-only'")


class OriginGroup(_base.ProjectRule):
    id = "E9603"
    shortdesc = "origin-group"
    description = ("A Function URL origin is reached only as the failover member of an origin group whose primary "
                   "is another origin, failing over on 403 and 404; no behavior targets it directly")

    def findings(self, model):
        for dist, props in model.of_type("AWS::CloudFront::Distribution"):
            url_origins = {o.get("Id") for d, o, kind in model.origins() if d == dist and kind == "function-url"}
            if not url_origins:
                continue
            failover_for: set = set()
            for container in branches((props.get("DistributionConfig") or {}).get("OriginGroups")):
                for group in items((container or {}).get("Items")):
                    if isinstance(group, dict):
                        yield from self.group(dist, group, url_origins, failover_for)
            for origin_id in sorted(url_origins - failover_for, key=str):
                yield dist, f"Function URL origin {origin_id} is not the failover member of an origin group"
            for behavior_dist, behavior in model.behaviors():
                for target in branches(behavior.get("TargetOriginId")):
                    if behavior_dist == dist and target in url_origins:
                        yield dist, (f"a behavior targets the Function URL origin {target} directly: every request, "
                                     "stored variant or not, would run the generator")

    @staticmethod
    def group(dist, group, url_origins, failover_for):
        group_id = group.get("Id")
        members = [m.get("OriginId") for m in items((group.get("Members") or {}).get("Items")) if isinstance(m, dict)]
        statuses = {int(s) for s in items(((group.get("FailoverCriteria") or {}).get("StatusCodes") or {}).get("Items"))
                    if str(s).isdigit()}
        if members and members[0] in url_origins:
            yield dist, (f"origin group {group_id} asks the Function URL {members[0]} first: S3 must answer first, "
                         "the generator only on a miss")
        if len(members) > 1 and members[1] in url_origins:
            failover_for.add(members[1])
            missing = sorted(set(FAILOVER_STATUSES) - statuses)
            if missing:
                yield dist, (f"origin group {group_id} does not fail over on {', '.join(map(str, missing))}: a "
                             "variant S3 lacks would never be rendered")
