# Thin entry points; the work is in tools/ and in the packages.
SHELL := /bin/bash
# The uv on PATH, else the one tools/bootstrap installs (~/.local/bin, often not on PATH).
# Its folder goes first on PATH, so every process the suite or the tools start, and
# anything they run by name, finds this same uv.
UV := $(shell tools/uv-path)
export UV
export PATH := $(dir $(UV)):$(PATH)
JOBS ?= 2
# make test TESTS="tests/shared -k jwks": only those (pytest arguments); all of tests/ by default
TESTS ?=
# make up PORT=9000: the first module's port (identity), the others follow; 0 picks free ports
PORT ?= 8000
# make up STATE=...: where the local PostgreSQL's data and the logs are kept
STATE ?= .cache/devstack
export UV_LINK_MODE := copy
# CI and newcomers get exactly the locked versions.
export UV_FROZEN := 1

.PHONY: up tenant test lint fmt bench charts deps k8s-bins images test-packages kind-up clean

## up: run every module locally (embedded PostgreSQL) with a demo tenant
up: deps
	$(UV) run python -m mosaico_devstack.up --base-port $(PORT) --state $(STATE)

## tenant: provision the Tenant in FILE (a YAML file) into the stack make up runs
FILE ?= manifests/samples/tenant.yaml
tenant: deps
	$(UV) run python -m mosaico_devstack.tenant $(FILE) --state $(STATE)

## test: lint, then the whole suite on real PostgreSQL and a real API server
test: deps test-packages k8s-bins images lint
	$(UV) run pytest -n $(JOBS) --dist loadgroup -p no:cacheprovider $(TESTS)

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

## charts: write what the charts ship that is generated (module values and schemas,
## dashboards, the operator chart's CRDs); `make test` fails while any is stale
charts: deps
	$(UV) run python -m tools.chartgen

## bench: benchmarks under bench/, each against its lean baseline in the same run
## (make bench QUICK=1: short runs, in under two minutes; NAMES="crm finance": only those)
QUICK ?=
NAMES ?=
bench: deps
	@tools/test-packages wrk
	$(UV) run --group bench python bench/run.py $(if $(QUICK),--quick) $(NAMES)

deps:
	@tools/bootstrap

k8s-bins:
	@tools/k8s-test-bins

## images: every image (services/*/Dockerfile, operator/Dockerfile) built with podman
## on a local Debian base, with its size and build time (cached in .cache/images)
images: k8s-bins
	@tools/images

test-packages:
	@tools/test-packages

kind-up: deps
	tools/kind-up

clean:
	rm -rf $(STATE)
