# `make demo` and `make test` each do all set-up (scripts/setup.sh) first.
.PHONY: setup demo test test-fast clean
VENV := .venv

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/dgan render --preset tio2-sem --count 16 --seed 0 --out demo

test: setup
	$(VENV)/bin/python -m pytest -q

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

clean:
	rm -rf demo .pytest_cache
