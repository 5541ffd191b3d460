"""``imgedge purge`` on the directory bucket and the local edge: the variants of one original go, nothing else,
and the edge's cache forgets them (in-process, and over HTTP for a running ``imgedge serve``)."""

from __future__ import annotations

import threading

import pytest

from imgedge import cli
from imgedge.config import Config
from imgedge.local.server import LocalEdge, make_server, seed_samples
from imgedge.purge import invalidation_paths, purge
from imgedge.store import DirectoryStore
from tests.events import CHROME_ACCEPT, CHROME_UA

VIEWER = {"User-Agent": CHROME_UA, "Accept": CHROME_ACCEPT}


@pytest.fixture
def edge(tmp_path):
    store = DirectoryStore(tmp_path / "bucket")
    seed_samples(store)
    edge = LocalEdge(store, Config())
    for url in ("/samples/cat.png?w=320", "/samples/cat.png?w=640&fmt=webp", "/samples/cat.png?w=160&h=160",
                "/samples/lake-boats-4mp.jpg?w=320"):
        assert edge.handle("GET", url, VIEWER)[0] == 200
    return edge


def files_under(root, folder):
    return sorted(p.relative_to(root).as_posix() for p in (root / folder).rglob("*") if p.is_file())


def test_purge_deletes_one_originals_variants_and_its_cache_entries(edge):
    root = edge.store.root
    originals = {key: (root / key).read_bytes() for key in ("samples/cat.png", "samples/lake-boats-4mp.jpg")}
    assert len(files_under(root, "_variants/samples/cat.png")) == 3

    result = purge("samples/cat.png", edge.store, Config(), local_edge=edge)

    assert result.deleted == ["_variants/samples/cat.png/w160-h160-cover-q60.avif",
                              "_variants/samples/cat.png/w320-q60.avif", "_variants/samples/cat.png/w640-q80.webp"]
    assert not (root / "_variants/samples/cat.png").exists()
    assert not (root / ".imgedge-meta/_variants/samples/cat.png").exists()
    assert files_under(root, "_variants") == ["_variants/samples/lake-boats-4mp.jpg/w320-q60.avif"]
    assert {key: (root / key).read_bytes() for key in originals} == originals
    assert result.paths == ["/samples/cat.png*", "/_variants/samples/cat.png/*"]
    assert result.local_entries_removed == 3

    # The edge regenerates on the next request; lake-boats is still a hit.
    before = edge.stats["origin-response"]
    assert edge.handle("GET", "/samples/cat.png?w=320", VIEWER)[1]["X-Cache"] == "Miss from cloudfront"
    assert edge.stats["origin-response"] == before + 1
    assert edge.handle("GET", "/samples/lake-boats-4mp.jpg?w=320", VIEWER)[1]["X-Cache"] == "Hit from cloudfront"
    # Purging again finds nothing, and says so.
    assert purge("samples/cat.png", edge.store, Config()).deleted == ["_variants/samples/cat.png/w320-q60.avif"]
    assert purge("samples/cat.png", edge.store, Config()).deleted == []


def test_invalidation_paths_are_percent_encoded_like_the_uris_cloudfront_caches():
    assert invalidation_paths("photos/summer holiday/a+b ü*.jpg", Config()) == [
        "/photos/summer%20holiday/a%2Bb%20%C3%BC%2A.jpg*",
        "/_variants/photos/summer%20holiday/a%2Bb%20%C3%BC%2A.jpg/*",
    ]


@pytest.mark.parametrize("key", ["_variants/samples/cat.png", "samples/", "a/../b.jpg", ""])
def test_purge_refuses_keys_that_are_not_originals(edge, key):
    from imgedge.errors import ImageEdgeError

    with pytest.raises(ImageEdgeError):
        purge(key, edge.store, Config())
    assert len(files_under(edge.store.root, "_variants")) == 4


def test_cli_purge_prints_the_invalidation_paths_and_empties_a_running_local_edge(edge, capsys):
    server = make_server(edge, "127.0.0.1", 0, [])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code = cli.main(["purge", "/samples/cat.png", "samples/lake-boats-4mp.jpg", "--root", str(edge.store.root),
                         "--local-edge", url])
    finally:
        server.shutdown()
        server.server_close()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "samples/cat.png: deleted 3 variants" in out and "samples/lake-boats-4mp.jpg: deleted 1 variants" in out
    assert f"local edge {url}: 4 cached responses invalidated" in out
    for path in ("/samples/cat.png*", "/_variants/samples/cat.png/*", "/_variants/samples/lake-boats-4mp.jpg/*"):
        assert f"  {path}\n" in out
    assert len(edge.cache) == 0 and files_under(edge.store.root, "_variants") == []


def test_cli_purge_refuses_a_variant_key(edge, capsys):
    # a key that is not an original is a usage mistake, refused before anything is deleted
    assert cli.main(["purge", "_variants/samples/cat.png/w320-q60.avif", "--root", str(edge.store.root)]) == 2
    assert "variants cannot be requested directly" in capsys.readouterr().err
    assert len(files_under(edge.store.root, "_variants/samples/cat.png")) == 3
