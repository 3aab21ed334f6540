# Thin entry points; the work is in tools/ and in the packages.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
JOBS ?= 2
export UV_LINK_MODE := copy
# CI and newcomers get exactly the locked versions.
export UV_FROZEN := 1

.PHONY: up test lint fmt bench deps k8s-bins test-packages kind-up clean

## up: run every module locally (embedded PostgreSQL) with a demo tenant
up: deps
	$(UV) run python -m mosaico_devstack.up

## test: lint, then the whole suite on real PostgreSQL and a real API server
test: deps test-packages k8s-bins lint
	$(UV) run pytest -n $(JOBS) -p no:cacheprovider

## lint: ruff, mypy (strict on the shared library and the operator), import contracts
lint: deps
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy libs/*/src services/*/src operator/src
	$(UV) run lint-imports

## fmt: fix what ruff can fix and format everything
fmt: deps
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

## bench: benchmarks under bench/, each against a baseline in the same run
bench: deps
	@tools/test-packages wrk
	$(UV) run python bench/run.py

deps:
	@tools/bootstrap

k8s-bins:
	@tools/k8s-test-bins

test-packages:
	@tools/test-packages

kind-up: deps
	tools/kind-up

clean:
	rm -rf .cache/devstack
