"""Build the compiled SSIMULACRA2 kernel, ``imgedge/core/ssimulacra2.c``, that ``q=auto``'s measure runs on
wherever one of its libraries loads (``imgedge.core.native``; the numpy path otherwise, same scores within
0.06, about twice the time).

    python tooling/native.py            # build beside the source, for this machine (what scripts/dev.py does)

One library per flavour, ``_ssimulacra2-<flavour>.so``; ``imgedge.core.native`` loads the first its CPU
can run. The system's C compiler (``cc``, or ``$CC``) builds them; without one nothing is built and
``q=auto`` measures with numpy. Compiled with ``-ffast-math`` (the cube root on glibc's vector ``expf``
and ``logf``) but linked without it: GCC before 13 links ``crtfastmath.o`` into a ``-shared -ffast-math``
library, which flushes denormals for the whole process the moment it loads. A library for Lambda
(``tooling/bundle.py``) is built only on a machine of the function's architecture and refused if it
needs a glibc newer than the runtime's.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = REPO_ROOT / "imgedge" / "core" / "ssimulacra2.c"
#: Flavour -> (the machine it is for, None: any; compile flags). ``x86-64-v3`` (AVX2, FMA) is what
#: Lambda's x86_64 hosts run. A build for the baseline x86-64 measured no faster than numpy (scalar
#: ``expf``/``logf``), nor would one for arm64 on Amazon Linux 2023's glibc (no vector math library for
#: it before 2.38), so there is none: those CPUs measure with numpy.
FLAVOURS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "x86-64-v3": ("x86_64", ("-O3", "-ffast-math", "-march=x86-64-v3", "-fopenmp-simd")),
}


class NativeError(Exception):
    """The kernel could not be built as asked."""


def library_name(flavour: str) -> str:
    return f"_ssimulacra2-{flavour}.so"


def compiler() -> str | None:
    """The C compiler to build with: ``$CC``, else ``cc``; None when there is none."""
    return shutil.which(os.environ.get("CC", "cc"))


def flavours(machine: str) -> list[str]:
    """The flavours built for ``machine`` (``platform.machine()``'s spelling)."""
    return [name for name, (only, _) in FLAVOURS.items() if only in (None, machine)]


def glibc_needed(library: Path) -> int:
    """The newest glibc minor version ``library``'s symbols ask for (the version names in its dynamic
    string table); 0 when it names none."""
    return max((int(minor) for minor in re.findall(rb"GLIBC_2\.(\d+)", library.read_bytes())), default=0)


def build(out_dir: Path, *, machine: str | None = None, glibc_minor: int | None = None) -> list[Path]:
    """Build every flavour for ``machine`` (default: this one) into ``out_dir``; each written whole or not
    at all. Refuses a machine without a flavour, a machine other than this one (no cross compiler here),
    a missing compiler, and with ``glibc_minor`` a library that would need a newer glibc."""
    here = platform.machine()
    machine = machine or here
    if not flavours(machine):
        raise NativeError(f"no build of the kernel for {machine}")
    if machine != here:
        raise NativeError(f"the kernel for {machine} must be built on {machine} (this machine is {here})")
    cc = compiler()
    if cc is None:
        raise NativeError("no C compiler (cc, or $CC)")
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    with tempfile.TemporaryDirectory() as scratch:
        for flavour in flavours(machine):
            obj, library = Path(scratch) / f"{flavour}.o", Path(scratch) / library_name(flavour)
            _run([cc, *FLAVOURS[flavour][1], "-fPIC", "-c", "-o", str(obj), str(SOURCE)])
            _run([cc, "-shared", "-o", str(library), str(obj), "-lm"])
            needed = glibc_needed(library)
            if glibc_minor is not None and needed > glibc_minor:
                raise NativeError(f"{library.name} needs glibc 2.{needed}; the runtime has 2.{glibc_minor}")
            target = out_dir / library.name
            shutil.copyfile(library, target.with_suffix(".tmp"))
            target.with_suffix(".tmp").replace(target)
            built.append(target)
    return built


def stale(out_dir: Path) -> bool:
    """Whether a library for this machine is missing from ``out_dir`` or older than its source or this
    build's flags."""
    newest = max(SOURCE.stat().st_mtime, Path(__file__).stat().st_mtime)
    libraries = [out_dir / library_name(flavour) for flavour in flavours(platform.machine())]
    return any(not path.exists() or path.stat().st_mtime < newest for path in libraries)


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise NativeError(f"{' '.join(command)} failed:\n{completed.stderr or completed.stdout}")


def main() -> int:
    try:
        for path in build(SOURCE.parent):
            print(f"built {path.relative_to(REPO_ROOT)}")
    except NativeError as exc:
        print(f"native: {exc}; q=auto measures with numpy", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
