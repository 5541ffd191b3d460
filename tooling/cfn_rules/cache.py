"""Cache behaviours: the URI is the canonical variant, so nothing else enters the cache key; images are served
over HTTPS and never recompressed."""

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # cfn-lint loads rule files alone, not as a package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tooling.cfn_rules import _base  # noqa: E402
from tooling.cfn_rules._values import items, ref, render  # noqa: E402


class CacheKey(_base.ProjectRule):
    id = "E9701"
    shortdesc = "cache-key"
    description = ("Behaviors use a cache policy of the template whose key has no query strings, headers or cookies "
                   "and no Accept-Encoding normalisation (the URI is the canonical variant)")

    def findings(self, model):
        policies = set()
        for dist, behavior in model.behaviors():
            if "ForwardedValues" in behavior:
                yield dist, "legacy ForwardedValues; use a CachePolicyId"
            policy = ref(behavior.get("CachePolicyId"))
            if model.type_of(policy) != "AWS::CloudFront::CachePolicy":
                yield dist, (f"CachePolicyId {render(behavior.get('CachePolicyId'))} "
                             "is not a cache policy of this template")
            else:
                policies.add(policy)
        for name in sorted(policies):
            config = model.props(name).get("CachePolicyConfig") or {}
            key = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
            for part, field in (("QueryStringsConfig", "QueryStringBehavior"), ("HeadersConfig", "HeaderBehavior"),
                                ("CookiesConfig", "CookieBehavior")):
                value = (key.get(part) or {}).get(field)
                if value != "none":
                    yield name, f"{part}.{field} is {value!r}: the cache key must be the URI only"
            for flag in ("EnableAcceptEncodingGzip", "EnableAcceptEncodingBrotli"):
                if key.get(flag) not in (False, "false"):
                    yield name, f"{flag} must be false (images are not compressed)"


class Behavior(_base.ProjectRule):
    id = "E9702"
    shortdesc = "behavior"
    description = "Behaviors with Lambda@Edge functions redirect to HTTPS and do not compress (images)"

    def findings(self, model):
        for dist, behavior in model.behaviors():
            if not items(behavior.get("LambdaFunctionAssociations")):
                continue
            if behavior.get("Compress") not in (False, "false"):
                yield dist, "Compress must be false (images are already compressed)"
            if behavior.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
                yield dist, f"ViewerProtocolPolicy {behavior.get('ViewerProtocolPolicy')!r} allows plain HTTP"
