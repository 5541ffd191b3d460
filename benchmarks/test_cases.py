"""The four cases on every benchmark photo: imgedge beside libvips, naive Pillow and the floor.

Each benchmark times the whole bytes → bytes call (decode, resize, encode) and records in
``extra_info`` what ``run.py`` needs for its table: case, photo, implementation, output bytes, PSNR and
SSIM against the float reference (full decode + LANCZOS at the output size), and the floor's DCT scale.

The imgedge benchmark also runs libvips and the floor once before each of its rounds (pytest-benchmark's
untimed ``setup``) and records those paired times, wall and CPU: on a shared machine the load drifts
between tests, and a ratio of round-by-round neighbours is far steadier than a ratio of two separate
tests. On the corpus (``--photos=corpus``) libvips is the only partner and ``extra_info`` carries the
original's split and kind.
"""

import time

import pytest

from conftest import corpus_mode, quality_info, read_bytes
from impls import IMPL_FUNCS, floor_scale


def paired_pedantic(benchmark, fn, args, rounds, partners):
    """``benchmark.pedantic(fn)`` with each round preceded by one timed call of every partner."""
    own: list[float] = []
    own_cpu: list[float] = []
    paired: dict[str, list[float]] = {name: [] for name in partners}
    paired_cpu: dict[str, list[float]] = {name: [] for name in partners}

    def timed(*call_args):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn(*call_args)
        own.append(time.perf_counter() - started)
        own_cpu.append(time.process_time() - cpu)
        return result

    def setup():
        for name, partner in partners.items():
            started, cpu = time.perf_counter(), time.process_time()
            partner(*args)
            paired[name].append(time.perf_counter() - started)
            paired_cpu[name].append(time.process_time() - cpu)
        return args, {}

    output = benchmark.pedantic(timed, setup=setup if partners else None, args=None if partners else args,
                                rounds=rounds, iterations=1, warmup_rounds=1)
    return output, {"own_ms": [t * 1000 for t in own[-rounds:]], "own_cpu_ms": [t * 1000 for t in own_cpu[-rounds:]],
                    **{f"paired_{name}_ms": [t * 1000 for t in times[-rounds:]] for name, times in paired.items()},
                    **{f"paired_{name}_cpu_ms": [t * 1000 for t in times[-rounds:]]
                       for name, times in paired_cpu.items()}}


def have_vips() -> bool:
    try:
        import pyvips  # noqa: F401
    except ImportError:
        return False
    return True


def test_case(benchmark, request, case, case_photo, impl, rounds):
    if impl == "libvips" and not have_vips():
        pytest.skip("pyvips is not installed")
    partners = {}
    if impl == "imgedge":
        partners = {"libvips": IMPL_FUNCS["libvips"]} if have_vips() else {}
        if not corpus_mode(request.config):
            partners["floor"] = IMPL_FUNCS["floor"]
    data = read_bytes(case_photo["path"])
    benchmark.group = f"{case.name} {case_photo['name']}"
    n = max(1, min(rounds, 3)) if impl == "naive" else rounds  # ~3-5x slower, and only context
    output, times = paired_pedantic(benchmark, IMPL_FUNCS[impl], (data, case), n, partners)
    benchmark.extra_info.update(
        kind="case", case=case.name, photo=case_photo["name"], impl=impl,
        megapixels=case_photo["megapixels"], **quality_info(case_photo["path"], output), **times,
    )
    if "split" in case_photo:
        benchmark.extra_info.update(split=case_photo["split"], original_kind=case_photo["kind"])
        if "libvips" in partners:  # its output's quality and bytes beside imgedge's (untimed)
            vips = quality_info(case_photo["path"], partners["libvips"](data, case))
            benchmark.extra_info.update(libvips_psnr=vips["psnr"], libvips_bytes=vips["bytes"])
    if impl == "floor":
        benchmark.extra_info["floor_scale"] = f"1/{floor_scale((case_photo['width'], case_photo['height']), case)}"
