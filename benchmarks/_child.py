"""Run in a fresh interpreter by test_startup.py; prints one JSON line.

    _child.py import MODULE           in-process import time of MODULE (ms)
    _child.py rss IMPL CASE PATH      VmHWM before and after one variant (KiB)
"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def vm(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main() -> None:
    sys.path[:0] = [ROOT, os.path.join(ROOT, "benchmarks")]
    if sys.argv[1] == "import":
        started = time.perf_counter()
        __import__(sys.argv[2])
        print(json.dumps({"import_ms": (time.perf_counter() - started) * 1000,
                          "numpy_loaded": "numpy" in sys.modules, "pil_loaded": "PIL.Image" in sys.modules,
                          "boto3_loaded": "boto3" in sys.modules}))
        return
    impl, case_name, path = sys.argv[2:5]
    os.environ.setdefault("VIPS_CONCURRENCY", "1")
    from PIL import AvifImagePlugin, Image  # noqa: F401  (baseline includes the codecs' own footprint)

    from imgedge.core import encode

    import impls

    AvifImagePlugin.DEFAULT_MAX_THREADS = 1
    Image.init()  # every Pillow plugin, as a warm container has them after its first open
    encode.AVIF_MAX_THREADS = 1
    if impl == "libvips":
        import pyvips

        pyvips.cache_set_max(0)
    if impl == "imgedge":
        from imgedge.core import decode

        for codec in ("pyspng", "webp"):  # imported on a container's first decode, then resident
            decode._codec(codec)
        decode._webp_rows()  # ... and Pillow's libwebp through ctypes
        rows = decode._jpeg_rows()  # ... and its libjpeg through cffi
        if rows is not None:
            rows.available()
    with open(path, "rb") as fh:
        data = fh.read()
    before = vm("VmHWM")
    rss_before = vm("VmRSS")
    out = impls.IMPL_FUNCS[impl](data, impls.CASES[case_name])
    print(json.dumps({"hwm_before_kib": before, "rss_before_kib": rss_before, "hwm_after_kib": vm("VmHWM"),
                      "peak_delta_mib": (vm("VmHWM") - max(before, rss_before)) / 1024, "bytes": len(out)}))


if __name__ == "__main__":
    main()
