# Shortcuts for those with make. The README's two commands are `python3 scripts/dev.py serve|test`,
# which need nothing but Python and create .venv themselves.
#
# Packaging has its own small environment, .venv-build (requirements/build.txt: pip and PyYAML, hash-pinned):
# `make package` installs neither the project nor its test tools. The wheels in each zip come from
# requirements/lambda-<name>.txt (`make lock` rewrites them). `sam build` calls the build-<LogicalId> targets
# below with ARTIFACTS_DIR set (template.yaml: Metadata: BuildMethod: makefile); docs/deploy.md.
PYTHON ?= python3
PY := .venv/bin/python
BUILD_VENV := .venv-build
BUILD_PY := $(BUILD_VENV)/bin/python

.PHONY: serve test package lock bench clean \
	build-ViewerRequestFunction build-OriginResponseFunction build-GeneratorFunction build-PurgeFunction

serve:
	$(PYTHON) scripts/dev.py serve $(ARGS)

test:
	$(PYTHON) scripts/dev.py test $(ARGS)

$(BUILD_VENV)/.installed: requirements/build.txt
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/build.txt
	touch $@

package: $(BUILD_VENV)/.installed
	$(BUILD_PY) scripts/package.py $(ARGS)

lock: $(BUILD_VENV)/.installed
	$(BUILD_PY) scripts/lock.py $(ARGS)

# sam build: one function's zip contents (the same as make package's) into $(ARTIFACTS_DIR); SAM zips them.
build-ViewerRequestFunction build-OriginResponseFunction build-GeneratorFunction build-PurgeFunction: \
		$(BUILD_VENV)/.installed
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 2; }
	$(BUILD_PY) scripts/package.py --function $(@:build-%=%) --artifacts-dir "$(ARTIFACTS_DIR)"

bench:
	$(PYTHON) scripts/dev.py test --version >/dev/null
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py $(ARGS)

clean:
	rm -rf .venv .venv-build build dist .pytest_cache .benchmarks .aws-sam
