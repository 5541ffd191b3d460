"""The four cases on every benchmark photo: imgedge beside libvips, naive Pillow and the floor.

Each benchmark times the whole bytes → bytes call (decode, resize, encode) and records in
``extra_info`` what ``run.py`` needs for its table: case, photo, implementation, output bytes, PSNR and
SSIM against the float reference (full decode + LANCZOS at the output size), and the floor's DCT scale.

The imgedge benchmark also runs libvips and the floor once before each of its rounds (pytest-benchmark's
untimed ``setup``) and records those paired times: on a shared machine the load drifts between tests,
and a ratio of round-by-round neighbours is far steadier than a ratio of two separate tests.
"""

import time

import pytest

from conftest import quality_info, read_bytes
from impls import IMPL_FUNCS, floor_scale


def paired_pedantic(benchmark, fn, args, rounds, partners):
    """``benchmark.pedantic(fn)`` with each round preceded by one timed call of every partner."""
    own: list[float] = []
    paired: dict[str, list[float]] = {name: [] for name in partners}

    def timed(*call_args):
        started = time.perf_counter()
        result = fn(*call_args)
        own.append(time.perf_counter() - started)
        return result

    def setup():
        for name, partner in partners.items():
            started = time.perf_counter()
            partner(*args)
            paired[name].append(time.perf_counter() - started)
        return args, {}

    output = benchmark.pedantic(timed, setup=setup if partners else None, args=None if partners else args,
                                rounds=rounds, iterations=1, warmup_rounds=1)
    own = own[-rounds:]
    return output, {"own_ms": [t * 1000 for t in own],
                    **{f"paired_{name}_ms": [t * 1000 for t in times[-rounds:]] for name, times in paired.items()}}


def have_vips() -> bool:
    try:
        import pyvips  # noqa: F401
    except ImportError:
        return False
    return True


def test_case(benchmark, case, case_photo, impl, rounds):
    if impl == "libvips" and not have_vips():
        pytest.skip("pyvips is not installed")
    partners = {}
    if impl == "imgedge":
        partners = {"libvips": IMPL_FUNCS["libvips"]} if have_vips() else {}
        partners["floor"] = IMPL_FUNCS["floor"]
    data = read_bytes(case_photo["path"])
    benchmark.group = f"{case.name} {case_photo['name']}"
    n = max(1, min(rounds, 3)) if impl == "naive" else rounds  # ~3-5x slower, and only context
    output, times = paired_pedantic(benchmark, IMPL_FUNCS[impl], (data, case), n, partners)
    benchmark.extra_info.update(
        kind="case", case=case.name, photo=case_photo["name"], impl=impl,
        megapixels=case_photo["megapixels"], **quality_info(case_photo["path"], output), **times,
    )
    if impl == "floor":
        benchmark.extra_info["floor_scale"] = f"1/{floor_scale((case_photo['width'], case_photo['height']), case)}"
