"""The measure's two engines: the compiled kernel (``native``, built by ``tooling/native.py``) must compute
numpy's levels and scores, load only where it can run, and leave numpy in charge wherever it cannot."""

from __future__ import annotations

import platform
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from imgedge.core import native, perceptual
from tests.photos import encoded, open_bytes, photo
from tooling import native as native_build

KERNEL = native.load()
needs_kernel = pytest.mark.skipif(KERNEL is None, reason="the compiled kernel is not built or cannot run on this CPU "
                                  "(python tooling/native.py builds it; x86-64-v3 only)")


def _pair(name: str, size: tuple[int, int], mode: str = "RGB", quality: int = 50) -> tuple[Image.Image, Image.Image]:
    image = open_bytes(photo(name)).convert("RGB").resize(size)
    if mode == "RGBA":  # transparency, as a PNG original keeps it: flattened over white by both engines
        image.putalpha(Image.linear_gradient("L").resize(size))
    elif mode != "RGB":
        image = image.convert(mode)
    candidate = open_bytes(encoded(perceptual._flat(image), "JPEG", quality=quality))
    return image, candidate


@needs_kernel
@pytest.mark.parametrize("name, size, mode", [
    ("grace-hopper-face.jpg", (512, 600), "RGB"),  # whole, every scale
    ("lake-boats-4mp.jpg", (641, 401), "RGB"),  # odd sides: the pyramid's and the quarter's edge rules
    ("lake-boats-4mp.jpg", (1279, 853), "RGB"),
    ("sign-text.jpg", (643, 398), "L"),
    ("storm-landscape-exif6.jpg", (642, 403), "RGBA"),
])
@pytest.mark.parametrize("grid", [None, perceptual.SMALL_GRID, perceptual.GRID])
def test_the_kernel_measures_as_numpy(name, size, mode, grid):
    image, candidate = _pair(name, size, mode)
    compiled = perceptual.CompiledEngine(KERNEL)
    ours = perceptual.Reference(image, grid, compiled)
    numpy = perceptual.Reference(image, grid, perceptual.NumpyEngine())
    for mine, theirs in zip(ours._levels(candidate), numpy._levels(candidate), strict=True):
        assert mine.shape == theirs.shape
        assert float(np.abs(mine - theirs).max()) < 1e-6
    for mine, theirs in zip(ours.scales, numpy.scales, strict=True):  # the reference side, plane for plane
        assert (mine is None) == (theirs is None)
        if mine is not None:
            assert (mine.channels, mine.ssim) == (theirs.channels, theirs.ssim)
            for field in ("xyb", "mu", "sigma", "edge"):
                assert float(np.abs(getattr(mine, field) - getattr(theirs, field)).max()) < 2e-4, field
    expected = numpy.score(candidate)
    assert 30 < expected < 95
    assert ours.score(candidate) == pytest.approx(expected, abs=0.06)
    assert ours.score(image) == pytest.approx(numpy.score(image), abs=0.06)  # the image itself: about 100
    assert ours.score(image) > 99.5


@needs_kernel
def test_the_kernel_is_the_default_engine_where_it_loads():
    assert isinstance(perceptual.ENGINE, perceptual.CompiledEngine)
    assert perceptual.Reference(Image.new("RGB", (64, 64))).engine is perceptual.ENGINE


def test_numpy_measures_when_asked_for(monkeypatch):
    monkeypatch.setenv(native.ENGINE_VARIABLE, "numpy")
    assert native.load() is None
    assert isinstance(perceptual._engine(), perceptual.NumpyEngine)


def test_no_library_this_cpu_can_run_leaves_numpy(monkeypatch, tmp_path):
    monkeypatch.delenv(native.ENGINE_VARIABLE, raising=False)
    monkeypatch.setattr(native, "cpu_flags", lambda: frozenset({"sse2", "avx"}))  # no AVX2: not x86-64-v3
    assert native.load() is None
    monkeypatch.setattr(native, "cpu_flags", lambda: native.FLAVOURS[0][1])
    monkeypatch.setattr(native, "HERE", tmp_path)  # nothing built
    assert native.load() is None
    native.library_path(native.FLAVOURS[0][0]).write_bytes(b"\x7fELF not a library")  # a broken build
    assert native.load() is None


def test_a_kernel_out_of_memory_raises_rather_than_scores():
    class Exhausted:
        flavour = "test"

        def __getattr__(self, name):
            return lambda *args: -1.0 if name == "scale_score" else (-1 if name == "reference_scale" else None)

    engine = perceptual.CompiledEngine(Exhausted())  # type: ignore[arg-type]
    level = np.zeros((16, 16, 3), np.float32)
    need = perceptual._needs(1)[0]
    with pytest.raises(MemoryError):
        engine.reference_scale(level, need)
    reference = perceptual.NumpyEngine().reference_scale(level, need)
    with pytest.raises(MemoryError):
        engine.scale_score(reference, level, need, 0, 1)


def test_the_build_and_the_loader_name_the_same_libraries():
    assert [flavour for flavour, _ in native.FLAVOURS] == list(native_build.FLAVOURS)
    for flavour in native_build.FLAVOURS:
        assert native.library_path(flavour) == native_build.SOURCE.parent / native_build.library_name(flavour)


@pytest.mark.skipif(native_build.compiler() is None or platform.machine() != "x86_64",
                    reason="builds the kernel with this machine's C compiler, for x86_64")
def test_a_built_kernel_loads_keeps_denormals_and_needs_an_old_enough_glibc(tmp_path):
    """Built as a Lambda zip builds it: it loads, asks for no glibc newer than Amazon Linux 2023's, and
    loading it changes no floating-point mode of the process (no crtfastmath: denormals survive)."""
    built = native_build.build(tmp_path, glibc_minor=34)
    assert [path.name for path in built] == [native_build.library_name(f) for f in native_build.FLAVOURS]
    assert 22 <= native_build.glibc_needed(built[0]) <= 34  # libmvec's vector expf/logf: glibc 2.22
    probe = ("import ctypes, sys, numpy as np; ctypes.CDLL(sys.argv[1]); "
             "print(float(np.float32(1e-39) * np.float32(1.0)))")
    out = subprocess.run([sys.executable, "-c", probe, str(built[0])], capture_output=True, text=True, check=True)
    assert float(out.stdout) > 0
    with pytest.raises(native_build.NativeError, match="needs glibc"):
        native_build.build(tmp_path / "old", glibc_minor=17)
    assert not (tmp_path / "old" / built[0].name).exists()  # refused whole


def test_the_build_refuses_what_it_cannot_make(tmp_path, monkeypatch):
    with pytest.raises(native_build.NativeError, match="no build of the kernel for riscv64"):
        native_build.build(tmp_path, machine="riscv64")
    if native_build.flavours(platform.machine()):
        monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
        with pytest.raises(native_build.NativeError, match="no C compiler"):
            native_build.build(tmp_path)
    assert not list(tmp_path.glob("*.so"))
