"""Lambda@Edge and regional-mode rules for a CloudFormation template (the output of the SAM transform).

cfn-lint and the SAM translator know nothing of Lambda@Edge: they accept ``Runtime: python3.99``, a
misspelt ``EventType``, an unversioned ``!GetAtt Fn.Arn`` association, arm64, environment variables and
layers, all of which CloudFront refuses at deploy time (or, for IAM and bucket scope, accepts silently).
Nor do they know how a Function URL behind CloudFront must be locked down: ``AuthType: NONE``, a permission
without ``SourceArn``, a missing ``lambda:InvokeFunction`` (needed since October 2025) or an OAC of origin type
``s3`` in front of it all pass them.
``check(template)`` returns every violation of the rules below; an empty list means the template passes.

A template with a ``Mode`` parameter is checked once per allowed value, with the conditions that depend on
it resolved (``imgedge.deploy.conditions``): edge functions (associated with a distribution) get the
Lambda@Edge rules, a regional generator (the target of a Function URL) gets the regional ones.

The rules encode the limits in ``shared/docs/lambda-edge.md`` §1 (quotas by event type, runtime and feature
restrictions), §2.3 (Function URL origin with OAC, permissions) and this project's own least-privilege and
caching choices (issues 5 and 9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Iterable, Iterator, Mapping

from . import VARIANTS_PREFIX
from .conditions import resolve_conditions

#: Rule id -> what it requires. Every id is proven to fire by a broken template in tests/deploy.
RULES: dict[str, str] = {
    "region": "the template asserts (Rules) that it deploys in us-east-1, where Lambda@Edge functions must live",
    "runtime": "every function's Runtime is python3.12 or python3.13 (Amazon Linux 2023; the wheels are manylinux_2_28)",
    "architecture": "every function is x86_64 (Lambda@Edge refuses arm64)",
    "no-environment": "no function sets Environment (Lambda@Edge has no environment variables)",
    "no-layers": "no function uses Layers (Lambda@Edge refuses them)",
    "unsupported-feature": "no VPC, dead-letter queue, X-Ray tracing, ephemeral storage > 512 MB, container "
    "image, pinned runtime management, file systems, reserved or provisioned concurrency",
    "versioned-association": "every LambdaFunctionARN names a published AWS::Lambda::Version of the template "
    "(!Ref Fn.Version), not $LATEST, an alias or !GetAtt Fn.Arn; every function is associated",
    "version-lifecycle": "associated versions are retained on deletion and replacement (rollback targets; "
    "replicated versions cannot be deleted at once), and every parameter a function's properties use also "
    "appears in its version's Description, so changing it publishes a new version instead of only "
    "updating $LATEST, which CloudFront never runs",
    "event-type": "every EventType is viewer-request, viewer-response, origin-request or origin-response, at "
    "most one per event type and behavior, IncludeBody only on request events",
    "viewer-limits": "functions on viewer events have MemorySize <= 128 MB and Timeout <= 5 s",
    "origin-limits": "functions on origin events have Timeout <= 30 s and MemorySize <= 3008 MB "
    "(parameters bounded by MaxValue)",
    "role-trust": "every function's role is in the template and trusted by lambda.amazonaws.com, and edge "
    "functions' roles also by edgelambda.amazonaws.com",
    "s3-iam-scope": "IAM grants no s3:* (or other S3 wildcard), no S3 action on Resource *, no NotAction, no "
    "managed S3 policy, and S3 writes only under arn:...:bucket/_variants/*",
    "bucket-private": "every bucket blocks public access (all four settings true), has no public ACL and "
    "has default encryption",
    "bucket-policy": "bucket policies allow nobody publicly; CloudFront's service principal only reads "
    "(s3:GetObject, s3:ListBucket) and only for this account's distribution (AWS:SourceArn)",
    "origin-access": "S3 origins use Origin Access Control (s3, sigv4, always), never a legacy OAI, and S3 "
    "is not reached as a custom (website) origin",
    "cache-key": "behaviors use a cache policy of the template whose key has no query strings, headers or "
    "cookies and no Accept-Encoding normalisation (the URI is the canonical variant)",
    "behavior": "behaviors with Lambda@Edge functions redirect to HTTPS and do not compress (images)",
    # -- regional mode: a generator behind a Function URL (issue 9) --
    "function-url-auth": "every Lambda Function URL has AuthType AWS_IAM (NONE makes it a public endpoint) and "
    "InvokeMode BUFFERED (the handler returns whole responses)",
    "invoke-permission": "the function (and alias) behind each Function URL grants cloudfront.amazonaws.com both "
    "lambda:InvokeFunctionUrl (FunctionUrlAuthType AWS_IAM) and lambda:InvokeFunction: since October 2025 a "
    "Function URL call needs both",
    "invoke-scope": "no Lambda permission is public (Principal *, FunctionUrlAuthType NONE); CloudFront's are "
    "scoped by SourceArn to a distribution of this template; only CloudFront may invoke a Function URL's function",
    "lambda-origin-access": "an origin that reaches a Function URL is HTTPS-only and signed by an "
    "OriginAccessControl of this template with origin type lambda (sigv4, always); no Function URL of another "
    "stack (its permissions cannot be checked)",
    "origin-group": "a Function URL origin is reached only as the failover member of an origin group whose "
    "primary is another origin, failing over on 403 and 404; no behavior targets it directly",
    "regional-limits": "a Function URL's function runs x86_64 or arm64, MemorySize <= 10240 MB (parameters "
    "bounded by MaxValue), Timeout <= the origin's OriginReadTimeout (30 s unless set), and is not also a "
    "Lambda@Edge function",
    "regional-version": "when a Function URL points at an alias, every parameter the function's properties use "
    "appears in its version's Description (a version snapshots memory and environment; without a new version "
    "the alias keeps the old ones)",
}

EDGE_RUNTIMES = ("python3.12", "python3.13")
EVENT_TYPES = ("viewer-request", "viewer-response", "origin-request", "origin-response")
VIEWER_MAX_MEMORY, VIEWER_MAX_TIMEOUT = 128, 5
ORIGIN_MAX_TIMEOUT = 30
#: The quota table says "same as Lambda" (10,240 MB); the CloudFront comparison table says 3,008 MB.
ORIGIN_MAX_MEMORY = 3008
LAMBDA_DEFAULT_MEMORY, LAMBDA_DEFAULT_TIMEOUT = 128, 3
EDGE_PRINCIPALS = ("lambda.amazonaws.com", "edgelambda.amazonaws.com")
REGIONAL_PRINCIPALS = ("lambda.amazonaws.com",)
REGIONAL_ARCHITECTURES = (["x86_64"], ["arm64"])
LAMBDA_MAX_MEMORY = 10240
#: CloudFront's default OriginReadTimeout for custom origins.
DEFAULT_ORIGIN_READ_TIMEOUT = 30
FAILOVER_STATUSES = (403, 404)
#: The template parameter whose values select a deployment mode; ``check`` runs once per allowed value.
MODE_PARAMETER = "Mode"
CLOUDFRONT_PRINCIPAL = "cloudfront.amazonaws.com"
CLOUDFRONT_READ_ACTIONS = ("s3:getobject", "s3:listbucket")
_S3_WRITE_VERBS = ("put", "delete", "restore", "replicate", "abort", "create", "update", "bypass")
_VERSION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:us-east-1:[0-9]{12}:function:[A-Za-z0-9_-]+:[0-9]+$")


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str
    message: str
    #: The values of the ``Mode`` parameter under which it occurs (empty: the template has no modes).
    modes: tuple[str, ...] = dataclass_field(default=(), compare=False)

    def __str__(self) -> str:
        return f"[{self.rule}] {self.resource}: {self.message}"


def check(template: dict[str, Any], parameters: Mapping[str, Any] | None = None) -> list[Violation]:
    """Every violation of ``RULES`` in a CloudFormation template dict (SAM already transformed).

    The conditions that depend on ``parameters`` are resolved first. Unless ``parameters`` fixes ``Mode``, the
    template is checked for each of its ``Mode`` values; a violation found in several is reported once, with
    the modes in ``Violation.modes``.
    """
    fixed = dict(parameters or {})
    allowed = ((template.get("Parameters") or {}).get(MODE_PARAMETER) or {}).get("AllowedValues")
    modes = [fixed[MODE_PARAMETER]] if MODE_PARAMETER in fixed else list(allowed or [None])
    found: dict[Violation, Violation] = {}
    for mode in modes:
        values = {**fixed, **({MODE_PARAMETER: mode} if mode is not None else {})}
        resolved = resolve_conditions(template, values) if values else template
        for violation in _Checker(resolved).run():
            seen = found.get(violation)
            tag = (str(mode),) if mode is not None else ()
            found[violation] = Violation(violation.rule, violation.resource, violation.message,
                                         (seen.modes if seen else ()) + tag)
    return list(found.values())


# --------------------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ref(value: Any) -> str | None:
    """The logical id in ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}``."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, str):
                target = target.split(".", 1)
            if isinstance(target, list) and target and isinstance(target[0], str):
                return target[0]
    return None


def _refs_in(value: Any) -> list[str]:
    """Every logical id ``value`` references (``Ref``, ``Fn::GetAtt``, ``${X}`` in ``Fn::Sub``), nested anywhere."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.append(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1) if isinstance(item, str) else item
                if isinstance(target, list) and target and isinstance(target[0], str):
                    found.append(target[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else (item[0] if isinstance(item, list) and item else "")
                found += [n.split(".")[0] for n in re.findall(r"\$\{([^}!]+)\}", str(text))]
                if isinstance(item, list) and len(item) > 1:
                    found += _refs_in(item[1])
            else:
                found += _refs_in(item)
    elif isinstance(value, list):
        for item in value:
            found += _refs_in(item)
    return found


def _branches(value: Any) -> Iterator[Any]:
    """The possible values of ``value``: both arms of ``Fn::If``, recursively; ``AWS::NoValue`` dropped."""
    if isinstance(value, dict) and list(value) == ["Fn::If"] and isinstance(value["Fn::If"], list):
        for arm in value["Fn::If"][1:3]:
            yield from _branches(arm)
    elif not (isinstance(value, dict) and value.get("Ref") == "AWS::NoValue"):
        yield value


def _render(value: Any) -> str:
    """A string form of an ARN expression: ``${X}`` / ``${X.Attr}`` for references, ``?`` if unknown."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (name, arg), = value.items()
        if name == "Fn::Sub":
            return arg if isinstance(arg, str) else (arg[0] if isinstance(arg, list) and arg else "?")
        if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(_render(part) for part in _as_list(arg[1]))
        if name == "Ref":
            return "${%s}" % arg
        if name == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            return "${%s}" % ".".join(map(str, parts))
    return "?"


def _flatten_conditional_list(value: Any) -> list[Any]:
    items: list[Any] = []
    for branch in _branches(value):
        for item in _as_list(branch):
            items.extend(_branches(item))
    return items


class _Checker:
    def __init__(self, template: dict[str, Any]) -> None:
        self.t = template
        self.resources: dict[str, dict[str, Any]] = template.get("Resources") or {}
        self.parameters: dict[str, dict[str, Any]] = template.get("Parameters") or {}

    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield name, resource.get("Properties") or {}

    def type_of(self, name: str | None) -> str | None:
        resource = self.resources.get(name or "")
        return resource.get("Type") if isinstance(resource, dict) else None

    def run(self) -> Iterator[Violation]:
        yield from self.region()
        edge_events = yield from self.associations()
        url_targets = self.function_url_targets()
        for name, props in self.of_type("AWS::Lambda::Function"):
            if name in url_targets:
                yield from self.regional_function(name, props, url_targets[name], edge_events.get(name, set()))
                continue
            if name not in edge_events:
                yield Violation("versioned-association", name, "no distribution runs a version of this function (its "
                                "event type, hence its limits, is unknown)")
            yield from self.function(name, props, edge_events.get(name, set()))
        for name, props in self.of_type("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            if props.get("ProvisionedConcurrencyConfig"):
                yield Violation("unsupported-feature", name, "provisioned concurrency is not supported at the edge")
        yield from self.iam()
        yield from self.buckets()
        yield from self.bucket_policies()
        yield from self.origin_access()
        yield from self.function_urls(url_targets)
        yield from self.permissions(url_targets)
        yield from self.origin_groups()
        yield from self.cache()

    # -- region -------------------------------------------------------------------------------------------
    def region(self) -> Iterator[Violation]:
        for rule in (self.t.get("Rules") or {}).values():
            if not isinstance(rule, dict) or rule.get("RuleCondition"):
                continue
            for assertion in rule.get("Assertions") or []:
                equals = (assertion or {}).get("Assert", {})
                if isinstance(equals, dict) and isinstance(equals.get("Fn::Equals"), list):
                    operands = equals["Fn::Equals"]
                    if {"Ref": "AWS::Region"} in operands and "us-east-1" in operands:
                        return
        yield Violation("region", "Rules", "no unconditional assertion that AWS::Region equals us-east-1")

    # -- distributions and their associations ----------------------------------------------------------
    def behaviors(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, props in self.of_type("AWS::CloudFront::Distribution"):
            config = props.get("DistributionConfig") or {}
            for behavior in _branches(config.get("DefaultCacheBehavior")):
                if isinstance(behavior, dict):
                    yield name, behavior
            for behavior in _flatten_conditional_list(config.get("CacheBehaviors")):
                if isinstance(behavior, dict):
                    yield name, behavior

    def associations(self):
        """Check each association; return {function logical id: event types it runs on}."""
        edge_events: dict[str, set[str]] = {}
        versions: set[str] = set()
        for dist, behavior in self.behaviors():
            seen: set[str] = set()
            for assoc in _flatten_conditional_list(behavior.get("LambdaFunctionAssociations")):
                if not isinstance(assoc, dict):
                    continue
                event = assoc.get("EventType")
                if event not in EVENT_TYPES:
                    yield Violation("event-type", dist, f"EventType {event!r} is not one of {', '.join(EVENT_TYPES)}")
                elif event in seen:
                    yield Violation("event-type", dist, f"two functions on {event} in one behavior")
                seen.add(event)
                if assoc.get("IncludeBody") in (True, "true") and event not in ("viewer-request", "origin-request"):
                    yield Violation("event-type", dist, f"IncludeBody is only valid on request events, not {event}")
                for arn in _branches(assoc.get("LambdaFunctionARN")):
                    function, problem = self.version_target(arn)
                    if problem:
                        yield Violation("versioned-association", dist, f"{event}: {problem}")
                    if function:
                        edge_events.setdefault(function, set()).update({event} & set(EVENT_TYPES))
                    if function and not problem:
                        versions.add(_ref(arn))
        for version in sorted(versions):
            yield from self.version_lifecycle(version)
        return edge_events

    def version_target(self, arn: Any) -> tuple[str | None, str | None]:
        """(function logical id, problem) for one LambdaFunctionARN value."""
        if isinstance(arn, str):
            if _VERSION_ARN.match(arn):
                return None, None
            return None, f"{arn!r} is not a numbered version ARN of a us-east-1 function"
        target = _ref(arn)
        kind = self.type_of(target)
        if isinstance(arn, dict) and "Ref" in arn and kind == "AWS::Lambda::Version":
            function = _ref(self.resources[target].get("Properties", {}).get("FunctionName"))
            if self.type_of(function) != "AWS::Lambda::Function":
                return None, f"version {target} does not belong to a function of this template"
            return function, None
        if kind == "AWS::Lambda::Function":
            return target, f"{target} is referenced unversioned ($LATEST); use !Ref {target}.Version"
        if kind == "AWS::Lambda::Alias":
            return None, f"{target} is an alias; CloudFront needs a numbered version"
        if target in self.parameters:
            return None, f"parameter {target} cannot be checked to be a numbered version"
        return None, f"{_render(arn)} does not reference an AWS::Lambda::Version"

    def version_lifecycle(self, version: str) -> Iterator[Violation]:
        resource = self.resources[version]
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            if resource.get(attribute) != "Retain":
                yield Violation("version-lifecycle", version, f"{attribute} is not Retain: CloudFront may still run "
                                "this version, and it is the rollback target")
        function = _ref(resource.get("Properties", {}).get("FunctionName"))
        used = self.parameters_in(self.resources[function].get("Properties"))
        tracked = self.parameters_in(resource.get("Properties", {}).get("Description"))
        for name in sorted(used - tracked):
            yield Violation("version-lifecycle", version, f"{function} uses parameter {name} but the version does not "
                            "(name it in VersionDescription): changing it would update only $LATEST")

    def parameters_in(self, value: Any) -> set[str]:
        """Template parameters referenced anywhere in ``value`` (``Ref`` or ``${Name}`` in ``Fn::Sub``)."""
        found: set[str] = set()
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "Ref" and isinstance(item, str) and item in self.parameters:
                    found.add(item)
                elif key == "Fn::Sub":
                    text = item if isinstance(item, str) else (item[0] if isinstance(item, list) and item else "")
                    found |= {n for n in re.findall(r"\$\{([^}!.]+)\}", str(text)) if n in self.parameters}
                    if isinstance(item, list) and len(item) > 1:
                        found |= self.parameters_in(item[1])
                else:
                    found |= self.parameters_in(item)
        elif isinstance(value, list):
            for item in value:
                found |= self.parameters_in(item)
        return found

    # -- functions --------------------------------------------------------------------------------------
    def number_bound(self, value: Any, default: int) -> tuple[float | None, str]:
        """The largest value a property may take: literal, or a Number parameter's MaxValue/AllowedValues."""
        if value is None:
            return default, str(default)
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            return float(value), str(value)
        name = _ref(value) if isinstance(value, dict) and "Ref" in value else None
        param = self.parameters.get(name or "")
        if param is None:
            return None, _render(value)
        candidates = [param.get("Default")]
        if param.get("AllowedValues"):
            candidates += list(param["AllowedValues"])
        elif param.get("MaxValue") is not None:
            candidates.append(param["MaxValue"])
        else:
            return None, f"parameter {name} (no MaxValue)"
        numbers = [float(c) for c in candidates if c is not None]
        return (max(numbers) if numbers else None), f"parameter {name} (up to {max(numbers):g})"

    def function(self, name: str, props: dict[str, Any], events: set[str]) -> Iterator[Violation]:
        runtime = props.get("Runtime")
        if runtime not in EDGE_RUNTIMES:
            yield Violation("runtime", name, f"Runtime {runtime!r} is not one of {', '.join(EDGE_RUNTIMES)}")
        architectures = props.get("Architectures", ["x86_64"])
        if architectures != ["x86_64"]:
            yield Violation("architecture", name, f"Architectures {architectures!r}: Lambda@Edge runs x86_64 only")
        if "Environment" in props:
            yield Violation("no-environment", name, "Environment is set: Lambda@Edge has no environment variables")
        if props.get("Layers"):
            yield Violation("no-layers", name, "Layers are set: Lambda@Edge does not support layers")
        yield from self.unsupported(name, props)
        memory, memory_text = self.number_bound(props.get("MemorySize"), LAMBDA_DEFAULT_MEMORY)
        timeout, timeout_text = self.number_bound(props.get("Timeout"), LAMBDA_DEFAULT_TIMEOUT)
        if any(e.startswith("viewer-") for e in events):
            if memory is None or memory > VIEWER_MAX_MEMORY:
                yield Violation("viewer-limits", name, f"MemorySize {memory_text} exceeds {VIEWER_MAX_MEMORY} MB")
            if timeout is None or timeout > VIEWER_MAX_TIMEOUT:
                yield Violation("viewer-limits", name, f"Timeout {timeout_text} exceeds {VIEWER_MAX_TIMEOUT} s")
        if any(e.startswith("origin-") for e in events):
            if memory is None or memory > ORIGIN_MAX_MEMORY:
                yield Violation("origin-limits", name, f"MemorySize {memory_text} exceeds {ORIGIN_MAX_MEMORY} MB")
            if timeout is None or timeout > ORIGIN_MAX_TIMEOUT:
                yield Violation("origin-limits", name, f"Timeout {timeout_text} exceeds {ORIGIN_MAX_TIMEOUT} s")
        yield from self.role_trust(name, props.get("Role"))

    def unsupported(self, name: str, props: dict[str, Any]) -> Iterator[Violation]:
        problems = []
        if props.get("VpcConfig"):
            problems.append("VpcConfig")
        if props.get("DeadLetterConfig"):
            problems.append("DeadLetterConfig")
        if (props.get("TracingConfig") or {}).get("Mode") == "Active":
            problems.append("active X-Ray tracing")
        size = (props.get("EphemeralStorage") or {}).get("Size")
        if size is not None and (not str(size).isdigit() or int(size) > 512):
            problems.append(f"EphemeralStorage {size}")
        if props.get("PackageType") == "Image" or props.get("ImageConfig"):
            problems.append("a container image")
        management = (props.get("RuntimeManagementConfig") or {}).get("UpdateRuntimeOn")
        if management not in (None, "Auto"):
            problems.append(f"runtime management {management}")
        if props.get("FileSystemConfigs"):
            problems.append("FileSystemConfigs")
        if "ReservedConcurrentExecutions" in props:
            problems.append("ReservedConcurrentExecutions")
        for problem in problems:
            yield Violation("unsupported-feature", name, f"{problem} is not supported by Lambda@Edge")

    def role_trust(self, function: str, role_value: Any,
                   principals: tuple[str, ...] = EDGE_PRINCIPALS) -> Iterator[Violation]:
        role = _ref(role_value)
        if self.type_of(role) != "AWS::IAM::Role":
            yield Violation("role-trust", function, f"role {_render(role_value)} is not a role of this template")
            return
        document = self.resources[role].get("Properties", {}).get("AssumeRolePolicyDocument") or {}
        trusted: set[str] = set()
        for statement in _as_list(document.get("Statement")):
            if statement.get("Effect") != "Allow" or "sts:AssumeRole" not in _as_list(statement.get("Action")):
                continue
            principal = statement.get("Principal") or {}
            trusted.update(_as_list(principal.get("Service")) if isinstance(principal, dict) else [])
        missing = [p for p in principals if p not in trusted]
        if missing:
            yield Violation("role-trust", role, f"trust policy lacks {', '.join(missing)} (used by {function})")

    # -- IAM ----------------------------------------------------------------------------------------------
    def policy_documents(self) -> Iterator[tuple[str, Any]]:
        for name, props in self.of_type("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for policy in _flatten_conditional_list(props.get("Policies")):
                if isinstance(policy, dict):
                    yield name, policy.get("PolicyDocument")
            for arn in _flatten_conditional_list(props.get("ManagedPolicyArns")):
                text = _render(arn)
                if re.search(r"S3|AdministratorAccess|PowerUserAccess", text, re.IGNORECASE):
                    yield name, {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                "_managed": text}]}
        for name, props in self.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            yield name, props.get("PolicyDocument")

    def iam(self) -> Iterator[Violation]:
        suffix = f"/{VARIANTS_PREFIX}/*"
        for name, document in self.policy_documents():
            for statement in _as_list((document or {}).get("Statement")):
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                if statement.get("_managed"):
                    yield Violation("s3-iam-scope", name, f"managed policy {statement['_managed']} cannot be "
                                    "scoped to the bucket")
                    continue
                if "NotAction" in statement or "NotResource" in statement:
                    yield Violation("s3-iam-scope", name, "Allow with NotAction/NotResource grants too much")
                    continue
                actions = [str(a) for a in _as_list(statement.get("Action"))]
                s3_actions = [a for a in actions if a == "*" or a.lower().startswith("s3:")]
                if not s3_actions:
                    continue
                for action in s3_actions:
                    if "*" in action or "?" in action:
                        yield Violation("s3-iam-scope", name, f"wildcard action {action}")
                resources = [_render(r) for r in _flatten_conditional_list(statement.get("Resource"))]
                if "*" in resources or not resources:
                    yield Violation("s3-iam-scope", name, f"{', '.join(s3_actions)} on Resource *")
                    continue
                for resource in resources:
                    if "*" in resource.split("/", 1)[0] or "?" in resource.split("/", 1)[0]:
                        yield Violation("s3-iam-scope", name, f"{', '.join(s3_actions)} on {resource}: any bucket")
                writes = [a for a in s3_actions if a.lower().split(":", 1)[-1].startswith(_S3_WRITE_VERBS)]
                for resource in resources if writes else []:
                    head = resource[: -len(suffix)]
                    if not resource.endswith(suffix) or "*" in head or "?" in head or not head:
                        yield Violation("s3-iam-scope", name, f"{', '.join(writes)} on {resource}: writes must be "
                                        f"limited to <bucket ARN>{suffix}")

    # -- bucket -------------------------------------------------------------------------------------------
    def buckets(self) -> Iterator[Violation]:
        for name, props in self.of_type("AWS::S3::Bucket"):
            block = props.get("PublicAccessBlockConfiguration") or {}
            for setting in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
                if block.get(setting) not in (True, "true"):
                    yield Violation("bucket-private", name, f"PublicAccessBlockConfiguration.{setting} is not true")
            if props.get("AccessControl") in ("PublicRead", "PublicReadWrite", "AuthenticatedRead"):
                yield Violation("bucket-private", name, f"AccessControl {props['AccessControl']} is public")
            if props.get("WebsiteConfiguration"):
                yield Violation("bucket-private", name, "WebsiteConfiguration serves the bucket publicly")
            if not (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"):
                yield Violation("bucket-private", name, "BucketEncryption is not configured")

    def bucket_policies(self) -> Iterator[Violation]:
        for name, props in self.of_type("AWS::S3::BucketPolicy"):
            for statement in _as_list((props.get("PolicyDocument") or {}).get("Statement")):
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                principal = statement.get("Principal")
                if principal == "*" or "NotPrincipal" in statement:
                    yield Violation("bucket-policy", name, "Allow to every principal")
                    continue
                principal = principal if isinstance(principal, dict) else {}
                if "*" in _as_list(principal.get("AWS")):
                    yield Violation("bucket-policy", name, "Allow to every AWS principal")
                if CLOUDFRONT_PRINCIPAL in _as_list(principal.get("Service")):
                    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
                    extra = [a for a in actions if a not in CLOUDFRONT_READ_ACTIONS]
                    if extra or "NotAction" in statement:
                        yield Violation("bucket-policy", name, f"CloudFront may only read, not {extra or 'NotAction'}")
                    condition = statement.get("Condition") or {}
                    scoped = any(
                        isinstance(block, dict) and "AWS:SourceArn" in block and ":distribution/" in _render(block["AWS:SourceArn"])
                        for op, block in condition.items()
                        if op in ("StringEquals", "ArnEquals", "StringLike", "ArnLike")
                    )
                    if not scoped:
                        yield Violation("bucket-policy", name, "CloudFront access is not scoped by AWS:SourceArn to "
                                        "a distribution: any distribution could read the bucket")

    # -- CloudFront -----------------------------------------------------------------------------------------
    def origins(self) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(distribution, origin, kind) for every origin: kind is ``s3``, ``function-url`` or ``custom``."""
        for name, props in self.of_type("AWS::CloudFront::Distribution"):
            for origin in _flatten_conditional_list((props.get("DistributionConfig") or {}).get("Origins")):
                if isinstance(origin, dict):
                    yield name, origin, self.origin_kind(origin)

    def origin_kind(self, origin: dict[str, Any]) -> str:
        if "S3OriginConfig" in origin:
            return "s3"
        domain = origin.get("DomainName")
        if any(self.type_of(ref) == "AWS::Lambda::Url" for ref in _refs_in(domain)) or \
                ".lambda-url." in _render(domain):
            return "function-url"
        return "custom"

    def origin_access(self) -> Iterator[Violation]:
        for name, _ in self.of_type("AWS::CloudFront::CloudFrontOriginAccessIdentity"):
            yield Violation("origin-access", name, "legacy Origin Access Identity; use an OriginAccessControl")
        users: dict[str, set[str]] = {}
        for _, origin, kind in self.origins():
            for oac in _refs_in(origin.get("OriginAccessControlId")):
                users.setdefault(oac, set()).add(kind)
        for name, props in self.of_type("AWS::CloudFront::OriginAccessControl"):
            config = props.get("OriginAccessControlConfig") or {}
            # An OAC only Function URL origins use must be of type lambda; one S3 origins use, of type s3; an
            # unused one is checked as what it says it is.
            kinds = users.get(name) or ({"function-url"} if config.get("OriginAccessControlOriginType") == "lambda"
                                        else {"s3"})
            lambda_only = kinds == {"function-url"}
            rule, origin_type = ("lambda-origin-access", "lambda") if lambda_only else ("origin-access", "s3")
            expected = {"OriginAccessControlOriginType": origin_type, "SigningBehavior": "always",
                        "SigningProtocol": "sigv4"}
            for key, value in expected.items():
                if config.get(key) != value:
                    yield Violation(rule, name, f"{key} is {config.get(key)!r}, expected {value!r}")
        for name, origin, kind in self.origins():
            origin_id = origin.get("Id", "?")
            if kind == "s3":
                if (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity"):
                    yield Violation("origin-access", name, f"origin {origin_id} uses an Origin Access Identity")
                oac = _ref(origin.get("OriginAccessControlId"))
                if self.type_of(oac) != "AWS::CloudFront::OriginAccessControl":
                    yield Violation("origin-access", name, f"origin {origin_id} has no OriginAccessControl of "
                                    "this template")
            elif kind == "function-url":
                yield from self.function_url_origin(name, origin)
            elif re.search(r"\.s3[.-]|s3-website", _render(origin.get("DomainName"))):
                yield Violation("origin-access", name, f"origin {origin_id} reaches S3 as a custom origin "
                                "(public website endpoint) instead of with OAC")

    def function_url_origin(self, dist: str, origin: dict[str, Any]) -> Iterator[Violation]:
        origin_id = origin.get("Id", "?")
        if not any(self.type_of(ref) == "AWS::Lambda::Url" for ref in _refs_in(origin.get("DomainName"))):
            yield Violation("lambda-origin-access", dist, f"origin {origin_id} is a Function URL of no "
                            f"AWS::Lambda::Url of this template ({_render(origin.get('DomainName'))})")
        oac = _ref(origin.get("OriginAccessControlId"))
        if self.type_of(oac) != "AWS::CloudFront::OriginAccessControl":
            yield Violation("lambda-origin-access", dist, f"origin {origin_id} (a Function URL) is not signed by an "
                            "OriginAccessControl of this template: CloudFront could not call an AWS_IAM URL")
        else:
            oac_type = ((self.resources[oac].get("Properties") or {}).get("OriginAccessControlConfig") or {}) \
                .get("OriginAccessControlOriginType")
            if oac_type != "lambda":
                yield Violation("lambda-origin-access", dist, f"origin {origin_id} (a Function URL) is signed by "
                                f"{oac}, of origin type {oac_type!r}: expected 'lambda'")
        policy = (origin.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy")
        if policy != "https-only":
            yield Violation("lambda-origin-access", dist, f"origin {origin_id} (a Function URL) has "
                            f"OriginProtocolPolicy {policy!r}, expected 'https-only'")

    # -- regional mode: Function URLs, their functions and permissions ---------------------------------------
    def lambda_target(self, value: Any, qualifier: Any = None) -> tuple[str | None, str | None]:
        """(function logical id, alias name or None) that a FunctionName/TargetFunctionArn value names."""
        target = _ref(value)
        kind = self.type_of(target)
        if kind == "AWS::Lambda::Alias":
            props = self.resources[target].get("Properties") or {}
            return _ref(props.get("FunctionName")), str(props.get("Name")) if props.get("Name") else target
        if kind == "AWS::Lambda::Version":
            props = self.resources[target].get("Properties") or {}
            return _ref(props.get("FunctionName")), f"version {target}"
        if kind == "AWS::Lambda::Function":
            return target, str(qualifier) if qualifier else None
        return None, None

    def function_url_targets(self) -> dict[str, list[tuple[str, str | None]]]:
        """{function logical id: [(Function URL logical id, alias or None)]}."""
        targets: dict[str, list[tuple[str, str | None]]] = {}
        for name, props in self.of_type("AWS::Lambda::Url"):
            function, qualifier = self.lambda_target(props.get("TargetFunctionArn"), props.get("Qualifier"))
            if function:
                targets.setdefault(function, []).append((name, qualifier))
        return targets

    def function_urls(self, url_targets: dict[str, list[tuple[str, str | None]]]) -> Iterator[Violation]:
        targeted = {url for urls in url_targets.values() for url, _ in urls}
        for name, props in self.of_type("AWS::Lambda::Url"):
            if props.get("AuthType") != "AWS_IAM":
                yield Violation("function-url-auth", name, f"AuthType {props.get('AuthType')!r}: anyone on the "
                                "internet could call it around CloudFront; use AWS_IAM (CloudFront signs with OAC)")
            if props.get("InvokeMode", "BUFFERED") != "BUFFERED":
                yield Violation("function-url-auth", name, f"InvokeMode {props.get('InvokeMode')!r}: the handler "
                                "returns whole responses (BUFFERED)")
            if name not in targeted:
                yield Violation("regional-limits", name, "the URL's TargetFunctionArn is not a function or alias "
                                "of this template")

    def regional_function(self, name: str, props: dict[str, Any], urls: list[tuple[str, str | None]],
                          edge_events: set[str]) -> Iterator[Violation]:
        runtime = props.get("Runtime")
        if runtime not in EDGE_RUNTIMES:
            yield Violation("runtime", name, f"Runtime {runtime!r} is not one of {', '.join(EDGE_RUNTIMES)}")
        if edge_events:
            yield Violation("regional-limits", name, f"runs at the edge too ({', '.join(sorted(edge_events))}): a "
                            "Function URL's function is a regional function")
        architectures = props.get("Architectures", ["x86_64"])
        if architectures not in REGIONAL_ARCHITECTURES:
            yield Violation("regional-limits", name, f"Architectures {architectures!r}: x86_64 or arm64")
        memory, memory_text = self.number_bound(props.get("MemorySize"), LAMBDA_DEFAULT_MEMORY)
        if memory is None or memory > LAMBDA_MAX_MEMORY:
            yield Violation("regional-limits", name, f"MemorySize {memory_text} exceeds {LAMBDA_MAX_MEMORY} MB")
        timeout, timeout_text = self.number_bound(props.get("Timeout"), LAMBDA_DEFAULT_TIMEOUT)
        read_timeout = min(self.read_timeouts({url for url, _ in urls}) or [DEFAULT_ORIGIN_READ_TIMEOUT])
        if timeout is None or timeout > read_timeout:
            yield Violation("regional-limits", name, f"Timeout {timeout_text} exceeds the origin's OriginReadTimeout "
                            f"({read_timeout:g} s): CloudFront would give up (504) while the function still runs")
        yield from self.role_trust(name, props.get("Role"), REGIONAL_PRINCIPALS)
        used = self.parameters_in(props)
        for url, alias in urls:
            alias_id = next((a for a, r in self.resources.items() if r.get("Type") == "AWS::Lambda::Alias"
                             and self.lambda_target({"Ref": a}) == (name, alias)), None) if alias else None
            if alias_id is None:
                continue
            version = _ref((self.resources[alias_id].get("Properties") or {}).get("FunctionVersion"))
            if self.type_of(version) != "AWS::Lambda::Version":
                continue
            tracked = self.parameters_in((self.resources[version].get("Properties") or {}).get("Description"))
            for parameter in sorted(used - tracked):
                yield Violation("regional-version", version, f"{name} uses parameter {parameter} but the version "
                                f"{url} runs (alias {alias}) does not (name it in VersionDescription): changing it "
                                "would update only $LATEST")

    def read_timeouts(self, urls: set[str]) -> list[float]:
        timeouts = []
        for _, origin, kind in self.origins():
            if kind == "function-url" and set(_refs_in(origin.get("DomainName"))) & urls:
                value = (origin.get("CustomOriginConfig") or {}).get("OriginReadTimeout", DEFAULT_ORIGIN_READ_TIMEOUT)
                bound, _ = self.number_bound(value, DEFAULT_ORIGIN_READ_TIMEOUT)
                timeouts.append(bound if bound is not None else DEFAULT_ORIGIN_READ_TIMEOUT)
        return timeouts

    def permissions(self, url_targets: dict[str, list[tuple[str, str | None]]]) -> Iterator[Violation]:
        distributions = {n for n, _ in self.of_type("AWS::CloudFront::Distribution")}
        granted: dict[tuple[str | None, str | None], set[str]] = {}
        for name, props in self.of_type("AWS::Lambda::Permission"):
            principal = props.get("Principal")
            action = str(props.get("Action", ""))
            target = self.lambda_target(props.get("FunctionName"))
            public = not isinstance(principal, str) or "*" in principal
            if public or "*" in action:
                yield Violation("invoke-scope", name, f"Principal {principal!r} / Action {action!r}: a wildcard "
                                "lets anyone invoke the function")
            if props.get("FunctionUrlAuthType") == "NONE":
                yield Violation("invoke-scope", name, "FunctionUrlAuthType NONE: a public Function URL permission")
            if not public and target[0] in url_targets and principal != CLOUDFRONT_PRINCIPAL:
                yield Violation("invoke-scope", name, f"{principal} may invoke {target[0]}, which is a CloudFront "
                                "origin: only cloudfront.amazonaws.com may")
            if principal == CLOUDFRONT_PRINCIPAL:
                source = _render(props.get("SourceArn"))
                match = re.search(r":distribution/\$\{([^}.]+)\}$", source)
                if not match or match.group(1) not in distributions:
                    yield Violation("invoke-scope", name, f"SourceArn {source!r} is not a distribution of this "
                                    "template: any CloudFront distribution could invoke the function")
            # What CloudFront can do (scope problems are reported above, not as a missing grant).
            if principal == CLOUDFRONT_PRINCIPAL or public:
                if action == "lambda:InvokeFunctionUrl" and props.get("FunctionUrlAuthType") != "AWS_IAM":
                    continue
                granted.setdefault(target, set()).add(action)
        for function, urls in url_targets.items():
            for url, alias in urls:
                missing = [a for a in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
                           if a not in granted.get((function, alias), set())]
                if missing:
                    where = f"{function} (alias {alias})" if alias else function
                    yield Violation("invoke-permission", url, f"CloudFront is not granted {', '.join(missing)} on "
                                    f"{where}, which the URL invokes: every request would be a 403")

    def origin_groups(self) -> Iterator[Violation]:
        for dist, props in self.of_type("AWS::CloudFront::Distribution"):
            config = props.get("DistributionConfig") or {}
            url_origins = {o.get("Id") for d, o, kind in self.origins() if d == dist and kind == "function-url"}
            if not url_origins:
                continue
            groups: dict[Any, dict[str, Any]] = {}
            for container in _branches(config.get("OriginGroups")):
                for group in _flatten_conditional_list((container or {}).get("Items")):
                    if isinstance(group, dict):
                        groups[group.get("Id")] = group
            failover_for: set[Any] = set()
            for group_id, group in groups.items():
                members = [m.get("OriginId") for m in _flatten_conditional_list((group.get("Members") or {}).get("Items"))
                           if isinstance(m, dict)]
                statuses = {int(s) for s in _flatten_conditional_list(
                    ((group.get("FailoverCriteria") or {}).get("StatusCodes") or {}).get("Items"))
                    if str(s).isdigit()}
                if members and members[0] in url_origins:
                    yield Violation("origin-group", dist, f"origin group {group_id} asks the Function URL "
                                    f"{members[0]} first: S3 must answer first, the generator only on a miss")
                if len(members) > 1 and members[1] in url_origins:
                    failover_for.add(members[1])
                    missing = sorted(set(FAILOVER_STATUSES) - statuses)
                    if missing:
                        yield Violation("origin-group", dist, f"origin group {group_id} does not fail over on "
                                        f"{', '.join(map(str, missing))}: a variant S3 lacks would never be rendered")
            for origin_id in sorted(url_origins - failover_for, key=str):
                yield Violation("origin-group", dist, f"Function URL origin {origin_id} is not the failover member of "
                                "an origin group")
            for _, behavior in self.behaviors():
                for target in _branches(behavior.get("TargetOriginId")):
                    if target in url_origins:
                        yield Violation("origin-group", dist, f"a behavior targets the Function URL origin {target} "
                                        "directly: every request, stored variant or not, would run the generator")

    def cache(self) -> Iterator[Violation]:
        for dist, behavior in self.behaviors():
            has_edge = bool(_flatten_conditional_list(behavior.get("LambdaFunctionAssociations")))
            if "ForwardedValues" in behavior:
                yield Violation("cache-key", dist, "legacy ForwardedValues; use a CachePolicyId")
            policy = _ref(behavior.get("CachePolicyId"))
            if self.type_of(policy) != "AWS::CloudFront::CachePolicy":
                yield Violation("cache-key", dist, f"CachePolicyId {_render(behavior.get('CachePolicyId'))} is not a "
                                "cache policy of this template")
            else:
                yield from self.cache_policy(policy)
            if has_edge:
                if behavior.get("Compress") not in (False, "false"):
                    yield Violation("behavior", dist, "Compress must be false (images are already compressed)")
                if behavior.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
                    yield Violation("behavior", dist, f"ViewerProtocolPolicy {behavior.get('ViewerProtocolPolicy')!r} "
                                    "allows plain HTTP")

    def cache_policy(self, name: str) -> Iterator[Violation]:
        props = self.resources[name].get("Properties") or {}
        key = (props.get("CachePolicyConfig") or {}).get("ParametersInCacheKeyAndForwardedToOrigin") or {}
        for part, field in (("QueryStringsConfig", "QueryStringBehavior"), ("HeadersConfig", "HeaderBehavior"),
                            ("CookiesConfig", "CookieBehavior")):
            value = (key.get(part) or {}).get(field)
            if value != "none":
                yield Violation("cache-key", name, f"{part}.{field} is {value!r}: the cache key must be the URI only")
        for flag in ("EnableAcceptEncodingGzip", "EnableAcceptEncodingBrotli"):
            if key.get(flag) not in (False, "false"):
                yield Violation("cache-key", name, f"{flag} must be false (images are not compressed)")


def rules_fired(violations: Iterable[Violation]) -> set[str]:
    return {v.rule for v in violations}
