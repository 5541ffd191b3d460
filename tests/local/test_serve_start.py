"""``imgedge serve`` as a newcomer meets it: a store that cannot serve is refused at start (one line on stderr,
a non-zero exit) and reported by ``/healthz``; its failures are logged once per kind, not silently answered
with 502s; template parameters outside their AllowedValues are refused; every answer has one ``Server``;
a viewer that goes away is no traceback."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
from types import SimpleNamespace

import boto3
import pytest

import imgedge.local.server as server_module
from imgedge import cli
from imgedge.cli.exits import Exit
from imgedge.config import Config
from imgedge.local.behaviour import TemplateError, load_distribution
from imgedge.local.edge import LocalEdge
from imgedge.local.origins import s3_store
from imgedge.local.server import make_server
from imgedge.store import DirectoryStore
from tests.events import CHROME_UA
from tests.localedge import running_local_edge
from tests.s3servers import shared_s3_server


@pytest.fixture
def started(monkeypatch) -> list[LocalEdge]:
    """``imgedge serve`` without its server loop: the edges it would have served (none if it refused)."""
    served: list[LocalEdge] = []

    def fake_make_server(edge, host, port, samples):
        served.append(edge)
        return SimpleNamespace(server_address=(host, port), serve_forever=lambda: None, server_close=lambda: None)

    monkeypatch.setattr(server_module, "make_server", fake_make_server)
    return served


@pytest.fixture
def closed_endpoint(monkeypatch) -> str:
    """An S3 endpoint URL nobody listens on, with credentials that need no lookup."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a session made now, from this environment
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with shared_s3_server("moto", tmp_path_factory) as server:
        yield server


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_an_unreachable_endpoint_is_refused_at_start(started, closed_endpoint, capsys):
    assert cli.main(["serve", "--s3-endpoint", closed_endpoint, "--bucket", "images"]) == Exit.UNREACHABLE
    line = one_line(capsys.readouterr().err)
    assert line.startswith("imgedge serve: ") and "127.0.0.1" in line
    assert started == []


def test_a_missing_bucket_is_refused_at_start(started, moto, monkeypatch, capsys):
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    assert cli.main(["serve", "--s3-endpoint", moto.endpoint_url, "--bucket", "no-such-bucket-here"]) == Exit.MISSING
    line = one_line(capsys.readouterr().err)
    assert line.startswith("imgedge serve: ") and "no-such-bucket-here" in line
    assert started == []


def test_a_template_parameter_outside_its_allowed_values_is_refused(started, tmp_path, capsys):
    assert cli.main(["serve", "--root", str(tmp_path / "bucket"), "--parameter", "Mode=bogus"]) == Exit.TEMPLATE
    line = one_line(capsys.readouterr().err)
    assert "Mode=bogus" in line and "edge, regional" in line
    assert started == []
    with pytest.raises(TemplateError, match="AllowedValues"):
        load_distribution(parameters={"Mode": "bogus"})
    assert load_distribution(parameters={"Mode": "regional"}).behaviours  # an allowed value still plays


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.msg, body


@pytest.fixture
def unreachable_edge(closed_endpoint, tmp_path):
    """A local edge over HTTP whose store is an S3 endpoint that does not answer."""
    edge = LocalEdge(s3_store("images", closed_endpoint), Config())
    server = make_server(edge, "127.0.0.1", 0, [])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_healthz_reports_the_store(unreachable_edge, tmp_path):
    status, _, body = get(unreachable_edge, "/healthz")
    assert status == 503 and body.startswith(b"store: the image store did not answer")
    with running_local_edge(tmp_path) as (port, _edge, _store, _keys):
        assert get(port, "/healthz")[::2] == (200, b"ok\n")


def test_store_failures_are_logged_once_per_kind(unreachable_edge, caplog):
    caplog.set_level(logging.WARNING, logger="imgedge.local")
    for path in ("/samples/cat.png?w=320", "/samples/cat.png?w=640"):
        status, _, _ = get(unreachable_edge, path, {"User-Agent": CHROME_UA})
        assert status == 502
    failures = [r.getMessage() for r in caplog.records if "the store failed" in r.getMessage()]
    assert len(failures) == 1 and "did not answer" in failures[0]


def test_every_answer_has_one_server_header(tmp_path):
    with running_local_edge(tmp_path) as (port, edge, _store, _keys):
        path = "/samples/cat.png?w=320"
        assert get(port, path, {"User-Agent": CHROME_UA})[0] == 200  # rendered: no origin Server header
        edge.invalidate(["/*"])
        status, headers, _ = get(port, path, {"User-Agent": CHROME_UA})  # S3's stored copy, with AmazonS3
        assert status == 200 and headers["X-Cache"] == "Miss from cloudfront"
        assert headers.get_all("Server") == ["AmazonS3"]
        for page in ("/", "/healthz", "/_imgedge/stats"):
            assert len(get(port, page)[1].get_all("Server")) == 1


def test_a_viewer_that_goes_away_is_no_traceback(tmp_path, capsys):
    """A browser cancelling an image is routine: no traceback on stderr (anything else still gets one)."""
    server = make_server(LocalEdge(DirectoryStore(tmp_path / "bucket"), Config()), "127.0.0.1", 0, [])
    try:
        for gone in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "Connection reset by peer")):
            try:
                raise gone
            except ConnectionError:
                server.handle_error(None, ("127.0.0.1", 50000))
        assert capsys.readouterr().err == ""
        try:
            raise ValueError("a bug")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 50000))
        assert "ValueError: a bug" in capsys.readouterr().err
    finally:
        server.server_close()
