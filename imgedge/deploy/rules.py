"""Lambda@Edge, regional-mode and support-function rules for a CloudFormation template (the output of the SAM
transform).

cfn-lint and the SAM translator know nothing of Lambda@Edge: they accept ``Runtime: python3.99``, a
misspelt ``EventType``, an unversioned ``!GetAtt Fn.Arn`` association, arm64, environment variables and
layers, all of which CloudFront refuses at deploy time (or, for IAM and bucket scope, accepts silently).
Nor do they know how a Function URL behind CloudFront must be locked down: ``AuthType: NONE``, a permission
without ``SourceArn``, a missing ``lambda:InvokeFunction`` (needed since October 2025) or an OAC of origin type
``s3`` in front of it all pass them.
``check(template)`` returns every violation of the rules below; an empty list means the template passes.

A template with a ``Mode`` parameter is checked once per allowed value, with the conditions that depend on
it resolved (``imgedge.deploy.conditions``). Every function is one of three kinds:

* an edge function: a distribution associates one of its versions; it gets the Lambda@Edge rules;
* a regional generator: the target of a Function URL; it gets the regional ones;
* a regional event function: neither, but an event source of this template invokes it (an S3 notification,
  an event source mapping, an EventBridge rule or schedule, an SNS subscription, a log subscription filter),
  such as the purge function. It may have environment variables and run arm64; its role is trusted by
  ``lambda.amazonaws.com`` alone and may only list and delete variants (``_variants/``) and invalidate this
  template's distribution; when a service invokes it asynchronously, what fails every retry goes to a queue or
  topic of this template that its role may write to.

A function of none of these kinds is reported (``versioned-association``) and checked as an edge function. IAM
policies are checked by the kind of role they are attached to; a role trusted only by
``firehose.amazonaws.com`` may write a bucket no CloudFront origin reads (a log bucket) under fixed prefixes.

The rules encode the limits in ``shared/docs/lambda-edge.md`` §1 (quotas by event type, runtime and feature
restrictions), §2.3 (Function URL origin with OAC, permissions) and this project's own least-privilege and
caching choices (issues 5 and 9).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Iterable, Iterator, Mapping

from . import VARIANTS_PREFIX
from .conditions import resolve_conditions

#: Rule id -> what it requires. Every id is proven to fire by a broken template in tests/deploy.
RULES: dict[str, str] = {
    "region": "the template asserts (Rules) that it deploys in us-east-1, where Lambda@Edge functions must live",
    "dependency-cycle": "no resources depend on each other in a cycle (Ref, GetAtt, Sub, DependsOn) once SAM has "
    "transformed the template: cfn-lint no longer runs the transform, so it misses the cycle an S3 event closes "
    "when its function or the function's role names the bucket (the bucket DependsOn the function's permission)",
    "runtime": "every function's Runtime (edge, generator or event function) is python3.12 or python3.13 (Amazon "
    "Linux 2023; the wheels are manylinux_2_28)",
    "architecture": "every function is x86_64 (Lambda@Edge refuses arm64)",
    "no-environment": "no function sets Environment (Lambda@Edge has no environment variables)",
    "no-layers": "no function uses Layers (Lambda@Edge refuses them)",
    "unsupported-feature": "no VPC, dead-letter queue, X-Ray tracing, ephemeral storage > 512 MB, container "
    "image, pinned runtime management, file systems, reserved or provisioned concurrency",
    "versioned-association": "every LambdaFunctionARN names a published AWS::Lambda::Version of the template "
    "(!Ref Fn.Version), not $LATEST, an alias or !GetAtt Fn.Arn; every function is associated, unless a Function "
    "URL or an event source of the template invokes it",
    "version-lifecycle": "associated versions are retained on deletion and replacement (rollback targets; "
    "replicated versions cannot be deleted at once), and every parameter a function's properties use also "
    "appears in its version's Description, so changing it publishes a new version instead of only "
    "updating $LATEST, which CloudFront never runs",
    "event-type": "every EventType is viewer-request, viewer-response, origin-request or origin-response, at "
    "most one per event type and behavior, IncludeBody only on request events",
    "viewer-limits": "functions on viewer events have MemorySize <= 128 MB and Timeout <= 5 s",
    "origin-limits": "functions on origin events have Timeout <= 30 s and MemorySize <= 3008 MB "
    "(parameters bounded by MaxValue)",
    "role-trust": "every function's role is in the template; edge functions' roles are trusted by "
    "lambda.amazonaws.com and edgelambda.amazonaws.com, regional functions' (generator, event functions) by "
    "lambda.amazonaws.com and nothing else",
    "s3-iam-scope": "IAM grants no s3:* (or other S3 wildcard), no S3 action on Resource *, no NotAction, no "
    "managed S3 policy, and S3 writes only under arn:...:bucket/_variants/*; an event function's role only "
    "s3:ListBucket limited (s3:prefix) to _variants/ and s3:DeleteObject under _variants/ (no reads, no "
    "writes); a role trusted only by firehose.amazonaws.com only the S3 actions Firehose delivery uses, on a "
    "bucket of the template that no CloudFront origin reads, writing only under fixed prefixes (<bucket>/<prefix>/*)",
    "cloudfront-iam-scope": "only event functions' roles act on CloudFront, only with cloudfront:CreateInvalidation "
    "and only on a distribution of this template",
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
    "scoped by SourceArn to a distribution of this template; only CloudFront may invoke a Function URL's function; "
    "other services' are scoped by SourceAccount or SourceArn (S3's by SourceAccount: bucket ARNs name no account)",
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
    # -- regional event functions: support functions such as the purge (issue 8) --
    "event-function": "a function invoked by an event source of this template (and by no distribution or "
    "Function URL) runs x86_64 or arm64, MemorySize <= 10240 MB, Timeout <= 900 s (parameters bounded by "
    "MaxValue), and each S3 notification, EventBridge rule, SNS subscription or log subscription filter that "
    "invokes it has a Lambda permission for its service on what it invokes",
    "event-failure": "an event function a service invokes asynchronously (S3, EventBridge, SNS, CloudWatch Logs) "
    "has an on-failure destination (EventInvokeConfig DestinationConfig.OnFailure or DeadLetterConfig) that is an "
    "SQS queue or SNS topic of this template, and its role may send there (sqs:SendMessage, sns:Publish): "
    "otherwise an event that fails Lambda's retries is dropped without a trace",
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
LAMBDA_MAX_TIMEOUT = 900
FIREHOSE_PRINCIPAL = "firehose.amazonaws.com"
#: What a Firehose delivery role needs on its destination bucket (AWS: "Grant Firehose access to an Amazon S3
#: destination"); the writes among them are PutObject and AbortMultipartUpload.
FIREHOSE_S3_ACTIONS = ("s3:abortmultipartupload", "s3:getbucketlocation", "s3:getobject", "s3:listbucket",
                       "s3:listbucketmultipartuploads", "s3:putobject")
#: Where an event function's failed asynchronous invocations may go, and the action its role needs there.
FAILURE_DESTINATIONS = {"AWS::SQS::Queue": "sqs:sendmessage", "AWS::SNS::Topic": "sns:publish"}
#: An event function's S3 rights: list and delete variants, nothing else.
EVENT_S3_ACTIONS = ("s3:listbucket", "s3:deleteobject")
INVALIDATION_ACTION = "cloudfront:createinvalidation"
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
        #: role logical id -> the kinds of function that use it ("edge", "generator", "event"); set by ``run``.
        self.role_kinds: dict[str, set[str]] = {}

    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield name, resource.get("Properties") or {}

    def type_of(self, name: str | None) -> str | None:
        resource = self.resources.get(name or "")
        return resource.get("Type") if isinstance(resource, dict) else None

    def run(self) -> Iterator[Violation]:
        yield from self.region()
        yield from self.cycles()
        edge_events = yield from self.associations()
        url_targets = self.function_url_targets()
        event_sources = self.event_sources()
        for name, props in self.of_type("AWS::Lambda::Function"):
            if name in url_targets:
                self.role_kinds.setdefault(_ref(props.get("Role")) or "", set()).add("generator")
                yield from self.regional_function(name, props, url_targets[name], edge_events.get(name, set()))
                continue
            if name not in edge_events and name in event_sources:
                self.role_kinds.setdefault(_ref(props.get("Role")) or "", set()).add("event")
                yield from self.event_function(name, props, event_sources[name])
                continue
            if name not in edge_events:
                yield Violation("versioned-association", name, "no distribution runs a version of this function and "
                                "no Function URL or event source of this template invokes it (its kind, hence its "
                                "limits, is unknown)")
            self.role_kinds.setdefault(_ref(props.get("Role")) or "", set()).add("edge")
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

    # -- dependencies -------------------------------------------------------------------------------------
    def cycles(self) -> Iterator[Violation]:
        """Each dependency cycle once, reported on its alphabetically first resource."""
        graph = {name: sorted({ref for ref in _refs_in({k: v for k, v in resource.items() if k != "DependsOn"})
                               if ref in self.resources and ref != name} | set(_as_list(resource.get("DependsOn"))))
                 for name, resource in self.resources.items() if isinstance(resource, dict)}
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
        for cycle in sorted(found):
            yield Violation("dependency-cycle", cycle[0], "circular dependency: " + " -> ".join(cycle + cycle[:1]) +
                            " (CloudFormation refuses the template)")

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

    def role_trust(self, function: str, role_value: Any, principals: tuple[str, ...] = EDGE_PRINCIPALS,
                   exact: bool = False) -> Iterator[Violation]:
        """The role is this template's and trusted by ``principals`` (with ``exact``, by nothing else)."""
        role = _ref(role_value)
        if self.type_of(role) != "AWS::IAM::Role":
            yield Violation("role-trust", function, f"role {_render(role_value)} is not a role of this template")
            return
        missing = [p for p in principals if p not in self.trusted_by(role, assume_only=True)]
        if missing:
            yield Violation("role-trust", role, f"trust policy lacks {', '.join(missing)} (used by {function})")
        extra = sorted(self.trusted_by(role) - set(principals))
        if exact and extra:
            yield Violation("role-trust", role, f"trust policy also trusts {', '.join(extra)}: {function} is a "
                            f"regional function, its role is for {', '.join(principals)} alone")

    def trusted_by(self, role: str, assume_only: bool = False) -> set[str]:
        """Who the trust policy of ``role`` allows any sts action (with ``assume_only``, sts:AssumeRole): service
        names, and ``AWS:<x>`` / ``Federated:<x>`` / ``*`` for other principals."""
        document = (self.resources[role].get("Properties") or {}).get("AssumeRolePolicyDocument") or {}
        trusted: set[str] = set()
        for statement in _as_list(document.get("Statement")):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in _as_list(statement.get("Action"))]
            if "sts:AssumeRole" not in actions if assume_only else \
                    not any(a == "*" or a.lower().startswith("sts:") for a in actions):
                continue
            principal = statement.get("Principal")
            if not isinstance(principal, dict):
                trusted.add("*")
                continue
            for kind, values in principal.items():
                for value in _as_list(values):
                    trusted.add(str(value) if kind == "Service" else f"{kind}:{_render(value)}")
        return trusted

    # -- IAM ----------------------------------------------------------------------------------------------
    def policy_documents(self) -> Iterator[tuple[str, Any, set[str]]]:
        """(resource to report, policy document, the roles of this template it applies to)."""
        attached: dict[str, set[str]] = {}  # managed policy of this template -> roles naming it in ManagedPolicyArns
        for name, props in self.of_type("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            roles = {name} if self.type_of(name) == "AWS::IAM::Role" else set()
            for policy in _flatten_conditional_list(props.get("Policies")):
                if isinstance(policy, dict):
                    yield name, policy.get("PolicyDocument"), roles
            for arn in _flatten_conditional_list(props.get("ManagedPolicyArns")):
                if self.type_of(_ref(arn)) == "AWS::IAM::ManagedPolicy":
                    attached.setdefault(_ref(arn) or "", set()).update(roles)
                    continue
                text = _render(arn)
                if re.search(r"S3|AdministratorAccess|PowerUserAccess", text, re.IGNORECASE):
                    yield name, {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                "_managed": text}]}, roles
        for name, props in self.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            named = _flatten_conditional_list(props.get("Roles")) + [props.get("RoleName")]
            roles = {role for role in map(_ref, named) if self.type_of(role) == "AWS::IAM::Role"}
            yield name, props.get("PolicyDocument"), roles | attached.get(name, set())

    def role_kind(self, role: str) -> set[str]:
        """What a role is for: the kinds of function using it ("edge", "generator", "event"), else "firehose"
        for a role trusted by firehose.amazonaws.com alone, else "other"."""
        kinds = set(self.role_kinds.get(role, set()))
        if not kinds and self.trusted_by(role) == {FIREHOSE_PRINCIPAL}:
            kinds.add("firehose")
        return kinds or {"other"}

    def cloudfront_buckets(self) -> set[str]:
        """Buckets of this template a CloudFront origin reads (named by an origin, or readable by CloudFront)."""
        buckets = {n for n, _ in self.of_type("AWS::S3::Bucket")}
        read = {ref for _, origin, _ in self.origins() for ref in _refs_in(origin.get("DomainName"))} & buckets
        for _, props in self.of_type("AWS::S3::BucketPolicy"):
            for statement in _as_list((props.get("PolicyDocument") or {}).get("Statement")):
                principal = statement.get("Principal") if isinstance(statement, dict) else None
                if statement.get("Effect") == "Allow" and (principal == "*" or CLOUDFRONT_PRINCIPAL in _as_list(
                        principal.get("Service") if isinstance(principal, dict) else None)):
                    read |= set(_refs_in(props.get("Bucket"))) & buckets
        return read

    def iam(self) -> Iterator[Violation]:
        served = self.cloudfront_buckets()
        for name, document, roles in self.policy_documents():
            kinds = set().union(*(self.role_kind(role) for role in roles)) if roles else {"other"}
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
                yield from self.cloudfront_scope(name, statement, actions, kinds)
                s3_actions = [a for a in actions if a == "*" or a.lower().startswith("s3:")]
                if not s3_actions:
                    continue
                for action in s3_actions:
                    if "*" in action or "?" in action:
                        yield Violation("s3-iam-scope", name, f"wildcard action {action}")
                values = _flatten_conditional_list(statement.get("Resource"))
                resources = [_render(r) for r in values]
                if "*" in resources or not resources:
                    yield Violation("s3-iam-scope", name, f"{', '.join(s3_actions)} on Resource *")
                    continue
                for resource in resources:
                    if "*" in resource.split("/", 1)[0] or "?" in resource.split("/", 1)[0]:
                        yield Violation("s3-iam-scope", name, f"{', '.join(s3_actions)} on {resource}: any bucket")
                if kinds & {"edge", "generator", "other"}:
                    yield from self.variant_writes(name, s3_actions, resources)
                if "event" in kinds:
                    yield from self.event_s3_scope(name, statement, s3_actions, resources)
                if "firehose" in kinds:
                    yield from self.firehose_s3_scope(name, s3_actions, values, served)

    def variant_writes(self, name: str, s3_actions: list[str], resources: list[str]) -> Iterator[Violation]:
        """Edge functions, the generator and any other role: S3 writes only under ``<bucket ARN>/_variants/*``."""
        suffix = f"/{VARIANTS_PREFIX}/*"
        writes = [a for a in s3_actions if a.lower().split(":", 1)[-1].startswith(_S3_WRITE_VERBS)]
        for resource in resources if writes else []:
            head = resource[: -len(suffix)]
            if not resource.endswith(suffix) or "*" in head or "?" in head or not head:
                yield Violation("s3-iam-scope", name, f"{', '.join(writes)} on {resource}: writes must be "
                                f"limited to <bucket ARN>{suffix}")

    def event_s3_scope(self, name: str, statement: dict[str, Any], s3_actions: list[str],
                       resources: list[str]) -> Iterator[Violation]:
        """An event function's role: s3:ListBucket limited to ``_variants/`` and s3:DeleteObject under it."""
        suffix = f"/{VARIANTS_PREFIX}/*"
        for action in s3_actions:
            if action.lower() not in EVENT_S3_ACTIONS and "*" not in action and "?" not in action:
                yield Violation("s3-iam-scope", name, f"{action}: an event function's role may only list "
                                f"(s3:ListBucket) and delete (s3:DeleteObject) variants under {VARIANTS_PREFIX}/")
        lowered = {a.lower() for a in s3_actions}
        if "s3:deleteobject" in lowered:
            for resource in resources:
                head = resource[: -len(suffix)]
                if "/" in resource and (not resource.endswith(suffix) or "*" in head or "?" in head or not head):
                    yield Violation("s3-iam-scope", name, f"s3:DeleteObject on {resource}: an event function may "
                                    f"delete only under <bucket ARN>{suffix}, never an original")
        if "s3:listbucket" in lowered:
            condition = statement.get("Condition") or {}
            prefixes = [str(p) for op in ("StringLike", "StringEquals")
                        for p in _as_list((condition.get(op) or {}).get("s3:prefix"))]
            if not prefixes or any(not p.startswith(f"{VARIANTS_PREFIX}/") for p in prefixes):
                yield Violation("s3-iam-scope", name, f"s3:ListBucket not limited by a Condition on s3:prefix to "
                                f"{VARIANTS_PREFIX}/ (StringLike or StringEquals): the event function could list "
                                "the originals")

    def firehose_s3_scope(self, name: str, s3_actions: list[str], values: list[Any],
                          served: set[str]) -> Iterator[Violation]:
        """A role only Firehose assumes: its delivery actions, on a bucket no CloudFront origin reads, writing
        under fixed prefixes."""
        for action in s3_actions:
            if action.lower() not in FIREHOSE_S3_ACTIONS and "*" not in action and "?" not in action:
                yield Violation("s3-iam-scope", name, f"{action}: Firehose delivery needs only "
                                "s3:AbortMultipartUpload, GetBucketLocation, GetObject, ListBucket, "
                                "ListBucketMultipartUploads and PutObject")
        writes = [a for a in s3_actions if a.lower().split(":", 1)[-1].startswith(_S3_WRITE_VERBS)]
        for value in values:
            resource = _render(value)
            buckets = {ref for ref in _refs_in(value) if self.type_of(ref) == "AWS::S3::Bucket"}
            if buckets & served:
                yield Violation("s3-iam-scope", name, f"{', '.join(s3_actions)} on {resource}: "
                                f"{', '.join(sorted(buckets & served))} is read by CloudFront; a log delivery role "
                                "may only use a bucket no CloudFront origin reads")
                continue
            if len(buckets) != 1:
                yield Violation("s3-iam-scope", name, f"{', '.join(s3_actions)} on {resource}: not one bucket of "
                                "this template (a log bucket no CloudFront origin reads)")
                continue
            if writes:
                _, _, rest = resource.partition("/")
                prefix = rest[:-2] if rest.endswith("/*") else ""
                if not prefix or "*" in prefix or "?" in prefix:
                    yield Violation("s3-iam-scope", name, f"{', '.join(writes)} on {resource}: log writes must be "
                                    "limited to a fixed prefix, <bucket ARN>/<prefix>/*")

    def cloudfront_scope(self, name: str, statement: dict[str, Any], actions: list[str],
                         kinds: set[str]) -> Iterator[Violation]:
        granted = [a for a in actions if a == "*" or a.lower().startswith("cloudfront:")]
        if not granted:
            return
        for action in granted:
            if action.lower() != INVALIDATION_ACTION:
                yield Violation("cloudfront-iam-scope", name, f"{action}: the only CloudFront action a role may have "
                                "is cloudfront:CreateInvalidation")
        if kinds != {"event"}:
            yield Violation("cloudfront-iam-scope", name, f"{', '.join(granted)} for a role that is not (only) an "
                            f"event function's ({', '.join(sorted(kinds))})")
        distributions = {n for n, _ in self.of_type("AWS::CloudFront::Distribution")}
        resources = [_render(r) for r in _flatten_conditional_list(statement.get("Resource"))]
        for resource in resources or ["*"]:
            match = re.search(r":distribution/\$\{([^}.]+)\}$", resource)
            if not match or match.group(1) not in distributions:
                yield Violation("cloudfront-iam-scope", name, f"{', '.join(granted)} on {resource}: not a "
                                "distribution of this template")

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
        yield from self.role_trust(name, props.get("Role"), REGIONAL_PRINCIPALS, exact=True)
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

    # -- regional event functions (support functions: the purge) -------------------------------------------
    def event_sources(self) -> dict[str, list[tuple[str, str | None, tuple[str | None, str | None]]]]:
        """{function logical id: [(source resource, service that invokes it or None, (function, qualifier) it
        names)]}: what in this template invokes each function besides CloudFront. ``None``: the source is
        polled by Lambda itself (event source mappings) or invokes through a role (EventBridge Scheduler)."""
        found: dict[str, list[tuple[str, str | None, tuple[str | None, str | None]]]] = {}

        def add(source: str, value: Any, service: str | None) -> None:
            for branch in _branches(value):
                target = self.lambda_target(branch)
                if target[0] and self.type_of(target[0]) == "AWS::Lambda::Function":
                    found.setdefault(target[0], []).append((source, service, target))

        for name, props in self.of_type("AWS::S3::Bucket"):
            for config in _branches(props.get("NotificationConfiguration")):
                for item in _flatten_conditional_list((config or {}).get("LambdaConfigurations")):
                    if isinstance(item, dict):
                        add(name, item.get("Function"), "s3.amazonaws.com")
        for name, props in self.of_type("AWS::Lambda::EventSourceMapping"):
            add(name, props.get("FunctionName"), None)
        for name, props in self.of_type("AWS::Events::Rule"):
            for item in _flatten_conditional_list(props.get("Targets")):
                if isinstance(item, dict):
                    add(name, item.get("Arn"), "events.amazonaws.com")
        for name, props in self.of_type("AWS::Scheduler::Schedule"):
            add(name, (props.get("Target") or {}).get("Arn"), None)
        subscriptions = [(n, p) for n, p in self.of_type("AWS::SNS::Subscription")]
        subscriptions += [(n, s) for n, p in self.of_type("AWS::SNS::Topic")
                          for s in _flatten_conditional_list(p.get("Subscription")) if isinstance(s, dict)]
        for name, props in subscriptions:
            if props.get("Protocol") == "lambda":
                add(name, props.get("Endpoint"), "sns.amazonaws.com")
        for name, props in self.of_type("AWS::Logs::SubscriptionFilter"):
            add(name, props.get("DestinationArn"), "logs.amazonaws.com")
        return found

    def service_grants(self) -> dict[tuple[str | None, str | None], set[str]]:
        """{(function, qualifier): services granted lambda:InvokeFunction on it (``logs.<region>.amazonaws.com``
        counted as ``logs.amazonaws.com``)}."""
        grants: dict[tuple[str | None, str | None], set[str]] = {}
        for _, props in self.of_type("AWS::Lambda::Permission"):
            principal = props.get("Principal")
            if props.get("Action") == "lambda:InvokeFunction" and isinstance(principal, str):
                service = re.sub(r"^([a-z0-9-]+)\.[a-z]{2}(-[a-z]+)+-[0-9]\.amazonaws\.com$", r"\1.amazonaws.com",
                                 principal)
                grants.setdefault(self.lambda_target(props.get("FunctionName")), set()).add(service)
        return grants

    def event_function(self, name: str, props: dict[str, Any],
                       sources: list[tuple[str, str | None, tuple[str | None, str | None]]]) -> Iterator[Violation]:
        runtime = props.get("Runtime")
        if runtime not in EDGE_RUNTIMES:
            yield Violation("runtime", name, f"Runtime {runtime!r} is not one of {', '.join(EDGE_RUNTIMES)}")
        architectures = props.get("Architectures", ["x86_64"])
        if architectures not in REGIONAL_ARCHITECTURES:
            yield Violation("event-function", name, f"Architectures {architectures!r}: x86_64 or arm64")
        memory, memory_text = self.number_bound(props.get("MemorySize"), LAMBDA_DEFAULT_MEMORY)
        if memory is None or memory > LAMBDA_MAX_MEMORY:
            yield Violation("event-function", name, f"MemorySize {memory_text} exceeds {LAMBDA_MAX_MEMORY} MB")
        timeout, timeout_text = self.number_bound(props.get("Timeout"), LAMBDA_DEFAULT_TIMEOUT)
        if timeout is None or timeout > LAMBDA_MAX_TIMEOUT:
            yield Violation("event-function", name, f"Timeout {timeout_text} exceeds {LAMBDA_MAX_TIMEOUT} s")
        grants = self.service_grants()
        for source, service, target in sources:
            if service and service not in grants.get(target, set()):
                where = f"{name} (alias {target[1]})" if target[1] else name
                yield Violation("event-function", source, f"invokes {where} but no AWS::Lambda::Permission lets "
                                f"{service} do so: the deployment fails (S3: 'Unable to validate the following "
                                "destination configurations') or the events are dropped")
        yield from self.failure_destination(name, props, sources)
        yield from self.role_trust(name, props.get("Role"), REGIONAL_PRINCIPALS, exact=True)

    def failure_destination(self, name: str, props: dict[str, Any],
                            sources: list[tuple[str, str | None, tuple[str | None, str | None]]]) -> Iterator[Violation]:
        """A pushed (asynchronous) invocation that fails its retries must land somewhere this template owns and
        the function's role may write to. Polled sources (event source mappings) keep failures with the source."""
        if not any(service for _, service, _ in sources):
            return
        targets = [(props.get("DeadLetterConfig") or {}).get("TargetArn")]
        for _, config in self.of_type("AWS::Lambda::EventInvokeConfig"):
            if self.lambda_target(config.get("FunctionName"))[0] == name:
                targets.append(((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
        destinations = [ref for ref in map(_ref, targets) if self.type_of(ref) in FAILURE_DESTINATIONS]
        if not destinations:
            yield Violation("event-failure", name, "invoked asynchronously without an on-failure destination (an "
                            "SQS queue or SNS topic of this template in EventInvokeConfig or DeadLetterConfig): an "
                            "event that fails every retry is dropped")
            return
        role = _ref(props.get("Role")) or ""
        for destination in destinations:
            action = FAILURE_DESTINATIONS[self.type_of(destination) or ""]
            if not self.role_allows(role, action, destination):
                yield Violation("event-failure", name, f"its role is not allowed {action} on {destination}: the "
                                "failed events would be lost (SAM adds no permission to an explicit role)")

    def role_allows(self, role: str, action: str, resource: str) -> bool:
        """Whether an Allow statement of ``role``'s policies grants ``action`` (lowercase) on the logical id
        ``resource`` (or on ``*``)."""
        for _, document, roles in self.policy_documents():
            if role not in roles:
                continue
            for statement in _as_list((document or {}).get("Statement")):
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
                resources = _as_list(statement.get("Resource"))
                if any(fnmatch.fnmatchcase(action, a) for a in actions) and \
                        ("*" in resources or resource in _refs_in(resources)):
                    return True
        return False

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
            if not public and principal != CLOUDFRONT_PRINCIPAL and str(principal).endswith(".amazonaws.com"):
                if str(principal).startswith("s3.") and not props.get("SourceAccount"):
                    yield Violation("invoke-scope", name, f"{principal} without SourceAccount: a bucket of another "
                                    "account (bucket ARNs name no account, names are reused) could invoke the function")
                elif not props.get("SourceAccount") and not props.get("SourceArn"):
                    yield Violation("invoke-scope", name, f"{principal} without SourceArn or SourceAccount: any "
                                    "account's resources of that service could invoke the function")
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
