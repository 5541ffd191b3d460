"""The compiled SSIMULACRA2 kernel (``ssimulacra2.c``, built by the repository's ``tooling/native.py``):
which of its libraries this CPU runs, and its functions' signatures for ctypes. ``perceptual`` measures
with it when one loads, with numpy otherwise; the two agree (levels equal, scores within 0.06), the
kernel in about half the time, which is what lets ``q=auto`` probe JPEG's whole output within its
allowance. ``IMGEDGE_PERCEPTUAL_ENGINE=numpy`` keeps the numpy path (to compare the two)."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

#: The flavours, preferred first, with the CPU flags (as ``/proc/cpuinfo`` spells them) each needs:
#: ``x86-64-v3`` is AVX2, FMA, BMI1/2, F16C, LZCNT (``abm``), MOVBE and XSAVE. Other CPUs measure with
#: numpy (a baseline build measured no faster).
FLAVOURS: tuple[tuple[str, frozenset[str]], ...] = (
    ("x86-64-v3", frozenset({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"})),
)
ENGINE_VARIABLE = "IMGEDGE_PERCEPTUAL_ENGINE"
HERE = Path(__file__).resolve().parent


def library_path(flavour: str) -> Path:
    return HERE / f"_ssimulacra2-{flavour}.so"


def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags; empty where ``/proc/cpuinfo`` does not say (then no flavour loads)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


class Kernel:
    """The loaded library, its flavour, and its functions typed."""

    def __init__(self, library: ctypes.CDLL, flavour: str) -> None:
        self.flavour = flavour
        floats = np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS")
        ints = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
        doubles = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
        u8 = np.ctypeslib.ndpointer(np.uint8, flags="C_CONTIGUOUS")
        u16 = np.ctypeslib.ndpointer(np.uint16, flags="C_CONTIGUOUS")
        c_int, c_float = ctypes.c_int, ctypes.c_float
        self.scale_score = library.scale_score
        self.scale_score.restype = ctypes.c_double
        self.scale_score.argtypes = [c_int, c_int, floats, c_int, ints, ints, floats, floats, floats, floats, doubles,
                                     floats, floats, c_float, c_float]
        self.reference_scale = library.reference_scale
        self.reference_scale.restype = c_int
        self.reference_scale.argtypes = [c_int, c_int, floats, c_int, ints, ints, floats, floats, floats, floats,
                                         floats, floats, c_float, c_float]
        self.linear_u8 = library.linear_u8
        self.linear_u8.restype = None
        self.linear_u8.argtypes = [u8, ctypes.c_size_t, floats, floats]
        self.half = library.half
        self.half.restype = None
        self.half.argtypes = [floats, c_int, c_int, floats]
        self.quarter = library.quarter
        self.quarter.restype = None
        self.quarter.argtypes = [u8, c_int, ints, c_int, ints, c_int, u16, floats]


def load() -> Kernel | None:
    """The first library this CPU can run that loads; None when none does or the numpy path is asked
    for."""
    if os.environ.get(ENGINE_VARIABLE, "").lower() == "numpy":
        return None
    flags = cpu_flags()
    for flavour, needs in FLAVOURS:
        path = library_path(flavour)
        if not path.exists() or not needs <= flags:
            continue
        try:
            return Kernel(ctypes.CDLL(str(path)), flavour)
        except (OSError, AttributeError):  # built for another machine or an older source: try the next
            continue
    return None
