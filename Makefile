# Shortcuts for those with make. The README's two commands are `python3 scripts/dev.py serve|test`,
# which need nothing but Python and create .venv themselves.
PYTHON ?= python3
PY := .venv/bin/python

.PHONY: serve test package bench clean

serve:
	$(PYTHON) scripts/dev.py serve $(ARGS)

test:
	$(PYTHON) scripts/dev.py test $(ARGS)

package:
	$(PYTHON) scripts/dev.py test --version >/dev/null
	$(PY) scripts/package.py $(ARGS)

bench:
	$(PYTHON) scripts/dev.py test --version >/dev/null
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py $(ARGS)

clean:
	rm -rf .venv build dist .pytest_cache .benchmarks
