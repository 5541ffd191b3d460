"""Relative sizes (``scale``; imgix's ``w=0.5``) end to end on a real photo: the viewer names the variant from
the URL alone (``scale50``), the origin resolves it against the original's size when it generates, never
enlarging, within ``max_dimension``, and refuses a fraction still over ``max_output_pixels`` with a ``400``
naming the size, remembered like any refusal that depends on the original and the spec."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from pathlib import Path

from imgedge.config import Config
from imgedge.edge import origin_response, viewer_request
from imgedge.refusals import marker_key
from imgedge.store import DirectoryStore
from tests.events import CHROME_UA
from tests.events import origin_response as origin_event
from tests.events import viewer_request as viewer_event
from tests.localedge import running_local_edge
from tests.photos import open_bytes

ORIGINAL = "samples/lake-boats-4mp.jpg"
ORIGINAL_SIZE = (2560, 1600)
ACCEPT = "image/webp,image/apng,image/*,*/*;q=0.8"


def _get(port: int, path: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Accept": ACCEPT, "User-Agent": CHROME_UA})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_the_local_edge_answers_a_fraction_of_the_original(tmp_path):
    with running_local_edge(tmp_path) as (port, _edge, store, _keys):
        answers = {path: _get(port, f"/{ORIGINAL}?{path}") for path in
                   ("w=0.5&fm=webp", "scale=0.5&fmt=webp", "h=0.33&fm=webp", "w=0.3&dpr=2&fm=webp", "scale=1&fmt=webp")}
        stored = sorted(key.rsplit("/", 1)[1] for key in store.list(f"_variants/{ORIGINAL}/"))
    sizes = {path: (status, kind, open_bytes(body).size) for path, (status, kind, body) in answers.items()}
    assert sizes == {
        "w=0.5&fm=webp": (200, "image/webp", (1280, 800)),
        "scale=0.5&fmt=webp": (200, "image/webp", (1280, 800)),  # the same variant: generated once
        "h=0.33&fm=webp": (200, "image/webp", (896, 560)),  # snapped up to 35 %
        "w=0.3&dpr=2&fm=webp": (200, "image/webp", (1536, 960)),
        "scale=1&fmt=webp": (200, "image/webp", ORIGINAL_SIZE),  # the whole original, never more
    }
    assert stored == ["scale100-q80.webp", "scale35-q80.webp", "scale50-q80.webp", "scale60-q80.webp"]


def _through_handlers(store: DirectoryStore, path: str, query: str, config: Config) -> tuple[str, dict]:
    request = viewer_request.handle(viewer_event(path, query, user_agent=CHROME_UA, accept=ACCEPT), config)
    assert "status" not in request, request.get("body")
    response = origin_response.handle(origin_event(request["uri"], "404", viewer_url=f"{path}?{query}"),
                                      lambda _request: store, config, log=lambda entry: None)
    return request["uri"], response


def _store(tmp_path: Path) -> DirectoryStore:
    store = DirectoryStore(tmp_path)
    store.put_original(ORIGINAL, (Path(__file__).parents[2] / "imgedge" / "local" / ORIGINAL).read_bytes())
    return store


def test_the_handlers_name_the_variant_first_and_size_it_at_the_origin(tmp_path):
    uri, response = _through_handlers(_store(tmp_path), f"/{ORIGINAL}", "w=0.25&fm=webp", Config())
    assert uri == f"/_variants/{ORIGINAL}/scale25-q80.webp"
    image = open_bytes(base64.b64decode(response["body"]))
    assert (response["status"], image.format, image.size) == ("200", "WEBP", (640, 400))


def test_the_origin_keeps_a_fraction_within_the_limits(tmp_path):
    store = _store(tmp_path)
    # max_dimension: the fraction of a large original shrinks (keeping its shape) to the longest side allowed
    narrow = Config(max_dimension=1024, ladder=(16, 320, 1024))
    _, response = _through_handlers(store, f"/{ORIGINAL}", "w=0.75&fm=webp", narrow)
    assert open_bytes(base64.b64decode(response["body"])).size == (1024, 640)
    # max_output_pixels: still over it, a precise 400, remembered next to where the variant would be
    small = Config(max_output_pixels=1_000_000)
    uri, response = _through_handlers(store, f"/{ORIGINAL}", "w=0.5&fm=webp", small)
    assert response["status"] == "400"
    assert "scale=0.5 of this 2560x1600 original is 1280x800, over the 1000000 pixel limit" in \
        base64.b64decode(response["body"]).decode()
    marker = store.head(marker_key(uri[1:]))
    assert marker is not None and marker.metadata["status"] == "400"
