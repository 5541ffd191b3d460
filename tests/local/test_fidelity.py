"""The local edge plays the distribution template.yaml deploys: change the template, the local edge changes.

Each test that "breaks" caching mutates a copy of the real template the way a careless edit would (a header
in the cache key, a lost function association, a minimum TTL) and shows the local edge now behaving as
CloudFront would with that template; the untouched template is the control. TTLs, Age, X-Cache and error
caching follow CloudFront's documented rules (imgedge/local/cache.py).
"""

from __future__ import annotations

import copy
import io
import threading
from dataclasses import replace

import pytest
from PIL import Image

import imgedge.edge.origin_response as origin_response_module
from imgedge.config import Config
from imgedge.local import cache as cache_module
from imgedge.local.behaviour import (
    MANAGED_CACHE_POLICIES,
    CachePolicy,
    ResponseHeadersPolicy,
    TemplateError,
    distribution_from_template,
    load_distribution,
)
from imgedge.local.cache import CacheKey, cloudfront_ttl
from imgedge.local.edge import LocalEdge
from imgedge.local.samples import seed_samples
from imgedge.store import DirectoryStore
from tests.events import CHROME_ACCEPT, CHROME_UA, IPHONE_UA
from tooling.template import TEMPLATE_PATH, load_template

CAT = "/samples/cat.png"
LAKE = "/samples/lake-boats-4mp.jpg"
DESKTOP = {"User-Agent": CHROME_UA, "Accept": CHROME_ACCEPT}
PHONE = {"User-Agent": IPHONE_UA, "Accept": CHROME_ACCEPT}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(TEMPLATE_PATH)


def props(template: dict, name: str) -> dict:
    return template["Resources"][name]["Properties"]


def cache_policy(template: dict) -> dict:
    return props(template, "VariantCachePolicy")["CachePolicyConfig"]


def behavior(template: dict) -> dict:
    return props(template, "Distribution")["DistributionConfig"]["DefaultCacheBehavior"]


def make_edge(tmp_path, template: dict, mutate=None, *, config: Config | None = None, **kwargs) -> LocalEdge:
    changed = copy.deepcopy(template)
    if mutate is not None:
        mutate(changed)
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    return LocalEdge(store, config or Config(), distribution=distribution_from_template(changed), **kwargs)


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand: ``clock.now += 61``."""
    class Clock:
        now = 1000.0

    fake = Clock()
    monkeypatch.setattr(cache_module, "_clock", lambda: fake.now)
    return fake


@pytest.fixture
def origin_response_calls(monkeypatch):
    """A spy on the origin-response handler: every event it is given, in order."""
    calls: list[dict] = []
    real = origin_response_module.handle

    def spy(event, *args, **kwargs):
        calls.append(copy.deepcopy(event))
        return real(event, *args, **kwargs)

    monkeypatch.setattr(origin_response_module, "handle", spy)
    return calls


# -- what the local edge reads from the template ---------------------------------------------------------


def test_the_local_edge_plays_the_templates_distribution(template, tmp_path):
    distribution = load_distribution()
    assert str(TEMPLATE_PATH) in distribution.source
    *dialects, default = distribution.behaviours
    # the URL dialects' paths run the default behaviour's functions under its policies
    assert [(b.path_pattern, replace(b, path_pattern="*")) for b in dialects] == [
        ("/cdn-cgi/image/*", default), ("/_next/image*", default)]
    config = cache_policy(template)
    policy = default.cache_policy
    ttls = (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"])
    assert (policy.min_ttl, policy.default_ttl, policy.max_ttl) == ttls
    assert (policy.query_strings.behavior, policy.headers.behavior, policy.cookies.behavior) == ("none",) * 3
    handlers = {name: props(template, name)["Handler"] for name in ("ViewerRequestFunction", "OriginResponseFunction")}
    assert dict(default.associations) == {"viewer-request": handlers["ViewerRequestFunction"],
                                          "origin-response": handlers["OriginResponseFunction"]}
    orp = props(template, "DeviceOriginRequestPolicy")["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]
    assert default.origin_request_policy.headers.names == tuple(orp)
    assert make_edge(tmp_path, template).distribution.behaviours == distribution.behaviours


def test_what_the_local_edge_cannot_play_is_refused(template):
    with_functions = copy.deepcopy(template)
    behavior(with_functions)["FunctionAssociations"] = [{"EventType": "viewer-request", "FunctionARN": "arn:x"}]
    with pytest.raises(TemplateError, match="CloudFront Functions"):
        distribution_from_template(with_functions)
    legacy = copy.deepcopy(template)
    behavior(legacy)["ForwardedValues"] = {"QueryString": True}
    with pytest.raises(TemplateError, match="ForwardedValues"):
        distribution_from_template(legacy)
    with pytest.raises(TemplateError, match="unknown template parameters"):
        distribution_from_template(template, {"NoSuchParameter": "1"})


# -- template changes that break caching break the local edge too ----------------------------------------


def header_in_key(name: str):
    def mutate(t: dict) -> None:
        cache_policy(t)["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"] = {
            "HeaderBehavior": "whitelist", "Headers": [name]}
    return mutate


def test_a_phone_and_a_desktop_share_a_variant_until_the_user_agent_enters_the_cache_key(template, tmp_path):
    # w=640 names one variant whoever asks: the second viewer is a cache hit.
    edge = make_edge(tmp_path / "good", template)
    assert edge.handle("GET", f"{LAKE}?w=640", PHONE)[1]["X-Cache"] == "Miss from cloudfront"
    assert edge.handle("GET", f"{LAKE}?w=640", DESKTOP)[1]["X-Cache"] == "Hit from cloudfront"
    assert edge.stats["origin-fetch"] == 1

    # The same requests with User-Agent in the cache key: one cache entry per browser version.
    broken = make_edge(tmp_path / "broken", template, header_in_key("User-Agent"))
    assert broken.handle("GET", f"{LAKE}?w=640", PHONE)[1]["X-Cache"] == "Miss from cloudfront"
    status, headers, _ = broken.handle("GET", f"{LAKE}?w=640", DESKTOP)
    assert (status, headers["X-Cache"]) == (200, "Miss from cloudfront")
    assert broken.stats["origin-fetch"] == 2
    assert broken.handle("GET", f"{LAKE}?w=640", DESKTOP)[1]["X-Cache"] == "Hit from cloudfront"


def test_accept_in_the_cache_key_splits_identical_variants(template, tmp_path):
    # Two Accept headers that negotiate the same format (AVIF) name the same variant...
    other_accept = {"User-Agent": CHROME_UA, "Accept": "image/avif,image/webp,*/*"}
    edge = make_edge(tmp_path / "good", template)
    edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert edge.handle("GET", f"{CAT}?w=320", other_accept)[1]["X-Cache"] == "Hit from cloudfront"
    # ...unless the raw header is in the key.
    broken = make_edge(tmp_path / "broken", template, header_in_key("Accept"))
    broken.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert broken.handle("GET", f"{CAT}?w=320", other_accept)[1]["X-Cache"] == "Miss from cloudfront"


def test_query_strings_in_the_key_change_nothing_while_the_viewer_request_rewrites(template, tmp_path):
    def all_query_strings(t: dict) -> None:
        cache_policy(t)["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"] = {
            "QueryStringBehavior": "all"}

    edge = make_edge(tmp_path, template, all_query_strings)
    edge.handle("GET", f"{CAT}?w=300", DESKTOP)
    # w=320 snaps to the same rung; the viewer-request emptied the query before the cache key was made.
    assert edge.handle("GET", f"{CAT}?w=320", DESKTOP)[1]["X-Cache"] == "Hit from cloudfront"


def test_without_the_viewer_request_association_the_original_is_served_for_every_width(template, tmp_path):
    def drop_viewer_request(t: dict) -> None:
        associations = behavior(t)["LambdaFunctionAssociations"]
        behavior(t)["LambdaFunctionAssociations"] = [
            a for a in associations if not (isinstance(a, dict) and a.get("EventType") == "viewer-request")]

    edge = make_edge(tmp_path, template, drop_viewer_request)
    original = (edge.store.root / "samples/cat.png").read_bytes()
    status, headers, body = edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert status == 200 and body == original and Image.open(io.BytesIO(body)).width == 451
    # The query string is not in the cache key: w=640 is a hit on the same, unresized bytes.
    status, headers, again = edge.handle("GET", f"{CAT}?w=640", DESKTOP)
    assert headers["X-Cache"] == "Hit from cloudfront" and again == original
    assert edge.stats["viewer-request"] == 0


def test_a_minimum_ttl_caches_the_private_redirect_of_an_oversized_variant(template, tmp_path):
    """Oversized variants answer with a `private, no-store` 302 to the viewer's own URL; the next request
    finds the stored variant. With MinTTL > 0 CloudFront caches the 302 anyway: a redirect loop."""
    small_inline = Config(max_inline_bytes=2000)
    edge = make_edge(tmp_path / "good", template, config=small_inline)
    status, headers, _ = edge.handle("GET", f"{LAKE}?w=640", DESKTOP)
    assert (status, headers["Location"]) == (302, f"{LAKE}?w=640")
    status, headers, body = edge.handle("GET", f"{LAKE}?w=640", DESKTOP)
    assert (status, headers["X-Cache"]) == (200, "Miss from cloudfront") and len(body) > 2000

    def min_ttl(t: dict) -> None:
        cache_policy(t)["MinTTL"] = 60

    broken = make_edge(tmp_path / "broken", template, min_ttl, config=small_inline)
    broken.handle("GET", f"{LAKE}?w=640", DESKTOP)
    status, headers, _ = broken.handle("GET", f"{LAKE}?w=640", DESKTOP)
    assert (status, headers["X-Cache"], headers["Location"]) == (302, "Hit from cloudfront", f"{LAKE}?w=640")


def test_the_managed_caching_disabled_policy_never_hits(template, tmp_path):
    def caching_disabled(t: dict) -> None:
        behavior(t)["CachePolicyId"] = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"

    edge = make_edge(tmp_path, template, caching_disabled)
    for _ in range(3):
        assert edge.handle("GET", f"{CAT}?w=320", DESKTOP)[1]["X-Cache"] == "Miss from cloudfront"
    assert len(edge.cache) == 0


# -- TTLs, Age, RefreshHit, errors ------------------------------------------------------------------------


@pytest.mark.parametrize("status, headers, expected", [
    (200, {"Cache-Control": "public, max-age=31536000, immutable"}, 86400 * 7),  # clamped to MaxTTL
    (200, {"Cache-Control": "max-age=5"}, 30),                                   # raised to MinTTL
    (200, {"Cache-Control": "max-age=100, s-maxage=200"}, 200),                  # s-maxage wins
    (200, {}, 3600),                                                             # DefaultTTL
    (200, {"Cache-Control": "private, no-store"}, 30),                           # MinTTL > 0 caches anyway
    (302, {"Cache-Control": "no-cache"}, 30),
    (404, {}, 10),                                                               # error caching minimum TTL
    (404, {"Cache-Control": "max-age=60"}, 60),                                  # longer max-age wins
    (404, {"Cache-Control": "max-age=3"}, 10),
    (404, {"Cache-Control": "no-store"}, 0),
    (403, {}, 0),                                                                # only with max-age
    (403, {"Cache-Control": "max-age=60"}, 60),
    (503, {"Cache-Control": "max-age=1"}, 10),
    (422, {"Cache-Control": "max-age=60"}, 0),                                   # not a cached status
    (416, {}, 0),
    (304, {}, 0),
])
def test_cloudfront_ttl_rules(status, headers, expected):
    policy = CachePolicy("p", min_ttl=30, default_ttl=3600, max_ttl=86400 * 7)
    assert cloudfront_ttl(policy, status, headers, error_min_ttl=10) == expected


def test_min_ttl_zero_means_private_responses_are_not_cached():
    policy = CachePolicy("p", min_ttl=0, default_ttl=86400, max_ttl=31536000)
    assert cloudfront_ttl(policy, 302, {"Cache-Control": "private, no-store"}, 10) == 0
    assert MANAGED_CACHE_POLICIES["4135ea2d-6df8-44a3-9df3-4b5a84be39ad"].max_ttl == 0


def test_age_grows_then_a_stale_variant_is_revalidated_as_a_refresh_hit(template, tmp_path, clock,
                                                                        origin_response_calls):
    def max_ttl_60(t: dict) -> None:
        cache_policy(t)["MaxTTL"] = 60
        cache_policy(t)["DefaultTTL"] = 60

    edge = make_edge(tmp_path, template, max_ttl_60)
    url = f"{CAT}?w=320"
    status, headers, generated = edge.handle("GET", url, DESKTOP)
    assert headers["X-Cache"] == "Miss from cloudfront" and "Age" not in headers
    clock.now += 30
    status, headers, body = edge.handle("GET", url, DESKTOP)
    assert (headers["X-Cache"], headers["Age"], body) == ("Hit from cloudfront", "30", generated)
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"  # passed on as the origin sent it

    # Past the TTL (max-age clamped to MaxTTL=60): the generated response had no ETag, so a plain miss,
    # which S3 now answers with the stored variant (and its ETag).
    clock.now += 31
    status, headers, body = edge.handle("GET", url, DESKTOP)
    assert (status, headers["X-Cache"], body) == (200, "Miss from cloudfront", generated)
    assert headers["ETag"] and headers["Server"] == "AmazonS3"
    # Stale again: a conditional GET, S3 says 304, the cached copy is served and refreshed.
    clock.now += 61
    status, headers, body = edge.handle("GET", url, DESKTOP)
    assert (status, headers["X-Cache"], headers["Age"], body) == (200, "RefreshHit from cloudfront", "0", generated)
    assert [c["Records"][0]["cf"]["response"]["status"] for c in origin_response_calls] == ["404", "200", "304"]
    clock.now += 5
    assert edge.handle("GET", url, DESKTOP)[1]["Age"] == "5"


def test_a_missing_original_is_cached_as_an_error_for_its_max_age(template, tmp_path, clock, origin_response_calls):
    edge = make_edge(tmp_path, template)
    status, headers, _ = edge.handle("GET", "/samples/nope.jpg?w=320", DESKTOP)
    assert (status, headers["X-Cache"], headers["Cache-Control"]) == (404, "Error from cloudfront",
                                                                       "public, max-age=60")
    clock.now += 59
    status, headers, _ = edge.handle("GET", "/samples/nope.jpg?w=320", DESKTOP)
    assert (status, headers["X-Cache"], headers["Age"]) == (404, "Error from cloudfront", "59")
    assert len(origin_response_calls) == 1
    clock.now += 2
    edge.handle("GET", "/samples/nope.jpg?w=320", DESKTOP)
    assert len(origin_response_calls) == 2


def test_custom_error_caching_minimum_ttl_from_the_template(template, tmp_path, clock, origin_response_calls):
    def error_ttl(t: dict) -> None:
        props(t, "Distribution")["DistributionConfig"]["CustomErrorResponses"] = [
            {"ErrorCode": 404, "ErrorCachingMinTTL": 300}]

    edge = make_edge(tmp_path, template, error_ttl)
    edge.handle("GET", "/samples/nope.jpg?w=320", DESKTOP)
    clock.now += 200  # past the origin's max-age=60, within the distribution's 300 s
    assert edge.handle("GET", "/samples/nope.jpg?w=320", DESKTOP)[1]["Age"] == "200"
    assert len(origin_response_calls) == 1


def test_viewer_request_refusals_are_never_cached(template, tmp_path):
    edge = make_edge(tmp_path, template)
    for _ in range(2):
        status, headers, body = edge.handle("GET", f"{CAT}?w=banana", DESKTOP)
        assert (status, headers["X-Cache"]) == (400, "LambdaGeneratedResponse from cloudfront")
    assert edge.stats["viewer-request"] == 2 and len(edge.cache) == 0 and edge.stats["origin-fetch"] == 0


def test_methods_the_behaviour_does_not_allow_are_refused_by_cloudfront(template, tmp_path):
    edge = make_edge(tmp_path, template)
    status, headers, _ = edge.handle("POST", f"{CAT}?w=320", DESKTOP)
    assert (status, headers["X-Cache"]) == (403, "Error from cloudfront")
    assert edge.stats["viewer-request"] == 0


# -- hits never run the origin-response -------------------------------------------------------------------


def test_a_cache_hit_never_runs_the_origin_response(template, tmp_path, origin_response_calls):
    edge = make_edge(tmp_path, template)
    edge.handle("GET", f"{LAKE}?w=480", DESKTOP)
    assert len(origin_response_calls) == 1
    for method in ("GET", "HEAD", "GET", "HEAD", "GET"):
        status, headers, _ = edge.handle(method, f"{LAKE}?w=480", DESKTOP)
        assert (status, headers["X-Cache"]) == (200, "Hit from cloudfront")
    # w=450 and dpr=1 name the same variant: hits too.
    assert edge.handle("GET", f"{LAKE}?w=450&dpr=1", PHONE)[1]["X-Cache"] == "Hit from cloudfront"
    assert len(origin_response_calls) == 1
    assert edge.stats["hit"] == 6 and edge.stats["origin-response"] == 1


def test_simultaneous_misses_are_collapsed_into_one_origin_fetch(template, tmp_path, origin_response_calls):
    edge = make_edge(tmp_path, template)
    results: list[tuple] = []
    threads = [threading.Thread(target=lambda: results.append(edge.handle("GET", f"{LAKE}?w=750", DESKTOP)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(origin_response_calls) == 1
    assert len({body for _, _, body in results}) == 1
    assert sorted(h["X-Cache"] for _, h, _ in results) == ["Hit from cloudfront"] * 7 + ["Miss from cloudfront"]


# -- what reaches the origin, what comes back -------------------------------------------------------------


def test_the_origin_gets_only_what_the_policies_forward(template, tmp_path, origin_response_calls):
    edge = make_edge(tmp_path, template)
    edge.handle("GET", f"{CAT}?w=320", {**PHONE, "Cookie": "session=1", "X-Custom": "1"})
    request = origin_response_calls[0]["Records"][0]["cf"]["request"]
    headers = request["headers"]
    assert headers["user-agent"][0]["value"] == IPHONE_UA
    assert headers["cloudfront-is-mobile-viewer"][0]["value"] == "true"
    assert headers["x-imgedge-viewer-url"][0]["value"] == f"{CAT}?w=320"
    assert not {"accept", "cookie", "x-custom"} & set(headers)
    assert request["querystring"] == "" and request["uri"] == "/_variants/samples/cat.png/w320-q60.avif"

    def no_user_agent(t: dict) -> None:
        config = props(t, "DeviceOriginRequestPolicy")["OriginRequestPolicyConfig"]["HeadersConfig"]
        config["Headers"] = [h for h in config["Headers"] if h != "User-Agent"]

    origin_response_calls.clear()
    edge = make_edge(tmp_path / "no-ua", template, no_user_agent)
    edge.handle("GET", f"{CAT}?w=320", PHONE)
    headers = origin_response_calls[0]["Records"][0]["cf"]["request"]["headers"]
    assert headers["user-agent"][0]["value"] == "Amazon CloudFront"  # what CloudFront sends instead
    assert headers["cloudfront-is-mobile-viewer"][0]["value"] == "true"


def test_vary_is_passed_on_and_does_not_split_the_cache(template, tmp_path):
    def no_functions(t: dict) -> None:
        behavior(t)["LambdaFunctionAssociations"] = []
        # and no Vary from the response headers policy, which replaces the origin's (tests/local/test_vary.py)
        del props(t, "VariantResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]

    fetched = []

    def origin(request, validators):
        fetched.append(request)
        return 200, {"Content-Type": "image/png", "Cache-Control": "max-age=600", "Vary": "User-Agent"}, b"png"

    edge = make_edge(tmp_path, template, no_functions, origin=origin)
    assert edge.handle("GET", CAT, PHONE)[1]["Vary"] == "User-Agent"
    status, headers, body = edge.handle("GET", CAT, DESKTOP)
    assert (headers["X-Cache"], headers["Vary"], body) == ("Hit from cloudfront", "User-Agent", b"png")
    assert len(fetched) == 1


def test_generated_responses_say_how_long_each_stage_took(template, tmp_path):
    edge = make_edge(tmp_path, template, config=Config(server_timing=True))
    _, headers, _ = edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    names = [part.split(";")[0].strip() for part in headers["Server-Timing"].split(",")]
    assert names == ["fetch", "decode", "resize", "encode", "store", "total"]
    # Served from S3 (not generated): no Server-Timing.
    edge.cache.clear()
    _, headers, _ = edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert headers["X-Cache"] == "Miss from cloudfront" and "Server-Timing" not in headers


def test_invalidation_paths_follow_cloudfront(template, tmp_path):
    edge = make_edge(tmp_path, template)
    edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    edge.handle("GET", f"{LAKE}?w=320", DESKTOP)
    assert edge.invalidate(["/_variants/samples/cat.png/w320-q60.avif"]) == 1
    edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert edge.invalidate(["/_variants/samples/*"]) == 2 and len(edge.cache) == 0
    with pytest.raises(ValueError):
        edge.invalidate(["/_variants/*/x"])


def test_without_sams_loader_the_built_in_copy_is_played_and_says_so(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "samtranslator.yaml_helper", None)  # as if the template extra were missing
    distribution = load_distribution()
    assert distribution.source == "built-in defaults (SAM's translator is not installed)"
    # The built-in copy is today's template (update BUILT_IN when the template changes).
    monkeypatch.undo()
    assert distribution.behaviours == load_distribution().behaviours


# -- the response headers policy: what viewers see of a stored variant ------------------------------------


def stored_variant_hit(edge_factory) -> tuple[dict, dict]:
    """(headers of a stored variant served from S3 through a fresh edge, then of the same from its cache)."""
    edge_factory().handle("GET", f"{CAT}?w=320", DESKTOP)  # generates and stores the variant
    fresh = edge_factory()  # another edge location: empty cache, the variant is in S3
    status, from_s3, _ = fresh.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert (status, from_s3["X-Cache"]) == (200, "Miss from cloudfront")
    status, from_cache, _ = fresh.handle("GET", f"{CAT}?w=320", DESKTOP)
    assert (status, from_cache["X-Cache"]) == (200, "Hit from cloudfront")
    return from_s3, from_cache


def test_a_stored_variant_reaches_viewers_with_nosniff_and_without_s3_metadata(template, tmp_path):
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    edge = lambda: LocalEdge(store, Config(), distribution=distribution_from_template(template))  # noqa: E731
    for headers in stored_variant_hit(edge):
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert not [name for name in headers if name.lower().startswith("x-amz-meta-")]
        assert headers["Content-Type"] == "image/avif" and headers["ETag"] and headers["Server"] == "AmazonS3"


def test_without_the_policy_s3s_metadata_reaches_viewers(template, tmp_path):
    """The control: the same hit through a template whose behaviour has no response headers policy."""
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    changed = copy.deepcopy(template)
    del behavior(changed)["ResponseHeadersPolicyId"]
    edge = lambda: LocalEdge(store, Config(), distribution=distribution_from_template(changed))  # noqa: E731
    from_s3, _ = stored_variant_hit(edge)
    assert from_s3["x-amz-meta-source-key"] == "samples/cat.png" and "X-Content-Type-Options" not in from_s3


def test_the_policy_applies_on_the_way_out_not_to_the_cached_copy(template, tmp_path):
    """As on CloudFront: the cache keeps S3's headers; each response to a viewer gets the policy."""
    edge = make_edge(tmp_path, template)
    edge.handle("GET", f"{CAT}?w=320", DESKTOP)
    fresh = LocalEdge(edge.store, Config(), distribution=edge.distribution)
    fresh.handle("GET", f"{CAT}?w=320", DESKTOP)
    cached = fresh.cache.get(CacheKey("/_variants/samples/cat.png/w320-q60.avif"))
    assert cached.headers["x-amz-meta-source-key"] == "samples/cat.png"
    assert "X-Content-Type-Options" not in cached.headers


def test_response_headers_policy_semantics():
    policy = ResponseHeadersPolicy("p", remove=frozenset({"server"}), content_type_options=False,
                                   custom=(("Timing-Allow-Origin", "*", True), ("X-Frame-Options", "DENY", False)))
    out = policy.apply({"Server": "AmazonS3", "x-content-type-options": "origin", "X-Frame-Options": "SAMEORIGIN",
                        "timing-allow-origin": "https://a.example"})
    assert out == {"x-content-type-options": "origin", "X-Frame-Options": "SAMEORIGIN", "Timing-Allow-Origin": "*"}
    assert ResponseHeadersPolicy("p", content_type_options=True).apply({"X-Content-Type-Options": "x"}) == \
        {"X-Content-Type-Options": "nosniff"}


def test_a_response_headers_policy_the_local_edge_cannot_play_is_refused(template):
    with_cors = copy.deepcopy(template)
    props(with_cors, "VariantResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]["CorsConfig"] = {
        "AccessControlAllowCredentials": False, "AccessControlAllowHeaders": {"Items": ["*"]},
        "AccessControlAllowMethods": {"Items": ["GET"]}, "AccessControlAllowOrigins": {"Items": ["*"]},
        "OriginOverride": True}
    with pytest.raises(TemplateError, match="CorsConfig"):
        distribution_from_template(with_cors)
    with_hsts = copy.deepcopy(template)
    props(with_hsts, "VariantResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "StrictTransportSecurity"] = {"AccessControlMaxAgeSec": 63072000, "Override": True}
    with pytest.raises(TemplateError, match="StrictTransportSecurity"):
        distribution_from_template(with_hsts)
    managed = copy.deepcopy(template)
    behavior(managed)["ResponseHeadersPolicyId"] = "67f7725c-6f97-4210-82d7-5512b31e9d03"
    with pytest.raises(TemplateError, match="managed response headers policy"):
        distribution_from_template(managed)
