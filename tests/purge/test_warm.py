"""``imgedge warm``: the variants a viewer would be given, made ahead in a process pool, once."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from PIL import Image

from imgedge import cli
from imgedge.config import Config
from imgedge.edge.viewer_request import canonical_uri
from imgedge.local.server import LocalEdge, seed_samples
from imgedge.request.paths import key_for_uri
from imgedge.store import DirectoryStore
from imgedge.warm import StoreSpec, ladder_keys, list_originals, warm
from tests.events import CHROME_ACCEPT, CHROME_UA

ACCEPTS = {"avif": CHROME_ACCEPT, "webp": "image/webp,*/*", "legacy": "*/*"}


@pytest.fixture
def bucket(tmp_path):
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    store.put_original("other/notes.txt", b"not an image")
    return store


def variants(store: DirectoryStore) -> dict[str, bytes]:
    return {p.relative_to(store.root).as_posix(): p.read_bytes()
            for p in (store.root / "_variants").rglob("*") if p.is_file()}


def test_the_ladder_is_what_the_viewer_request_names(bucket):
    keys = ladder_keys("samples/cat.png", Config(), widths=[300, 640], formats=["avif", "webp", "legacy", "png"])
    expected = {key_for_uri(canonical_uri("/samples/cat.png", f"w={w}", user_agent=CHROME_UA, accept=accept,
                                          config=Config()))
                for w in (300, 640) for accept in ACCEPTS.values()}
    expected |= {key_for_uri(canonical_uri("/samples/cat.png", f"w={w}&fmt=png", user_agent=CHROME_UA, accept="",
                                           config=Config())) for w in (300, 640)}
    assert set(keys) == expected and len(keys) == 8
    assert "_variants/samples/cat.png/w320-q60.avif" in keys  # 300 snaps up to the rung
    with pytest.raises(ValueError, match="unknown format"):
        ladder_keys("samples/cat.png", Config(), formats=["gif"])


def test_originals_are_listed_by_prefix_without_variants_or_non_images(bucket):
    assert list_originals(bucket, "samples/", Config()) == [
        "samples/cat.png", "samples/field-panorama-alpha.png", "samples/grace-hopper-face.jpg",
        "samples/lake-boats-4mp.jpg", "samples/storm-landscape-exif6.jpg"]
    assert list_originals(bucket, "samples/l", Config()) == ["samples/lake-boats-4mp.jpg"]
    warm(StoreSpec(root=str(bucket.root)), "samples/cat", Config(), widths=[160], formats=["webp"], progress=None)
    assert "other/notes.txt" not in list_originals(bucket, "", Config())
    assert not any(k.startswith("_variants") for k in list_originals(bucket, "", Config()))


def test_warm_is_parallel_idempotent_and_resumable(bucket, capsys):
    spec = StoreSpec(root=str(bucket.root))
    summary = warm(spec, "samples/", Config(), widths=[320, 640], formats=["avif", "legacy"], jobs=2)
    counts = (summary.originals, summary.variants, summary.generated, summary.skipped, summary.failed)
    assert counts == (5, 20, 20, 0, 0)
    progress = capsys.readouterr().err
    assert "[##############################] 20/20 generated 20 skipped 0 failed 0" in progress
    made = variants(bucket)
    assert len(made) == 20
    image = Image.open(io.BytesIO(made["_variants/samples/lake-boats-4mp.jpg/w640-q60.avif"]))
    assert image.size == (640, 400) and image.format == "AVIF"

    # Again: nothing to do, nothing rewritten.
    again = warm(spec, "samples/", Config(), widths=[320, 640], formats=["avif", "legacy"], progress=None)
    assert (again.generated, again.skipped) == (0, 20) and variants(bucket) == made

    # Interrupted run: some variants missing (and a leftover temp file) → only those are made.
    for key in list(made)[:7]:
        (bucket.root / key).unlink()
    resumed = warm(spec, "samples/", Config(), widths=[320, 640], formats=["avif", "legacy"], progress=None)
    assert (resumed.generated, resumed.skipped) == (7, 13) and variants(bucket).keys() == made.keys()


def test_a_warmed_variant_is_an_s3_hit_at_the_edge(bucket):
    warm(StoreSpec(root=str(bucket.root)), "samples/lake", Config(), widths=[640], formats=["avif"], progress=None)
    edge = LocalEdge(bucket, Config())
    status, headers, body = edge.handle("GET", "/samples/lake-boats-4mp.jpg?w=600", {"User-Agent": CHROME_UA,
                                                                                   "Accept": CHROME_ACCEPT})
    assert status == 200 and headers["Server"] == "AmazonS3" and "Server-Timing" not in headers
    assert edge.stats["origin-response"] == 1 and body == variants(bucket)[
        "_variants/samples/lake-boats-4mp.jpg/w640-q60.avif"]


def test_failures_are_reported_and_do_not_stop_the_run(bucket):
    bucket.put_original("samples/broken.jpg", b"\xff\xd8\xff not really a jpeg")
    summary = warm(StoreSpec(root=str(bucket.root)), "samples/", Config(), widths=[320], formats=["webp"],
                   progress=None)
    assert (summary.generated, summary.failed) == (5, 1)
    assert summary.failures[0].startswith("_variants/samples/broken.jpg/w320-q80.webp: 4")


def test_cli_warm_writes_generation_lines(bucket, tmp_path, capsys):
    log = tmp_path / "warm.jsonl"
    code = cli.main(["warm", "samples/g", "--root", str(bucket.root), "--widths", "320,640", "--formats", "webp",
                     "--query", "w=160&h=160", "--jobs", "1", "--log-file", str(log)])
    assert code == 0
    assert "1 originals under 'samples/g'" in capsys.readouterr().out
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(line["variant"].rsplit("/", 1)[1] for line in lines) == [
        "w160-h160-cover-q80.webp", "w320-q80.webp", "w640-q80.webp"]
    assert {line["edge_cache"] for line in lines} == {"warm"} and all(line["ts"] for line in lines)
    assert cli.main(["warm", "samples/", "--root", str(bucket.root), "--widths", "x"]) == 2


def test_warm_on_s3(s3_bucket, monkeypatch):
    server, name = s3_bucket
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)  # the workers inherit it
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    client = server.client()
    with open(seed_samples.__globals__["resources"].files("imgedge.local").joinpath("samples/cat.png"), "rb") as fh:
        client.put_object(Bucket=name, Key="shop/cat one.png", Body=fh.read(), ContentType="image/png")
    spec = StoreSpec(bucket=name, endpoint_url=server.endpoint_url)
    summary = warm(spec, "shop/", Config(), widths=[160, 320], formats=["avif", "webp"], jobs=2, progress=None)
    assert (summary.originals, summary.generated, summary.failed) == (1, 4, 0), summary.failures
    stored = sorted(obj["Key"] for obj in client.list_objects_v2(Bucket=name)["Contents"])
    assert stored == ["_variants/shop/cat one.png/w160-q60.avif", "_variants/shop/cat one.png/w160-q80.webp",
                      "_variants/shop/cat one.png/w320-q60.avif", "_variants/shop/cat one.png/w320-q80.webp",
                      "shop/cat one.png"]
    again = warm(spec, "shop/", Config(), widths=[160, 320], formats=["avif", "webp"], jobs=2, progress=None)
    assert (again.generated, again.skipped) == (0, 4)
