"""The generation budget and the cost model: refuse or adapt before the work, stop re-encodes in time,
remember refusals, and never leave a variant of an original that changed under it."""

from __future__ import annotations

import base64
import io
import threading
import time
from dataclasses import replace

import pytest
from PIL import Image

import imgedge
from imgedge.config import Config
from imgedge.core import admission, autoquality, budget, cost, encode, pipeline
from imgedge.deadline import Deadline, TooCostly
from imgedge.edge import origin_response
from imgedge.errors import ImageEdgeError, PayloadTooLarge, UnprocessableImage
from imgedge.refusals import marker_key
from imgedge.request.spec import VariantSpec
from imgedge.store import DirectoryStore, StoredObject
from tests.events import origin_response as origin_event
from tests.photos import photo


def test_require_refuses_work_that_does_not_fit_and_names_the_estimate():
    deadline = Deadline(2.0)
    deadline.require(1.0, "a small step")
    with pytest.raises(TooCostly) as refused:
        deadline.require(30.0, "generating this variant")
    assert refused.value.status == 422
    assert "about 30.0 s" in refused.value.message and "2 s generation limit" in refused.value.message
    assert Deadline(0).allows(10**9)  # no limit


def test_the_alarm_stops_python_work_at_the_budget_end_in_the_main_thread():
    deadline = Deadline(0.2)
    started = time.monotonic()
    with pytest.raises(UnprocessableImage, match="longer than 0.2 s"):
        with deadline.enforced():
            while True:
                pass
    assert time.monotonic() - started < 1.5
    import signal
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_there_is_no_alarm_but_the_checks_still_refuse():
    seen: list[BaseException | None] = []

    def worker() -> None:
        deadline = Deadline(0.01)
        with deadline.enforced():  # no SIGALRM here: must not raise or install anything
            time.sleep(0.05)
        try:
            deadline.require(0.5, "encoding this variant")
            seen.append(None)
        except TooCostly as exc:
            seen.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert isinstance(seen[0], TooCostly)


def _work(**overrides) -> cost.Work:
    fields = dict(source_format="JPEG", progressive=False, stored_pixels=24_000_000, decoded_pixels=24_000_000,
                  decoded_mode="RGB", raw_bytes_per_pixel=3, interlaced=False, converts=False, reduce_factor=1,
                  coefficient_bytes=0.0,
                  output_pixels=3840 * 2560, frames=1, out_format="avif", quality=100, smart=False)
    fields.update(overrides)
    return cost.Work(**fields)


def test_the_estimate_grows_with_what_costs():
    base = cost.estimate(_work(out_format="jpeg", quality=80))
    assert cost.estimate(_work(out_format="jpeg", quality=80, progressive=True)).decode_s > base.decode_s
    assert cost.estimate(_work(out_format="jpeg", quality=100)).encode_s > base.encode_s
    assert cost.estimate(_work(out_format="avif", quality=60)).encode_s > base.encode_s
    assert cost.estimate(_work(out_format="avif"), avif_speed=9).encode_s < cost.estimate(_work()).encode_s
    animated = cost.estimate(_work(out_format="webp", frames=90, output_pixels=1_000_000))
    assert animated.encode_s > 80 * cost.estimate(_work(out_format="webp", output_pixels=1_000_000)).encode_s
    full = _work(source_format="PNG", decoded_mode="P", raw_bytes_per_pixel=1, converts=True, output_pixels=640 * 427)
    strips = _work(source_format="PNG", decoded_mode="P", raw_bytes_per_pixel=1, converts=True, reduce_factor=4,
                   output_pixels=640 * 427)
    assert cost.work_bytes(full) > 24_000_000 * 8 > cost.work_bytes(strips)  # RGBA copy + premultiplied copy
    assert cost.work_bytes(_work(progressive=True, coefficient_bytes=3.0)) - cost.work_bytes(_work()) == 72_000_000


def test_a_webp_resampled_in_bands_is_priced_for_a_band_and_libwebps_planes():
    """In bands no full-size image, nor its premultiplied copy, is held; the planes libwebp keeps whole for
    a lossless WebP are, whichever way it is decoded."""
    whole = _work(source_format="WEBP", decoded_mode="RGBA", out_format="jpeg", output_pixels=2048 * 2048)
    banded = _work(source_format="WEBP", decoded_mode="RGBA", out_format="jpeg", output_pixels=2048 * 2048,
                   banded=True)
    assert cost.work_bytes(whole) - cost.work_bytes(banded) > 24_000_000 * 4 * 2
    planes = 24_000_000 * 4
    assert cost.work_bytes(replace(banded, decoder_plane_bytes=planes)) - cost.work_bytes(banded) == planes


def test_avif_speed_is_the_default_when_it_fits_and_faster_only_when_it_must():
    pixels = 3840 * 2560
    assert cost.avif_speed(60, 640 * 480, 15.0, default=6) == 6
    fast = cost.avif_speed(100, pixels, 6.0, default=6)
    assert fast > 6 and cost.encode_seconds("avif", 100, pixels, avif_speed=fast) * cost.SAFETY <= 6.0
    assert cost.avif_speed(100, pixels, 0.01, default=6) == max(cost.AVIF_ENCODE_NS)  # none fits: the fastest


def test_memory_limit_follows_lambda_then_the_config_then_the_template_default(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    assert cost.memory_limit(None) == int(cost.DEFAULT_FUNCTION_MEMORY_MB * 2**20 * 0.8)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    assert cost.memory_limit(None) == int(1024 * 2**20 * 0.8)
    assert cost.memory_limit(3008) == int(3008 * 2**20 * 0.8)


def _palette_png(side: int) -> bytes:
    image = Image.new("P", (side, side))
    image.putpalette([v for i in range(256) for v in (i, 255 - i, (i * 7) % 256)])
    image.paste(7, (0, 0, side // 2, side // 2))
    image.info["transparency"] = 0
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    return out.getvalue()


def test_what_would_not_fit_in_memory_is_a_413_before_decoding(monkeypatch):
    data = _palette_png(8000)  # 64 MP, a few KB on disk
    decoded: list[str] = []
    monkeypatch.setattr(pipeline.decode, "load_pixels", lambda *a, **k: decoded.append("pixels"))
    with pytest.raises(PayloadTooLarge, match="MB to generate"):
        imgedge.transform(data, "w=640&fmt=webp", config=Config(memory_limit_mb=160))
    assert decoded == []


def test_a_slow_avif_is_made_at_a_faster_speed_instead_of_refused():
    work = _work()
    assert admission.admit(work, Config(), Deadline(60))[0] == encode.AVIF_SPEED
    faster, estimate = admission.admit(work, Config(), Deadline(8))
    assert faster > encode.AVIF_SPEED and estimate.seconds < 8
    with pytest.raises(TooCostly):
        admission.admit(_work(out_format="webp", frames=400, output_pixels=2_000_000), Config(), Deadline(8))


def test_q_auto_gets_only_the_probes_the_budget_holds_and_is_refused_only_when_none_would_help():
    work = _work(out_format="jpeg", quality=95, probes=3, probe_pixels=147_456, stored_pixels=4_000_000,
                 decoded_pixels=4_000_000, output_pixels=1280 * 853)
    priced = {n: cost.estimate(replace(work, probes=n)).seconds + admission.STORE_RESERVE_SECONDS for n in range(4)}
    assert priced[0] < priced[1] < priced[2] < priced[3]
    assert admission.admit(work, Config(), Deadline(priced[3] + 1))[1].probes == 3
    between = admission.admit(work, Config(), Deadline((priced[1] + priced[2]) / 2))[1]
    assert between.probes == 1 and between.seconds + admission.STORE_RESERVE_SECONDS <= priced[2]
    assert admission.admit(work, Config(), Deadline(priced[0] + 0.01))[1].probes == 0  # the seed alone
    with pytest.raises(TooCostly):
        admission.admit(work, Config(), Deadline(priced[0] - 0.05))


def test_q_auto_is_priced_at_the_highest_quality_its_search_may_choose():
    spec = VariantSpec(640, None, None, None, "avif", target=70)
    assert admission.priced_quality(spec) == autoquality.SEARCH["avif"].high
    assert admission.probes_for(spec, animated=False) == autoquality.PROBES
    fixed = VariantSpec(640, None, None, 60, "avif")
    assert admission.priced_quality(fixed) == 60 and admission.probes_for(fixed, animated=False) == 0


def test_byte_budget_search_stops_when_another_encode_would_not_fit():
    image = Image.open(io.BytesIO(photo("lake-boats-4mp.jpg"))).convert("RGB").resize((800, 500))
    calls: list[int | None] = []

    def slow_encoder(img: Image.Image, quality: int | None) -> bytes:
        calls.append(quality)
        time.sleep(0.2)
        return b"x" * 10_000  # never fits

    deadline = Deadline(0.5)
    fitted = budget.fit(image, 80, 100, slow_encoder, deadline=deadline)
    assert not fitted.fits and 1 <= len(calls) <= 3  # stopped long before 5 probes and the size steps
    assert deadline.remaining() > -0.2  # never started an attempt that could not finish


def _store_with(tmp_path, key: str, data: bytes) -> DirectoryStore:
    store = DirectoryStore(tmp_path)
    store.put_original(key, data)
    return store


def _handle(store, uri: str, config: Config, entries: list[dict] | None = None) -> dict:
    return origin_response.handle(origin_event(uri, "404"), lambda _r: store, config,
                                  log=(entries.append if entries is not None else lambda _e: None))


def test_a_refusal_is_remembered_and_answered_without_fetching_the_original(tmp_path, monkeypatch):
    store = _store_with(tmp_path, "photos/big.jpg", photo("nuthatch-20mp.jpg"))
    uri = "/_variants/photos/big.jpg/w1920-q80.webp"
    config = Config(max_generation_seconds=0.3)
    first = _handle(store, uri, config)
    assert first["status"] == "422"
    marker = store.head(marker_key(uri[1:]))
    assert marker is not None and marker.metadata["status"] == "422"
    fetched: list[str] = []
    original_get = store.get
    monkeypatch.setattr(store, "get", lambda key, **kw: fetched.append(key) or original_get(key, **kw))
    entries: list[dict] = []
    again = _handle(store, uri, config, entries)
    assert (again["status"], again["body"]) == (first["status"], first["body"])
    assert entries[0]["remembered"] is True and fetched == []
    # Another config (say, a bigger budget) is not bound by it: the marker is void and goes.
    assert _handle(store, uri, Config(max_generation_seconds=60))["status"] in ("200", "302")
    assert store.head(marker_key(uri[1:])) is None


def test_a_replaced_original_voids_its_remembered_refusal(tmp_path):
    store = _store_with(tmp_path, "photos/x.jpg", b"not an image at all")
    uri = "/_variants/photos/x.jpg/w320-q80.webp"
    assert _handle(store, uri, Config())["status"] == "415"
    assert store.head(marker_key(uri[1:])) is not None
    time.sleep(0.01)  # a new mtime: a new ETag
    store.put_original("photos/x.jpg", photo("lake-boats-4mp.jpg"))
    assert _handle(store, uri, Config())["status"] == "200"


class _ChangingStore(DirectoryStore):
    """A store whose original changes (or goes) between the read and the variant's write."""

    def __init__(self, root, key: str, replacement: bytes | None) -> None:
        super().__init__(root)
        self.key, self.replacement = key, replacement

    def put_new(self, key: str, data: bytes, **kwargs) -> bool:
        created = super().put_new(key, data, **kwargs)
        if key.startswith("_variants/") and not key.endswith(".refused"):
            path = self.root / self.key
            if self.replacement is None:
                path.unlink()
            else:
                time.sleep(0.01)
                self.put_original(self.key, self.replacement)
        return created


@pytest.mark.parametrize("replacement, status", [(None, "404"), (b"replaced", "200")])
def test_a_variant_of_an_original_that_changed_meanwhile_is_not_kept(tmp_path, replacement, status):
    store = _ChangingStore(tmp_path, "photos/cat.jpg", replacement and photo("dune-grass-2mp.jpg"))
    store.put_original("photos/cat.jpg", photo("lake-boats-4mp.jpg"))
    uri = "/_variants/photos/cat.jpg/w320-q80.webp"
    entries: list[dict] = []
    response = _handle(store, uri, Config(), entries)
    assert response["status"] == status and entries[0]["outcome"] == "stale"
    assert response["headers"]["cache-control"][0]["value"] == "private, no-store"
    assert store.head(uri[1:]) is None  # deleted again: the next request renders what is there now
    if status == "200":
        assert Image.open(io.BytesIO(base64.b64decode(response["body"]))).width == 320


def test_the_inline_fit_of_an_animation_stops_at_the_budget(tmp_path, monkeypatch):
    still = Image.open(io.BytesIO(photo("lake-boats-4mp.jpg"))).convert("RGB").resize((400, 250))
    frames = [still.rotate(i * 3).quantize(64) for i in range(8)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80)
    store = _store_with(tmp_path, "anim.gif", out.getvalue())
    uri = "/_variants/anim.gif/w384-q100.webp"
    passes: list[int] = []
    real = budget.fit

    def counting(*args, **kwargs):
        fitted = real(*args, **kwargs)
        passes.append(fitted.attempts)
        return fitted

    monkeypatch.setattr(budget, "fit", counting)
    entries: list[dict] = []
    started = time.monotonic()
    response = _handle(store, uri, Config(max_inline_bytes=1000, max_generation_seconds=3.0), entries)
    assert time.monotonic() - started < 4.5
    assert response["status"] in ("302", "502") and store.head(uri[1:]) is not None  # stored whole
    assert entries[0]["inline_fit_attempts"] <= budget.QUALITY_PROBES


def test_the_fingerprint_changes_with_the_config_and_the_function_memory(monkeypatch):
    from imgedge.refusals import fingerprint

    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    base = fingerprint(Config())
    assert fingerprint(Config()) == base and fingerprint(Config(max_generation_seconds=10)) != base
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    assert fingerprint(Config()) != base


def test_stored_object_head_carries_no_body(tmp_path):
    store = _store_with(tmp_path, "a/b.jpg", b"12345")
    head = store.head("a/b.jpg")
    assert isinstance(head, StoredObject) and head.data == b"" and head.etag == store.get("a/b.jpg").etag
    assert store.head("a/missing.jpg") is None
    store.delete(["a/b.jpg"])
    store.delete(["a/b.jpg"])  # deleting what is gone is fine
    with pytest.raises(ImageEdgeError):
        store.get("a/b.jpg")
