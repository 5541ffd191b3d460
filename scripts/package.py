#!/usr/bin/env python3
"""Build the Lambda zips template.yaml deploys: build/viewer-request.zip and build/origin-response.zip
(Lambda@Edge, Mode=edge), build/regional.zip (the regional generator, Mode=regional) and build/purge.zip (the
purge function on the bucket's S3 events, both modes).

    python scripts/package.py                      # every zip, config from deploy/config.json if present
    python scripts/package.py --config my.json     # another deploy config (any subset of Config's keys)
    python scripts/package.py --init-config deploy/config.json   # write the defaults, to edit
    python scripts/package.py --only viewer-request --out /tmp/b
    python scripts/package.py --only regional      # just the regional generator

No Docker, no python3.12 on PATH: each zip's wheels are those of its lock file, requirements/lambda-<name>.txt
(hash-checked; `make lock` rewrites them), downloaded from PyPI for the template's runtime and the function's
Architectures (see tooling/bundle.py); a lock that no longer matches the template is refused. Needs only
PyYAML and pip (requirements/build.txt, what `make package` installs into .venv-build). Prints each zip's size
against its limit (viewer 1 MB; origin-response, regional and purge 50 MB, aiming at 25, 25 and 1 MB) and
exits non-zero if a zip is over its limit. `sam build` runs the same code through the Makefile's build-*
targets: docs/deploy.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tooling import bundle, config_gen, lock  # noqa: E402
from tooling.template import function_architecture, function_runtime, read_template  # noqa: E402

DEFAULT_CONFIG = REPO_ROOT / "deploy" / "config.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path,
                        help=f"deploy config JSON (default: {DEFAULT_CONFIG.relative_to(REPO_ROOT)} "
                             "if it exists, else the product defaults)")
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "template.yaml",
                        help="SAM template whose Runtime decides the wheels (default: template.yaml)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build", help="output directory (default: build/)")
    parser.add_argument("--only", action="append", choices=sorted(bundle.BUNDLES), help="build only this function")
    parser.add_argument("--function", metavar="LOGICAL_ID", choices=sorted(b.function for b in bundle.BUNDLES.values()),
                        help="build only the function with this logical id in template.yaml (sam build's targets)")
    parser.add_argument("--artifacts-dir", type=Path, metavar="DIR",
                        help="also copy the built function's files (the zip's contents) into DIR, for sam build")
    parser.add_argument("--init-config", type=Path, metavar="PATH",
                        help="write the full default config to PATH and exit")
    parser.add_argument("--print-config", action="store_true",
                        help="print the config.json that would be bundled and exit")
    args = parser.parse_args(argv)

    try:
        if args.init_config:
            if args.init_config.exists():
                print(f"{args.init_config} exists; not overwriting", file=sys.stderr)
                return 2
            args.init_config.parent.mkdir(parents=True, exist_ok=True)
            args.init_config.write_bytes(config_gen.generate(None)[1])
            print(f"wrote the default config to {args.init_config}; edit it, then run make package")
            return 0

        config_path = args.config
        if config_path is None and DEFAULT_CONFIG.exists():
            config_path = DEFAULT_CONFIG
        if config_path is not None and not config_path.exists():
            print(f"no such config file: {config_path}", file=sys.stderr)
            return 2
        _, config_json = config_gen.generate(config_path)
        if args.print_config:
            sys.stdout.write(config_json.decode())
            return 0

        template = read_template(args.template)
        runtime = function_runtime(template)
        print(f"config: {config_path or 'product defaults (no deploy/config.json)'}")
        print(f"runtime: {runtime}; wheels for CPython {bundle.python_version(runtime)}, "
              f"manylinux_2_{bundle.RUNTIME_GLIBC_MINOR[runtime]} .. manylinux2014")
        names = args.only or list(bundle.BUNDLES)
        if args.function:
            names = [name for name, spec in bundle.BUNDLES.items() if spec.function == args.function]
        if args.artifacts_dir and len(names) != 1:
            print("--artifacts-dir takes one function (--function or one --only)", file=sys.stderr)
            return 2
        results = []
        for name in names:
            spec = bundle.BUNDLES[name]
            if spec.function:
                spec = dataclasses.replace(spec, architecture=function_architecture(template, spec.function))
            lock_file = lock.check_lock(spec, runtime)
            pins = ", ".join(f"{n}=={v}" for n, (v, _) in lock.read_lock(lock_file).pins.items()) \
                if lock_file else "no wheels"
            print(f"building {name} ({spec.architecture}): {pins}", flush=True)
            results.append(bundle.build(spec, args.out, runtime, config_json, lock_file=lock_file))
    except (bundle.PackagingError, config_gen.ConfigError, ValueError, OSError) as exc:
        print(f"package: {exc}", file=sys.stderr)
        return 1

    print()
    for result in results:
        print(result.report())
    over = [r.bundle.name for r in results if r.over_limit]
    if over:
        print(f"\nFAILED: over the size limit: {', '.join(over)}", file=sys.stderr)
        return 1
    if args.artifacts_dir:
        # SAM zips ARTIFACTS_DIR itself: give it exactly what our zip holds (the staged directory).
        shutil.copytree(args.out / results[0].bundle.name, args.artifacts_dir, dirs_exist_ok=True)
        print(f"copied {results[0].bundle.name} into {args.artifacts_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
