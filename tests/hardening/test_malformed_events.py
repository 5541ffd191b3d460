"""Every handler, fed mangled copies of the real event shapes (fixtures/cf-events, the Function URL and S3
notification events of tests/regional and tests/purge) and other services' events: a precise answer and one
JSON log line, never an exception.

* viewer-request: a 400 it generates (or, where the mangling leaves a readable request, the rewrite);
* origin-response: S3's response passed through untouched, or a 502 when the event carries none;
* regional Function URL: a 400 nobody caches;
* purge: every unreadable record skipped with its reason in the one summary line, readable ones still purged.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest

from handlers.viewer_request import handler as viewer_handler
from imgedge.config import Config
from imgedge.edge import origin_response
from imgedge.purge import handle_s3_event
from imgedge.regional import function_url
from imgedge.regional.app import GeneratorApp
from imgedge.store import DirectoryStore
from tests.events import event
from tests.events import origin_response as origin_event
from tests.purge.events import s3_event
from tests.regional.events import function_url_event

CONFIG = Config()
DELETE = object()
VARIANT_URI = "/_variants/photos/cat.jpg/w640-q80.webp"
#: JSON values of every type but an object: what a field of the wrong type can hold.
NOT_OBJECTS = [None, [], "x", 42, True]
NOT_STRINGS = [None, [], {}, 42, 1.5, False]
CUSTOM_ORIGIN = {"custom": {"customHeaders": {}, "domainName": "www.example.com", "keepaliveTimeout": 5, "path": "",
                            "port": 443, "protocol": "https", "readTimeout": 30, "sslProtocols": ["TLSv1.2"]}}


def setting(*path: Any, value: Any) -> Callable[[Any], Any]:
    """A mangler: the event with the field at ``path`` set to ``value`` (``DELETE``: removed)."""
    def mangle(ev: Any) -> Any:
        parent = ev
        for step in path[:-1]:
            parent = parent[step]
        if value is DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return ev

    mangle.__name__ = "/".join(map(str, path)) + "=" + ("<deleted>" if value is DELETE else repr(value))
    return mangle


def replaced(value: Any) -> Callable[[Any], Any]:
    mangle = lambda ev: copy.deepcopy(value)  # noqa: E731
    mangle.__name__ = "event=" + repr(value)[:40]
    return mangle


CF = ("Records", 0, "cf")
REQUEST = (*CF, "request")
RESPONSE = (*CF, "response")
ORIGIN = (*REQUEST, "origin")
#: The event as a whole, and the path down to cf: unreadable for every CloudFront handler.
NO_RECORD = [replaced(v) for v in (*NOT_OBJECTS, {}, {"Records": None}, {"Records": []}, {"Records": {}},
                                   {"Records": [None]}, {"Records": ["x"]}, {"Records": [{}]})] + \
    [setting(*CF, value=v) for v in (DELETE, *NOT_OBJECTS)]
NO_REQUEST = [setting(*REQUEST, value=v) for v in (DELETE, *NOT_OBJECTS)] + \
    [setting(*REQUEST, "uri", value=v) for v in (DELETE, *NOT_STRINGS)] + \
    [setting(*REQUEST, "querystring", value=v) for v in (None, [], {}, 42)] + \
    [setting(*REQUEST, "headers", value=v) for v in (None, [], "x", 42)] + \
    [setting(*REQUEST, "headers", "user-agent", value=v)
     for v in ("Mozilla/5.0", {"key": "User-Agent", "value": "x"}, [None], ["x"], [{"key": "User-Agent"}],
               [{"key": "User-Agent", "value": 5}])]
#: Manglings that leave a request CloudFront could send: read as empty, the request is still handled.
READABLE_REQUEST = [setting(*REQUEST, "querystring", value=DELETE), setting(*REQUEST, "headers", value=DELETE),
                    setting(*REQUEST, "headers", "user-agent", value=[]), setting(*CF, "config", value="x"),
                    setting(*REQUEST, "extra", value={"anything": [1]})]


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def case_id(mangle: Callable) -> str:
    return mangle.__name__


# -- viewer-request -----------------------------------------------------------------------------------------


def viewer_event() -> dict:
    return event("viewer-request-desktop-chrome.json")


@pytest.mark.parametrize("mangle", NO_RECORD + NO_REQUEST, ids=case_id)
def test_viewer_request_answers_an_unreadable_event_with_400(mangle, capsys):
    result = viewer_handler(mangle(viewer_event()), None)
    assert result["status"] == "400" and result["body"] == "malformed request\n"
    assert result["headers"]["cache-control"][0]["value"] == CONFIG.error_cache_control
    (line,) = log_lines(capsys)
    assert line["event"] == "malformed-event" and line["handler"] == "viewer-request" and line["answer"] == "400"
    assert line["reason"] and "Traceback" not in line["reason"]


@pytest.mark.parametrize("mangle", READABLE_REQUEST, ids=case_id)
def test_viewer_request_still_rewrites_what_it_can_read(mangle, capsys):
    result = viewer_handler(mangle(viewer_event()), None)
    assert "status" not in result and result["uri"].startswith("/_variants/photos/cat.jpg/")
    assert log_lines(capsys) == []


@pytest.mark.parametrize("foreign", [s3_event("b", "photos/cat.jpg", "ObjectCreated:Put"),
                                     function_url_event("GET", VARIANT_URI),
                                     {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}],
                         ids=["s3-notification", "function-url", "sqs"])
def test_viewer_request_refuses_other_events(foreign, capsys):
    assert viewer_handler(foreign, None)["status"] == "400"
    assert [line["answer"] for line in log_lines(capsys)] == ["400"]


def test_a_failure_of_the_viewer_request_itself_is_a_500_and_a_line(monkeypatch, capsys):
    from imgedge.edge import viewer_request

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(viewer_request, "canonical_uri", broken)
    result = viewer_request.handle(viewer_event(), CONFIG)
    assert result["status"] == "500" and "a bug" not in result["body"]
    (line,) = log_lines(capsys)
    assert line["event"] == "handler-error" and line["reason"] == "RuntimeError: a bug"


# -- origin-response ----------------------------------------------------------------------------------------


def miss_event() -> dict:
    return origin_event(VARIANT_URI, "404")


NO_RESPONSE = NO_RECORD + [setting(*RESPONSE, value=v) for v in (DELETE, *NOT_OBJECTS)]
BAD_STATUS = [setting(*RESPONSE, "status", value=v) for v in (DELETE, None, [], {}, "abc", "", True, 4.04)]
#: With S3's 404 for a variant, what keeps the function from reading the request or its S3 origin.
UNREADABLE_MISS = NO_REQUEST + \
    [setting(*REQUEST, "origin", value=v) for v in (DELETE, *NOT_OBJECTS, CUSTOM_ORIGIN, {})] + \
    [setting(*ORIGIN, "s3", value=v) for v in (DELETE, *NOT_OBJECTS)] + \
    [setting(*ORIGIN, "s3", "domainName", value=v) for v in (DELETE, *NOT_STRINGS, "www.example.com", ".s3.x")] + \
    [setting(*RESPONSE, "headers", value=v) for v in (None, [], "x")] + \
    [setting(*RESPONSE, "headers", "server", value="AmazonS3")]


class Stores:
    """A ``store_for`` that counts its calls: an unreadable event must never reach a store."""

    def __init__(self, root) -> None:
        self.store, self.calls = DirectoryStore(root), 0

    def __call__(self, request: dict) -> DirectoryStore:
        self.calls += 1
        return self.store


@pytest.mark.parametrize("mangle", NO_RESPONSE, ids=case_id)
def test_origin_response_without_a_response_answers_502(mangle, tmp_path, capsys):
    stores = Stores(tmp_path)
    result = origin_response.handle(mangle(miss_event()), stores, CONFIG, log=lambda entry: None)
    assert result["status"] == "502" and result["bodyEncoding"] == "base64"
    assert result["headers"]["cache-control"] == [{"key": "Cache-Control", "value": "no-store"}]
    assert stores.calls == 0
    (line,) = log_lines(capsys)
    assert (line["event"], line["handler"], line["answer"]) == ("malformed-event", "origin-response", "502")


@pytest.mark.parametrize("mangle", BAD_STATUS + UNREADABLE_MISS, ids=case_id)
def test_origin_response_passes_a_response_it_cannot_act_on_through(mangle, tmp_path, capsys):
    ev = mangle(miss_event())
    response = ev["Records"][0]["cf"]["response"]
    before = copy.deepcopy(response)
    stores = Stores(tmp_path)
    result = origin_response.handle(ev, stores, CONFIG, log=lambda entry: None)
    assert result is response and result == before
    assert stores.calls == 0
    (line,) = log_lines(capsys)
    assert (line["event"], line["handler"], line["answer"]) == ("malformed-event", "origin-response", "pass-through")


@pytest.mark.parametrize("mangle", READABLE_REQUEST + [setting(*ORIGIN, "s3", "region", value=42)], ids=case_id)
def test_origin_response_still_handles_a_readable_miss(mangle, tmp_path, capsys):
    stores, entries = Stores(tmp_path), []
    result = origin_response.handle(mangle(miss_event()), stores, CONFIG, log=entries.append)
    assert result["status"] == "404" and stores.calls == 1  # the original is missing: the generator said so
    assert [e["outcome"] for e in entries] == ["refused"] and log_lines(capsys) == []


def test_origin_response_lets_other_statuses_pass_silently(tmp_path, capsys):
    ev = origin_event(VARIANT_URI, "200")
    setting(*REQUEST, "uri", value=None)(ev)  # unreadable, but a 200 is passed on without reading it
    response = ev["Records"][0]["cf"]["response"]
    assert origin_response.handle(ev, Stores(tmp_path), CONFIG) is response
    assert log_lines(capsys) == []


def test_the_lambda_handler_passes_a_custom_origins_miss_through(capsys):
    from handlers.origin_response import handler

    ev = setting(*REQUEST, "origin", value=CUSTOM_ORIGIN)(miss_event())
    assert handler(ev, None)["status"] == "404"
    assert [line["answer"] for line in log_lines(capsys)] == ["pass-through"]


# -- regional Function URL ------------------------------------------------------------------------------------

URL = ("requestContext", "http")


def no_path(ev: dict) -> dict:
    del ev["rawPath"], ev["requestContext"]["http"]["path"]
    return ev


NO_URL_REQUEST = [replaced(v) for v in (*NOT_OBJECTS, {})] + \
    [setting("requestContext", value=v) for v in (DELETE, *NOT_OBJECTS)] + \
    [setting(*URL, value=v) for v in (DELETE, [], "x", 42)] + \
    [setting(*URL, "method", value=v) for v in (DELETE, "", [], {}, 42)] + \
    [no_path] + \
    [setting("rawPath", value=v) for v in ([], {}, 42)] + \
    [setting("rawQueryString", value=v) for v in ([], {}, 42)] + \
    [setting("headers", value=v) for v in ([], "x", 42)] + \
    [setting("headers", "user-agent", value=v) for v in (None, 42, ["a"])] + \
    [setting("body", value=v) for v in (42, {}, [])]


@pytest.fixture
def regional_app(tmp_path) -> GeneratorApp:
    return GeneratorApp(DirectoryStore(tmp_path), CONFIG, log=lambda entry: None)


@pytest.mark.parametrize("mangle", NO_URL_REQUEST, ids=case_id)
def test_the_function_url_adapter_answers_an_unreadable_event_with_400(mangle, regional_app, capsys):
    result = function_url.handle(mangle(function_url_event("GET", VARIANT_URI)), regional_app)
    assert result["statusCode"] == 400 and result["headers"]["Cache-Control"] == "no-store"
    (line,) = log_lines(capsys)
    assert (line["event"], line["handler"], line["answer"]) == ("malformed-event", "regional", "400")


@pytest.mark.parametrize("foreign", [event("viewer-request-desktop-chrome.json"),
                                     s3_event("b", "photos/cat.jpg", "ObjectCreated:Put")],
                         ids=["cloudfront", "s3-notification"])
def test_the_function_url_adapter_refuses_other_events(foreign, regional_app, capsys):
    assert function_url.handle(foreign, regional_app)["statusCode"] == 400
    assert [line["answer"] for line in log_lines(capsys)] == ["400"]


@pytest.mark.parametrize("mangle", [setting("rawQueryString", value=DELETE), setting("headers", value=DELETE),
                                    setting("body", value=None), setting("rawPath", value=None)], ids=case_id)
def test_the_function_url_adapter_reads_missing_optional_fields_as_empty(mangle, regional_app, capsys):
    result = function_url.handle(mangle(function_url_event("GET", VARIANT_URI)), regional_app)
    assert result["statusCode"] == 404  # the request reached the app; the original is missing
    assert log_lines(capsys) == []


# -- purge ----------------------------------------------------------------------------------------------------

OBJECT = ("Records", 0, "s3", "object")


def notification() -> dict:
    return s3_event("images", "photos/cat.jpg", "ObjectRemoved:Delete")


UNREADABLE_NOTIFICATIONS = [replaced(v) for v in (*NOT_OBJECTS, {})] + \
    [setting("Records", value=v) for v in (DELETE, None, {}, "x", 42)] + \
    [setting("Records", 0, value=v) for v in NOT_OBJECTS] + \
    [setting("Records", 0, "eventName", value=v) for v in (DELETE, None, 42, "TestEvent")] + \
    [setting("Records", 0, "eventSource", value=v) for v in (DELETE, "aws:sqs")] + \
    [setting("Records", 0, "s3", value=v) for v in (DELETE, *NOT_OBJECTS)] + \
    [setting(*OBJECT, value=v) for v in (DELETE, *NOT_OBJECTS)] + \
    [setting(*OBJECT, "key", value=v) for v in (DELETE, *NOT_STRINGS, "", "_variants/photos/cat.jpg/w640-q80.webp")] + \
    [setting("Records", 0, "s3", "bucket", value=v) for v in (DELETE, *NOT_OBJECTS)] + \
    [setting("Records", 0, "s3", "bucket", "name", value=v) for v in (DELETE, *NOT_STRINGS, "")]


@pytest.fixture
def bucket(tmp_path) -> DirectoryStore:
    store = DirectoryStore(tmp_path)
    store.put_new("_variants/photos/cat.jpg/w640-q80.webp", b"variant", content_type="image/webp",
                  cache_control="public", metadata={})
    return store


@pytest.mark.parametrize("mangle", UNREADABLE_NOTIFICATIONS, ids=case_id)
def test_purge_skips_what_it_cannot_read_and_says_why(mangle, bucket):
    summaries = []
    summary = handle_s3_event(mangle(notification()), CONFIG, lambda name: bucket, log=summaries.append)
    assert summaries == [summary] and summary["originals"] == [] and summary["deleted"] == 0
    assert summary["skipped"] and all(isinstance(reason, str) and reason for reason in summary["skipped"])
    assert (bucket.root / "_variants/photos/cat.jpg/w640-q80.webp").exists()


@pytest.mark.parametrize("foreign", [event("viewer-request-desktop-chrome.json"), function_url_event("GET", "/x"),
                                     {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "images"}],
                         ids=["cloudfront", "function-url", "s3-test-event"])
def test_purge_skips_other_events(foreign, bucket):
    summary = handle_s3_event(foreign, CONFIG, lambda name: bucket)
    assert summary["originals"] == [] and summary["deleted"] == 0


def test_purge_still_purges_the_readable_records_of_a_mixed_event(bucket):
    mixed = notification()
    mixed["Records"] = [None, {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": "x"},
                        *mixed["Records"]]
    summary = handle_s3_event(mixed, CONFIG, lambda name: bucket)
    assert summary["originals"] == ["photos/cat.jpg"] and summary["deleted"] == 1 and len(summary["skipped"]) == 2
