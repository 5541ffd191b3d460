"""Generate ``imgedge/core/libjpeg_ffi.py``, cffi's out-of-line ABI module for the libjpeg declarations
``imgedge.core.jpegrows`` calls (``jpegrows.DECLARATIONS``).

    python -m tooling.libjpeg_ffi

Why generated: cffi's in-line ABI mode parses the declarations (pycparser) on the first use in each
process, about 30 ms of a cold start; the generated module is pure Python (no compiler, no binary) that
hands cffi's backend the parsed types at import. Run this after changing ``DECLARATIONS``; a test checks
the committed module is what they generate.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "imgedge" / "core" / "libjpeg_ffi.py"


def generate(path: Path = MODULE) -> None:
    """Write the module for ``jpegrows.DECLARATIONS`` to ``path``."""
    import cffi

    from imgedge.core import jpegrows

    builder = cffi.FFI()
    builder.cdef(jpegrows.DECLARATIONS)
    builder.set_source("imgedge.core.libjpeg_ffi", None)
    builder.emit_python_code(str(path))


if __name__ == "__main__":
    generate()
