"""One deployment's CloudFormation (SAM translated, one ``Mode`` resolved) as the rules see it: what kind
each function is, what invokes it, which roles serve which functions, the origins and behaviours.

Every function is one of three kinds, and the rules hold it to that kind's limits:

* ``edge``: a distribution associates one of its versions (the Lambda@Edge rules);
* ``generator``: the target of a Function URL (the regional rules);
* ``event``: neither, but an event source of this template invokes it (an S3 notification, an event source
  mapping, an EventBridge rule or schedule, an SNS subscription, a log subscription filter), such as the purge.

A function of none of these kinds is ``unknown``: reported, and held to the edge rules.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterator

from tooling.cfn_rules._values import as_list, branches, items, ref, refs_in, render, statements

EVENT_TYPES = ("viewer-request", "viewer-response", "origin-request", "origin-response")
LAMBDA_DEFAULT_MEMORY, LAMBDA_DEFAULT_TIMEOUT = 128, 3
#: CloudFront's default OriginReadTimeout for custom origins.
DEFAULT_ORIGIN_READ_TIMEOUT = 30
FIREHOSE_PRINCIPAL = "firehose.amazonaws.com"
CLOUDFRONT_PRINCIPAL = "cloudfront.amazonaws.com"
_VERSION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:us-east-1:[0-9]{12}:function:[A-Za-z0-9_-]+:[0-9]+$")

Target = tuple  # (function logical id or None, alias/qualifier or None)


class Model:
    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.resources: dict[str, dict[str, Any]] = template.get("Resources") or {}
        self.parameters: dict[str, dict[str, Any]] = template.get("Parameters") or {}
        #: (distribution, event type, LambdaFunctionARN value) for every association, every branch.
        self.associations = [(dist, assoc.get("EventType"), arn, assoc)
                             for dist, behavior in self.behaviors()
                             for assoc in items(behavior.get("LambdaFunctionAssociations")) if isinstance(assoc, dict)
                             for arn in branches(assoc.get("LambdaFunctionARN"))]
        self.edge_events: dict[str, set[str]] = {}
        for _, event, arn, _ in self.associations:
            function, _ = self.version_target(arn)
            if function:
                self.edge_events.setdefault(function, set()).update({event} & set(EVENT_TYPES))
        self.url_targets = self.function_url_targets()
        self.event_sources = self.find_event_sources()
        #: function logical id -> "edge", "generator", "event" or "unknown".
        self.kinds: dict[str, str] = {}
        self.role_kinds: dict[str, set[str]] = {}
        for name, props in self.of_type("AWS::Lambda::Function"):
            if name in self.url_targets:
                kind = "generator"
            elif name in self.edge_events:
                kind = "edge"
            else:
                kind = "event" if name in self.event_sources else "unknown"
            self.kinds[name] = kind
            role_kind = "edge" if kind == "unknown" else kind
            self.role_kinds.setdefault(ref(props.get("Role")) or "", set()).add(role_kind)

    # -- lookups ---------------------------------------------------------------------------------------
    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield name, resource.get("Properties") or {}

    def type_of(self, name: str | None) -> str | None:
        resource = self.resources.get(name or "")
        return resource.get("Type") if isinstance(resource, dict) else None

    def props(self, name: str) -> dict[str, Any]:
        return self.resources[name].get("Properties") or {}

    def functions(self, *kinds: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, props in self.of_type("AWS::Lambda::Function"):
            if self.kinds[name] in kinds:
                yield name, props

    def number_bound(self, value: Any, default: float) -> tuple[float | None, str]:
        """The largest value a property may take: literal, or a Number parameter's MaxValue/AllowedValues."""
        if value is None:
            return default, f"{default:g}"
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            return float(value), str(value)
        name = ref(value) if isinstance(value, dict) and "Ref" in value else None
        param = self.parameters.get(name or "")
        if param is None:
            return None, render(value)
        candidates = [param.get("Default")]
        if param.get("AllowedValues"):
            candidates += list(param["AllowedValues"])
        elif param.get("MaxValue") is not None:
            candidates.append(param["MaxValue"])
        else:
            return None, f"parameter {name} (no MaxValue)"
        numbers = [float(c) for c in candidates if c is not None]
        return (max(numbers) if numbers else None), f"parameter {name} (up to {max(numbers):g})"

    def over_limits(self, props: dict[str, Any], max_memory: float, max_timeout: float,
                    timeout_limit: str = "") -> Iterator[str]:
        """Why a function's MemorySize or Timeout (at their largest) may exceed the limits of its kind."""
        memory, memory_text = self.number_bound(props.get("MemorySize"), LAMBDA_DEFAULT_MEMORY)
        if memory is None or memory > max_memory:
            yield f"MemorySize {memory_text} exceeds {max_memory:g} MB"
        timeout, timeout_text = self.number_bound(props.get("Timeout"), LAMBDA_DEFAULT_TIMEOUT)
        if timeout is None or timeout > max_timeout:
            yield f"Timeout {timeout_text} exceeds {timeout_limit or f'{max_timeout:g} s'}"

    # -- CloudFront ------------------------------------------------------------------------------------
    def distributions(self) -> set[str]:
        return {name for name, _ in self.of_type("AWS::CloudFront::Distribution")}

    def behaviors(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, props in self.of_type("AWS::CloudFront::Distribution"):
            config = props.get("DistributionConfig") or {}
            for behavior in branches(config.get("DefaultCacheBehavior")):
                if isinstance(behavior, dict):
                    yield name, behavior
            for behavior in items(config.get("CacheBehaviors")):
                if isinstance(behavior, dict):
                    yield name, behavior

    def origins(self) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(distribution, origin, kind) for every origin: kind is ``s3``, ``function-url`` or ``custom``."""
        for name, props in self.of_type("AWS::CloudFront::Distribution"):
            for origin in items((props.get("DistributionConfig") or {}).get("Origins")):
                if isinstance(origin, dict):
                    yield name, origin, self.origin_kind(origin)

    def origin_kind(self, origin: dict[str, Any]) -> str:
        if "S3OriginConfig" in origin:
            return "s3"
        domain = origin.get("DomainName")
        if any(self.type_of(r) == "AWS::Lambda::Url" for r in refs_in(domain)) or ".lambda-url." in render(domain):
            return "function-url"
        return "custom"

    def read_timeouts(self, urls: set[str]) -> list[float]:
        """The OriginReadTimeout of every origin that reaches one of the Function URLs ``urls``."""
        timeouts = []
        for _, origin, kind in self.origins():
            if kind == "function-url" and set(refs_in(origin.get("DomainName"))) & urls:
                value = (origin.get("CustomOriginConfig") or {}).get("OriginReadTimeout", DEFAULT_ORIGIN_READ_TIMEOUT)
                bound, _ = self.number_bound(value, DEFAULT_ORIGIN_READ_TIMEOUT)
                timeouts.append(bound if bound is not None else DEFAULT_ORIGIN_READ_TIMEOUT)
        return timeouts

    def cloudfront_buckets(self) -> set[str]:
        """Buckets of this template a CloudFront origin reads (named by an origin, or readable by CloudFront)."""
        buckets = {n for n, _ in self.of_type("AWS::S3::Bucket")}
        read = {r for _, origin, _ in self.origins() for r in refs_in(origin.get("DomainName"))} & buckets
        for _, props in self.of_type("AWS::S3::BucketPolicy"):
            for statement in statements(props.get("PolicyDocument")):
                principal = statement.get("Principal")
                if principal == "*" or CLOUDFRONT_PRINCIPAL in as_list(
                        principal.get("Service") if isinstance(principal, dict) else None):
                    read |= set(refs_in(props.get("Bucket"))) & buckets
        return read

    # -- Lambda: versions, targets, invokers -----------------------------------------------------------
    def version_target(self, arn: Any) -> tuple[str | None, str | None]:
        """(function logical id, problem) for one LambdaFunctionARN value."""
        if isinstance(arn, str):
            if _VERSION_ARN.match(arn):
                return None, None
            return None, f"{arn!r} is not a numbered version ARN of a us-east-1 function"
        target = ref(arn)
        kind = self.type_of(target)
        if isinstance(arn, dict) and "Ref" in arn and kind == "AWS::Lambda::Version":
            function = ref(self.props(target).get("FunctionName"))
            if self.type_of(function) != "AWS::Lambda::Function":
                return None, f"version {target} does not belong to a function of this template"
            return function, None
        if kind == "AWS::Lambda::Function":
            return target, f"{target} is referenced unversioned ($LATEST); use !Ref {target}.Version"
        if kind == "AWS::Lambda::Alias":
            return None, f"{target} is an alias; CloudFront needs a numbered version"
        if target in self.parameters:
            return None, f"parameter {target} cannot be checked to be a numbered version"
        return None, f"{render(arn)} does not reference an AWS::Lambda::Version"

    def lambda_target(self, value: Any, qualifier: Any = None) -> Target:
        """(function logical id, alias name or None) that a FunctionName/TargetFunctionArn value names."""
        target = ref(value)
        kind = self.type_of(target)
        if kind == "AWS::Lambda::Alias":
            props = self.props(target)
            return ref(props.get("FunctionName")), str(props.get("Name")) if props.get("Name") else target
        if kind == "AWS::Lambda::Version":
            return ref(self.props(target).get("FunctionName")), f"version {target}"
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

    def find_event_sources(self) -> dict[str, list[tuple[str, str | None, Target]]]:
        """{function: [(source resource, service that invokes it or None, (function, qualifier) it names)]}: what
        in this template invokes each function besides CloudFront. ``None``: the source is polled by Lambda
        itself (event source mappings) or invokes through a role (EventBridge Scheduler)."""
        found: dict[str, list[tuple[str, str | None, Target]]] = {}

        def add(source: str, value: Any, service: str | None) -> None:
            for branch in branches(value):
                target = self.lambda_target(branch)
                if target[0] and self.type_of(target[0]) == "AWS::Lambda::Function":
                    found.setdefault(target[0], []).append((source, service, target))

        for name, props in self.of_type("AWS::S3::Bucket"):
            for config in branches(props.get("NotificationConfiguration")):
                for item in items((config or {}).get("LambdaConfigurations")):
                    if isinstance(item, dict):
                        add(name, item.get("Function"), "s3.amazonaws.com")
        for name, props in self.of_type("AWS::Lambda::EventSourceMapping"):
            add(name, props.get("FunctionName"), None)
        for name, props in self.of_type("AWS::Events::Rule"):
            for item in items(props.get("Targets")):
                if isinstance(item, dict):
                    add(name, item.get("Arn"), "events.amazonaws.com")
        for name, props in self.of_type("AWS::Scheduler::Schedule"):
            add(name, (props.get("Target") or {}).get("Arn"), None)
        subscriptions = list(self.of_type("AWS::SNS::Subscription"))
        subscriptions += [(n, s) for n, p in self.of_type("AWS::SNS::Topic")
                          for s in items(p.get("Subscription")) if isinstance(s, dict)]
        for name, props in subscriptions:
            if props.get("Protocol") == "lambda":
                add(name, props.get("Endpoint"), "sns.amazonaws.com")
        for name, props in self.of_type("AWS::Logs::SubscriptionFilter"):
            add(name, props.get("DestinationArn"), "logs.amazonaws.com")
        return found

    def service_grants(self) -> dict[Target, set[str]]:
        """{(function, qualifier): services granted lambda:InvokeFunction on it (``logs.<region>.amazonaws.com``
        counted as ``logs.amazonaws.com``)}."""
        grants: dict[Target, set[str]] = {}
        for _, props in self.of_type("AWS::Lambda::Permission"):
            principal = props.get("Principal")
            if props.get("Action") == "lambda:InvokeFunction" and isinstance(principal, str):
                service = re.sub(r"^([a-z0-9-]+)\.[a-z]{2}(-[a-z]+)+-[0-9]\.amazonaws\.com$", r"\1.amazonaws.com",
                                 principal)
                grants.setdefault(self.lambda_target(props.get("FunctionName")), set()).add(service)
        return grants

    # -- IAM -------------------------------------------------------------------------------------------
    def trusted_by(self, role: str, assume_only: bool = False) -> set[str]:
        """Who the trust policy of ``role`` allows any sts action (with ``assume_only``, sts:AssumeRole): service
        names, and ``AWS:<x>`` / ``Federated:<x>`` / ``*`` for other principals."""
        trusted: set[str] = set()
        for statement in statements(self.props(role).get("AssumeRolePolicyDocument")):
            actions = [str(a) for a in as_list(statement.get("Action"))]
            if assume_only and "sts:AssumeRole" not in actions:
                continue
            if not assume_only and not any(a == "*" or a.lower().startswith("sts:") for a in actions):
                continue
            principal = statement.get("Principal")
            if not isinstance(principal, dict):
                trusted.add("*")
                continue
            for kind, values in principal.items():
                for value in as_list(values):
                    trusted.add(str(value) if kind == "Service" else f"{kind}:{render(value)}")
        return trusted

    def policy_documents(self) -> Iterator[tuple[str, Any, set[str]]]:
        """(resource to report, policy document, the roles of this template it applies to). An AWS managed
        policy that may reach S3 is given as an ``s3:*`` statement marked ``_managed``."""
        attached: dict[str, set[str]] = {}  # managed policy of this template -> roles naming it
        for name, props in self.of_type("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            roles = {name} if self.type_of(name) == "AWS::IAM::Role" else set()
            for policy in items(props.get("Policies")):
                if isinstance(policy, dict):
                    yield name, policy.get("PolicyDocument"), roles
            for arn in items(props.get("ManagedPolicyArns")):
                if self.type_of(ref(arn)) == "AWS::IAM::ManagedPolicy":
                    attached.setdefault(ref(arn) or "", set()).update(roles)
                elif re.search(r"S3|AdministratorAccess|PowerUserAccess", render(arn), re.IGNORECASE):
                    yield name, {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                "_managed": render(arn)}]}, roles
        for name, props in self.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            named = items(props.get("Roles")) + [props.get("RoleName")]
            roles = {role for role in map(ref, named) if self.type_of(role) == "AWS::IAM::Role"}
            yield name, props.get("PolicyDocument"), roles | attached.get(name, set())

    def role_kind(self, role: str) -> set[str]:
        """What a role is for: the kinds of function using it ("edge", "generator", "event"), else "firehose"
        for a role trusted by firehose.amazonaws.com alone, else "other"."""
        kinds = set(self.role_kinds.get(role, set()))
        if not kinds and self.type_of(role) == "AWS::IAM::Role" and self.trusted_by(role) == {FIREHOSE_PRINCIPAL}:
            kinds.add("firehose")
        return kinds or {"other"}

    def role_allows(self, role: str, action: str, resource: str) -> bool:
        """Whether an Allow statement of ``role``'s policies grants ``action`` (lowercase) on the logical id
        ``resource`` (or on ``*``)."""
        for _, document, roles in self.policy_documents():
            if role not in roles:
                continue
            for statement in statements(document):
                actions = [str(a).lower() for a in as_list(statement.get("Action"))]
                resources = as_list(statement.get("Resource"))
                if any(fnmatch.fnmatchcase(action, a) for a in actions) and \
                        ("*" in resources or resource in refs_in(resources)):
                    return True
        return False
