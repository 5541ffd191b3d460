#!/usr/bin/env python3
"""(Re)write requirements/lambda-<name>.txt, the hash-pinned wheels of each Lambda zip (tooling/lock.py).

    python scripts/lock.py                  # every zip with wheels, newest wheels the runtime can load
    python scripts/lock.py --only regional  # one zip (e.g. after giving GeneratorFunction arm64)

Reads the runtime and each function's architecture from template.yaml, asks pip (on PyPI) what it would
install, and writes the versions and SHA-256 of those wheels. Commit the result: `make package` builds
from it and nothing else.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tooling import bundle, lock  # noqa: E402
from tooling.template import function_architecture, function_runtime, read_template  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml")
    parser.add_argument("--out", type=Path, default=lock.LOCK_DIR, help="directory of the lock files")
    parser.add_argument("--only", action="append", choices=sorted(bundle.BUNDLES), help="lock only this zip")
    args = parser.parse_args(argv)
    template = read_template(args.template)
    runtime = function_runtime(template)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(bundle.BUNDLES):
        spec = bundle.BUNDLES[name]
        if spec.function:
            spec = dataclasses.replace(spec, architecture=function_architecture(template, spec.function))
        if not bundle.requirements_for(spec):
            print(f"{name}: no wheels, no lock file")
            continue
        try:
            wheels = lock.resolve(spec, runtime)
        except bundle.PackagingError as exc:
            print(f"lock: {exc}", file=sys.stderr)
            return 1
        path = lock.lock_path(name, args.out)
        path.write_text(lock.render(spec, runtime, wheels), encoding="utf-8")
        print(f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: "
              + ", ".join(f"{n}=={v}" for n, v, _ in wheels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
