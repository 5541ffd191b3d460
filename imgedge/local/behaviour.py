"""What the local edge takes from ``template.yaml``: the distribution's cache behaviours, read, not restated.

``imgedge serve`` plays the distribution the template deploys, so it reads the same settings CloudFront
would be given, with the template's parameter defaults (or overrides) and conditions resolved:

* the **cache policy** of each behaviour: what enters the cache key (query strings, headers, cookies,
  normalised ``Accept-Encoding``) and the TTLs (``MinTTL``/``DefaultTTL``/``MaxTTL``); the AWS managed
  policies by their well-known ids too;
* the **origin request policy**: which viewer headers, query strings and cookies reach the origin (and so
  the origin-response event), and whether CloudFront adds its ``CloudFront-Is-*-Viewer`` headers;
* the **function associations**: which event types run which handler, so removing the viewer-request
  association in the template makes the local edge serve unrewritten URIs, as CloudFront would;
* the **response headers policy**: the headers removed from, and the ``X-Content-Type-Options`` and custom
  headers added to, every response a viewer gets (``Distribution.viewer_headers``), cached or not;
* ``CustomErrorResponses``' ``ErrorCachingMinTTL`` per status (CloudFront's default is 10 s);
* ``PathPattern`` matching, first match wins, the default behaviour last.

A template change that breaks caching (a header in the cache key, a lost association, a TTL of 0) thus
changes what the local edge does; ``tests/local/test_fidelity.py`` proves it for several such changes.
Anything the local edge cannot play (CloudFront Functions, custom error pages, legacy ``ForwardedValues``)
is refused with a clear message rather than silently ignored.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

from .template import TemplateUnreadable, load_template, resolve_conditions

#: CloudFront's default error caching minimum TTL (seconds) for a status without CustomErrorResponses.
DEFAULT_ERROR_CACHING_MIN_TTL = 10

#: Headers CloudFront itself adds (only when a policy names them); never taken from the viewer.
CLOUDFRONT_HEADERS = frozenset({
    "cloudfront-is-mobile-viewer", "cloudfront-is-tablet-viewer", "cloudfront-is-smarttv-viewer",
    "cloudfront-is-desktop-viewer", "cloudfront-is-ios-viewer", "cloudfront-is-android-viewer",
    "cloudfront-viewer-country", "cloudfront-viewer-address", "cloudfront-forwarded-proto",
})


@dataclass(frozen=True)
class KeyPart:
    """One of QueryStringsConfig / HeadersConfig / CookiesConfig: a behaviour and the names it lists."""

    behavior: str = "none"  # none | whitelist | allExcept | all (| allViewer... for origin request headers)
    names: tuple[str, ...] = ()

    def selects(self, name: str, *, case_sensitive: bool = True) -> bool:
        listed = self.names if case_sensitive else tuple(n.lower() for n in self.names)
        name = name if case_sensitive else name.lower()
        if self.behavior == "none":
            return False
        if self.behavior == "whitelist":
            return name in listed
        if self.behavior == "allExcept":
            return name not in listed
        return True  # all, allViewer, allViewerAndWhitelistCloudFront


@dataclass(frozen=True)
class CachePolicy:
    name: str
    min_ttl: int = 0
    default_ttl: int = 86400
    max_ttl: int = 31536000
    query_strings: KeyPart = KeyPart()
    headers: KeyPart = KeyPart()
    cookies: KeyPart = KeyPart()
    accept_encoding_gzip: bool = False
    accept_encoding_brotli: bool = False


@dataclass(frozen=True)
class OriginRequestPolicy:
    name: str
    query_strings: KeyPart = KeyPart()
    headers: KeyPart = KeyPart()
    cookies: KeyPart = KeyPart()


@dataclass(frozen=True)
class ResponseHeadersPolicy:
    """What CloudFront does to the headers of each response on its way to the viewer (never to the cached copy).

    ``remove``: lowercase names dropped; ``content_type_options``: ``None`` when not set, else its ``Override``
    (True: ``nosniff`` replaces the origin's value; False: added only when the origin sent none);
    ``custom``: (name, value, override) the same way.
    """

    name: str
    remove: frozenset[str] = frozenset()
    content_type_options: bool | None = None
    custom: tuple[tuple[str, str, bool], ...] = ()

    def apply(self, headers: Mapping[str, str]) -> dict[str, str]:
        out = {k: v for k, v in headers.items() if k.lower() not in self.remove}
        added = list(self.custom)
        if self.content_type_options is not None:
            added.append(("X-Content-Type-Options", "nosniff", self.content_type_options))
        for name, value, override in added:
            present = [k for k in out if k.lower() == name.lower()]
            if present and not override:
                continue
            for key in present:
                del out[key]
            out[name] = value
        return out


@dataclass(frozen=True)
class Behaviour:
    """One cache behaviour of the distribution, as the local edge plays it."""

    path_pattern: str
    target_origin: str
    cache_policy: CachePolicy
    origin_request_policy: OriginRequestPolicy | None = None
    #: event type → the associated function's ``Handler`` (e.g. ``handlers.viewer_request.handler``).
    associations: Mapping[str, str] = field(default_factory=dict)
    allowed_methods: tuple[str, ...] = ("GET", "HEAD")
    cached_methods: tuple[str, ...] = ("GET", "HEAD")
    compress: bool = False
    response_headers_policy: ResponseHeadersPolicy | None = None

    def matches(self, path: str) -> bool:
        if self.path_pattern == "*":
            return True
        # CloudFront patterns are case sensitive; * and ? are the only wildcards; the leading / is optional.
        return fnmatch.fnmatchcase(path.lstrip("/"), self.path_pattern.lstrip("/"))


@dataclass(frozen=True)
class Distribution:
    """The behaviours of one distribution (default last), its error caching TTLs, where it came from."""

    behaviours: tuple[Behaviour, ...]
    error_caching_min_ttl: Mapping[int, int] = field(default_factory=dict)
    source: str = "built-in defaults"

    def behaviour_for(self, path: str) -> Behaviour:
        for behaviour in self.behaviours:
            if behaviour.matches(path):
                return behaviour
        return self.behaviours[-1]

    def error_ttl(self, status: int) -> int:
        return int(self.error_caching_min_ttl.get(status, DEFAULT_ERROR_CACHING_MIN_TTL))

    def viewer_headers(self, uri: str, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` as the viewer gets them: the response headers policy of ``uri``'s behaviour applied."""
        policy = self.behaviour_for(uri).response_headers_policy
        return policy.apply(headers) if policy is not None else dict(headers)


def viewer_uri(raw_path: str) -> str:
    """The URI CloudFront matches path patterns against: the request target's path, percent-encoded."""
    return quote(urlsplit(raw_path).path, safe="/%-_.~!$&'()*+,;=:@")


class TemplateError(ValueError):
    """template.yaml asks for something the local edge cannot play faithfully."""


#: AWS managed cache policies (ids are the same in every account).
MANAGED_CACHE_POLICIES: dict[str, CachePolicy] = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": CachePolicy(
        "Managed-CachingOptimized", 1, 86400, 31536000, accept_encoding_gzip=True, accept_encoding_brotli=True),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": CachePolicy(
        "Managed-CachingOptimizedForUncompressedObjects", 1, 86400, 31536000),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": CachePolicy("Managed-CachingDisabled", 0, 0, 0),
}

#: What the template holds today; used only when template.yaml cannot be read (an installed package
#: without the repository, or SAM's translator missing), and said so at start-up.
_VARIANTS = Behaviour(
    path_pattern="*",
    target_origin="images",
    cache_policy=CachePolicy("VariantCachePolicy", 0, 86400, 31536000),
    origin_request_policy=OriginRequestPolicy(
        "DeviceOriginRequestPolicy",
        headers=KeyPart("whitelist", (
            "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-Tablet-Viewer", "CloudFront-Is-SmartTV-Viewer",
            "CloudFront-Is-Desktop-Viewer", "User-Agent", "X-Imgedge-Viewer-Url")),
    ),
    associations={"viewer-request": "handlers.viewer_request.handler",
                  "origin-response": "handlers.origin_response.handler"},
    response_headers_policy=ResponseHeadersPolicy(
        "VariantResponseHeadersPolicy",
        remove=frozenset({"x-amz-meta-source-key", "x-amz-meta-source-etag", "x-amz-server-side-encryption",
                          "x-amz-server-side-encryption-bucket-key-enabled"}),
        content_type_options=True,
        custom=(("Vary", "Accept, Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width, Save-Data", True),),
    ),
)
BUILT_IN = Distribution(
    # the URL dialects' paths first (imgedge.request.dialects), then the default behaviour: all alike
    behaviours=tuple(replace(_VARIANTS, path_pattern=pattern) for pattern in ("/cdn-cgi/image/*", "/_next/image*"))
    + (_VARIANTS,),
)


def default_template_path() -> Path | None:
    path = Path(__file__).resolve().parents[2] / "template.yaml"
    return path if path.exists() else None


def load_distribution(
    path: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    distribution: str | None = None,
) -> Distribution:
    """The distribution ``template.yaml`` (or ``path``) deploys, with ``parameters`` over the defaults.

    Without a template (or without SAM's translator to read it) the built-in copy of today's settings is returned;
    its ``source`` says so. A template that asks for something the local edge cannot play raises
    ``TemplateError``.
    """
    chosen = Path(path) if path else default_template_path()
    if chosen is None:
        return BUILT_IN
    try:
        template = load_template(chosen)
    except TemplateUnreadable:  # SAM's loader reads the template: the template extra, not a runtime need
        if path:
            raise TemplateError("reading a template needs SAM's translator (pip install 'imgedge[template]')") from None
        return Distribution(BUILT_IN.behaviours, source="built-in defaults (SAM's translator is not installed)")
    return distribution_from_template(template, parameters, distribution, source=str(chosen))


def distribution_from_template(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    distribution: str | None = None,
    *,
    source: str = "template",
) -> Distribution:
    """Resolve one ``AWS::CloudFront::Distribution`` of a SAM/CloudFormation template dict."""
    ctx = _Context(template, parameters or {})
    candidates = [name for name, res in ctx.resources.items()
                  if res.get("Type") == "AWS::CloudFront::Distribution" and ctx.included(res)]
    if distribution is not None:
        if distribution not in candidates:
            raise TemplateError(f"no distribution {distribution!r} in the template (have: {', '.join(candidates)})")
        candidates = [distribution]
    if not candidates:
        raise TemplateError("the template deploys no CloudFront distribution (with these parameters)")
    name = candidates[0]
    config = ctx.resolve(ctx.resources[name].get("Properties", {}).get("DistributionConfig", {}))
    if config.get("DefaultRootObject"):
        raise TemplateError("DefaultRootObject is not played by the local edge")
    behaviours = [ctx.behaviour(b) for b in _as_list(config.get("CacheBehaviors"))]
    default = dict(config.get("DefaultCacheBehavior") or {})
    default["PathPattern"] = "*"
    behaviours.append(ctx.behaviour(default))
    error_ttls: dict[int, int] = {}
    for item in _as_list(config.get("CustomErrorResponses")):
        if item.get("ResponsePagePath") or item.get("ResponseCode"):
            raise TemplateError("custom error pages are not played by the local edge (only ErrorCachingMinTTL)")
        if "ErrorCachingMinTTL" in item:
            error_ttls[int(item["ErrorCode"])] = int(item["ErrorCachingMinTTL"])
    return Distribution(tuple(behaviours), error_ttls, source=f"{source} ({name})")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _ref_target(value: Any) -> str | None:
    """The logical id a ``Ref``/``GetAtt`` points at (``X.Version`` → ``X``)."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"].split(".", 1)[0]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            target = target.split(".", 1) if isinstance(target, str) else target
            return str(target[0])
    return None


class _Context:
    PSEUDO = {"AWS::Region": "us-east-1", "AWS::StackName": "imgedge-local", "AWS::AccountId": "123456789012",
              "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
        self.params: dict[str, Any] = {}
        for name, spec in (template.get("Parameters") or {}).items():
            if name in parameters:
                self.params[name] = parameters[name]
            elif "Default" in spec:
                self.params[name] = spec["Default"]
        unknown = set(parameters) - set(template.get("Parameters") or {})
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(sorted(unknown))}")
        for name, value in parameters.items():  # as CloudFormation refuses them: before any condition
            allowed = ((template.get("Parameters") or {}).get(name) or {}).get("AllowedValues")
            if allowed is not None and str(value) not in [str(v) for v in allowed]:
                raise TemplateError(f"parameter {name}={value} is not one of its AllowedValues "
                                    f"({', '.join(str(v) for v in allowed)})")
        # Every parameter is fixed, so resolve_conditions (the code the cfn-lint rules use) decides every
        # condition the template defines; an undefined one stays, and is refused below.
        resolved = resolve_conditions(template, {**self.PSEUDO, **self.params})
        self.resources: dict[str, Any] = dict(resolved.get("Resources") or {})

    # -- what is left of the intrinsic functions once the conditions are resolved ----------------------
    def included(self, resource: Mapping[str, Any]) -> bool:
        if "Condition" in resource:
            raise TemplateError(f"unknown condition {resource['Condition']!r}")
        return True

    def resolve(self, value: Any) -> Any:
        """Parameter and pseudo-parameter ``Ref`` replaced by their values; resource refs kept."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            if len(value) == 1:
                (fn, arg), = value.items()
                if fn == "Fn::If":
                    name = arg[0] if isinstance(arg, list) and arg else arg
                    raise TemplateError(f"unknown condition {name!r}")
                if fn == "Ref" and arg in self.params:
                    return self.params[arg]
                if fn == "Ref" and arg in self.PSEUDO:
                    return self.PSEUDO[arg]
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def resource_props(self, ref: Any, kind: str) -> tuple[str, dict[str, Any]] | None:
        target = _ref_target(ref)
        if target is None:
            return None
        resource = self.resources.get(target)
        if not resource or resource.get("Type") != kind:
            raise TemplateError(f"{target} is not an {kind} of the template")
        return target, self.resolve(resource.get("Properties") or {})

    # -- the settings ------------------------------------------------------------------------------------
    def behaviour(self, raw: Mapping[str, Any]) -> Behaviour:
        pattern = str(raw.get("PathPattern", "*"))
        if "ForwardedValues" in raw:
            raise TemplateError(f"behaviour {pattern}: legacy ForwardedValues are not played; use a cache policy")
        if raw.get("FunctionAssociations"):
            raise TemplateError(f"behaviour {pattern}: CloudFront Functions are not played by the local edge")
        associations = {}
        for assoc in _as_list(raw.get("LambdaFunctionAssociations")):
            event_type = assoc.get("EventType")
            function = _ref_target(assoc.get("LambdaFunctionARN"))
            resource = self.resources.get(function or "")
            if not resource:
                raise TemplateError(f"behaviour {pattern}: {event_type} names no function of the template")
            handler = (resource.get("Properties") or {}).get("Handler")
            associations[event_type] = str(handler)
        return Behaviour(
            path_pattern=pattern,
            target_origin=str(raw.get("TargetOriginId", "")),
            cache_policy=self.cache_policy(raw.get("CachePolicyId")),
            origin_request_policy=self.origin_request_policy(raw.get("OriginRequestPolicyId")),
            associations=associations,
            allowed_methods=tuple(raw.get("AllowedMethods") or ("GET", "HEAD")),
            cached_methods=tuple(raw.get("CachedMethods") or ("GET", "HEAD")),
            compress=raw.get("Compress") in (True, "true"),
            response_headers_policy=self.response_headers_policy(raw.get("ResponseHeadersPolicyId")),
        )

    def cache_policy(self, ref: Any) -> CachePolicy:
        if isinstance(ref, str):
            if ref in MANAGED_CACHE_POLICIES:
                return MANAGED_CACHE_POLICIES[ref]
            raise TemplateError(f"cache policy {ref!r} is neither in the template nor a known managed policy")
        found = self.resource_props(ref, "AWS::CloudFront::CachePolicy")
        if found is None:
            raise TemplateError("a behaviour has no CachePolicyId")
        name, props = found
        config = props.get("CachePolicyConfig") or {}
        key = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
        return CachePolicy(
            name=name,
            min_ttl=int(config.get("MinTTL", 0)),
            default_ttl=int(config.get("DefaultTTL", 86400)),
            max_ttl=int(config.get("MaxTTL", 31536000)),
            query_strings=_part(key.get("QueryStringsConfig"), "QueryStringBehavior", "QueryStrings"),
            headers=_part(key.get("HeadersConfig"), "HeaderBehavior", "Headers"),
            cookies=_part(key.get("CookiesConfig"), "CookieBehavior", "Cookies"),
            accept_encoding_gzip=key.get("EnableAcceptEncodingGzip") in (True, "true"),
            accept_encoding_brotli=key.get("EnableAcceptEncodingBrotli") in (True, "true"),
        )

    def origin_request_policy(self, ref: Any) -> OriginRequestPolicy | None:
        if ref is None:
            return None
        if isinstance(ref, str):
            raise TemplateError(f"managed origin request policy {ref!r} is not played by the local edge")
        found = self.resource_props(ref, "AWS::CloudFront::OriginRequestPolicy")
        assert found is not None
        name, props = found
        config = props.get("OriginRequestPolicyConfig") or {}
        return OriginRequestPolicy(
            name=name,
            query_strings=_part(config.get("QueryStringsConfig"), "QueryStringBehavior", "QueryStrings"),
            headers=_part(config.get("HeadersConfig"), "HeaderBehavior", "Headers"),
            cookies=_part(config.get("CookiesConfig"), "CookieBehavior", "Cookies"),
        )


    def response_headers_policy(self, ref: Any) -> ResponseHeadersPolicy | None:
        """The template's policy: removed headers, ``ContentTypeOptions`` and custom headers are played; anything
        else it sets (CORS, Server-Timing, the other security headers), or a managed policy, is refused."""
        if ref is None:
            return None
        if isinstance(ref, str):
            raise TemplateError(f"managed response headers policy {ref!r} is not played by the local edge")
        found = self.resource_props(ref, "AWS::CloudFront::ResponseHeadersPolicy")
        assert found is not None
        name, props = found
        config = props.get("ResponseHeadersPolicyConfig") or {}
        security = dict(config.get("SecurityHeadersConfig") or {})
        content_type_options = security.pop("ContentTypeOptions", None)
        unplayed = sorted(set(config) - {"Name", "Comment", "SecurityHeadersConfig", "RemoveHeadersConfig",
                                         "CustomHeadersConfig"}) + sorted(security)
        if unplayed:
            raise TemplateError(f"response headers policy {name}: {', '.join(unplayed)} not played by the local edge")
        return ResponseHeadersPolicy(
            name=name,
            remove=frozenset(str(item["Header"]).lower() for item in _items(config.get("RemoveHeadersConfig"))),
            content_type_options=None if content_type_options is None else
            content_type_options.get("Override") in (True, "true"),
            custom=tuple((str(item["Header"]), str(item["Value"]), item.get("Override") in (True, "true"))
                         for item in _items(config.get("CustomHeadersConfig"))),
        )


def _items(config: Mapping[str, Any] | None) -> list[Any]:
    """``Items`` of a CloudFormation list config (also in the API's ``{"Quantity", "Items"}`` shape)."""
    items = (config or {}).get("Items") or []
    return list(items.get("Items") or []) if isinstance(items, dict) else list(items)


def _part(config: Mapping[str, Any] | None, behaviour_field: str, names_field: str) -> KeyPart:
    config = config or {}
    names = config.get(names_field) or []
    if isinstance(names, dict):  # the API's {"Quantity": n, "Items": [...]} shape
        names = names.get("Items") or []
    return KeyPart(str(config.get(behaviour_field, "none")), tuple(str(n) for n in names))
