"""Regional mode: a generator behind a Function URL that only CloudFront, signing with OAC, may call.

A URL with ``AuthType: NONE``, a permission without ``SourceArn`` or a missing ``lambda:InvokeFunction`` (needed
beside ``lambda:InvokeFunctionUrl`` since October 2025) all pass cfn-lint and SAM.
"""

import re
import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._model import CLOUDFRONT_PRINCIPAL, DEFAULT_ORIGIN_READ_TIMEOUT  # noqa: E402
from tooling.cfn_rules._values import parameters_in, ref, render  # noqa: E402

LAMBDA_MAX_MEMORY = 10240
REGIONAL_ARCHITECTURES = (["x86_64"], ["arm64"])


def distribution_arn_of_template(model, value) -> bool:
    match = re.search(r":distribution/\$\{([^}.]+)\}$", render(value))
    return bool(match) and match.group(1) in model.distributions()


class FunctionUrlAuth(_base.ProjectRule):
    id = "E9201"
    shortdesc = "function-url-auth"
    description = ("Every Lambda Function URL has AuthType AWS_IAM (NONE makes it a public endpoint) and InvokeMode "
                   "BUFFERED (the handler returns whole responses)")

    def findings(self, model):
        for name, props in model.of_type("AWS::Lambda::Url"):
            if props.get("AuthType") != "AWS_IAM":
                yield name, (f"AuthType {props.get('AuthType')!r}: anyone on the internet could call it around "
                             "CloudFront; use AWS_IAM (CloudFront signs with OAC)")
            if props.get("InvokeMode", "BUFFERED") != "BUFFERED":
                yield name, f"InvokeMode {props.get('InvokeMode')!r}: the handler returns whole responses (BUFFERED)"


class InvokePermission(_base.ProjectRule):
    id = "E9202"
    shortdesc = "invoke-permission"
    description = ("The function (and alias) behind each Function URL grants cloudfront.amazonaws.com both "
                   "lambda:InvokeFunctionUrl (FunctionUrlAuthType AWS_IAM) and lambda:InvokeFunction: since "
                   "October 2025 a Function URL call needs both")

    def findings(self, model):
        granted: dict[tuple, set[str]] = {}
        for _, props in model.of_type("AWS::Lambda::Permission"):
            principal, action = props.get("Principal"), str(props.get("Action", ""))
            # What CloudFront can do; scope problems are invoke-scope's, not a missing grant.
            if principal == CLOUDFRONT_PRINCIPAL or not isinstance(principal, str) or "*" in principal:
                if action == "lambda:InvokeFunctionUrl" and props.get("FunctionUrlAuthType") != "AWS_IAM":
                    continue
                granted.setdefault(model.lambda_target(props.get("FunctionName")), set()).add(action)
        for function, urls in model.url_targets.items():
            for url, alias in urls:
                missing = [a for a in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
                           if a not in granted.get((function, alias), set())]
                if missing:
                    where = f"{function} (alias {alias})" if alias else function
                    yield url, (f"CloudFront is not granted {', '.join(missing)} on {where}, which the URL invokes: "
                                "every request would be a 403")


class InvokeScope(_base.ProjectRule):
    id = "E9203"
    shortdesc = "invoke-scope"
    description = ("No Lambda permission is public (Principal *, FunctionUrlAuthType NONE); CloudFront's are scoped "
                   "by SourceArn to a distribution of this template; only CloudFront may invoke a Function URL's "
                   "function; other services' are scoped by SourceAccount or SourceArn (S3's by SourceAccount: "
                   "bucket ARNs name no account)")

    def findings(self, model):
        for name, props in model.of_type("AWS::Lambda::Permission"):
            principal, action = props.get("Principal"), str(props.get("Action", ""))
            target = model.lambda_target(props.get("FunctionName"))
            public = not isinstance(principal, str) or "*" in principal
            if public or "*" in action:
                yield name, f"Principal {principal!r} / Action {action!r}: a wildcard lets anyone invoke the function"
            if props.get("FunctionUrlAuthType") == "NONE":
                yield name, "FunctionUrlAuthType NONE: a public Function URL permission"
            if public or principal == CLOUDFRONT_PRINCIPAL:
                source_arn = props.get("SourceArn")
                if principal == CLOUDFRONT_PRINCIPAL and not distribution_arn_of_template(model, source_arn):
                    yield name, (f"SourceArn {render(props.get('SourceArn'))!r} is not a distribution of this "
                                 "template: any CloudFront distribution could invoke the function")
                continue
            if target[0] in model.url_targets:
                yield name, (f"{principal} may invoke {target[0]}, which is a CloudFront origin: only "
                             "cloudfront.amazonaws.com may")
            if not principal.endswith(".amazonaws.com"):
                continue
            if principal.startswith("s3.") and not props.get("SourceAccount"):
                yield name, (f"{principal} without SourceAccount: a bucket of another account (bucket ARNs name no "
                             "account, names are reused) could invoke the function")
            elif not props.get("SourceAccount") and not props.get("SourceArn"):
                yield name, (f"{principal} without SourceArn or SourceAccount: any account's resources of that "
                             "service could invoke the function")


class RegionalLimits(_base.ProjectRule):
    id = "E9204"
    shortdesc = "regional-limits"
    description = ("A Function URL's function runs x86_64 or arm64, MemorySize <= 10240 MB (parameters bounded by "
                   "MaxValue), Timeout <= the origin's OriginReadTimeout (30 s unless set), and is not also a "
                   "Lambda@Edge function; every Function URL targets a function or alias of this template")

    def findings(self, model):
        targeted = {url for urls in model.url_targets.values() for url, _ in urls}
        for name, _ in model.of_type("AWS::Lambda::Url"):
            if name not in targeted:
                yield name, "the URL's TargetFunctionArn is not a function or alias of this template"
        for name, props in model.functions("generator"):
            if model.edge_events.get(name):
                yield name, (f"runs at the edge too ({', '.join(sorted(model.edge_events[name]))}): a Function "
                             "URL's function is a regional function")
            architectures = props.get("Architectures", ["x86_64"])
            if architectures not in REGIONAL_ARCHITECTURES:
                yield name, f"Architectures {architectures!r}: x86_64 or arm64"
            read_timeout = min(model.read_timeouts({u for u, _ in model.url_targets[name]})
                               or [DEFAULT_ORIGIN_READ_TIMEOUT])
            limit = (f"the origin's OriginReadTimeout ({read_timeout:g} s): CloudFront would give up (504) while "
                     "the function still runs")
            for problem in model.over_limits(props, LAMBDA_MAX_MEMORY, read_timeout, limit):
                yield name, problem


class RegionalVersion(_base.ProjectRule):
    id = "E9205"
    shortdesc = "regional-version"
    description = ("When a Function URL points at an alias, every parameter the function's properties use appears "
                   "in its version's Description (a version snapshots memory and environment; without a new "
                   "version the alias keeps the old ones)")

    def findings(self, model):
        for name, props in model.functions("generator"):
            used = parameters_in(props, model.parameters)
            for url, alias in model.url_targets[name]:
                alias_id = next((a for a, _ in model.of_type("AWS::Lambda::Alias")
                                 if model.lambda_target({"Ref": a}) == (name, alias)), None) if alias else None
                version = ref(model.props(alias_id).get("FunctionVersion")) if alias_id else None
                if model.type_of(version) != "AWS::Lambda::Version":
                    continue
                tracked = parameters_in(model.props(version).get("Description"), model.parameters)
                for parameter in sorted(used - tracked):
                    yield version, (f"{name} uses parameter {parameter} but the version {url} runs (alias {alias}) "
                                    "does not (name it in VersionDescription): changing it would update only $LATEST")
