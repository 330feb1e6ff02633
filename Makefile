# inboxapp: two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUN_VERSION := 1.4.4
# CPUs without AVX2 need bun's baseline build.
BUN_PKG := $(if $(shell grep -m1 -o avx2 /proc/cpuinfo 2>/dev/null),bun-linux-x64,bun-linux-x64-baseline)
BUN := $(CURDIR)/.tools/node_modules/@oven/$(BUN_PKG)/bin/bun
AXE_VERSION := 4.11.0
AXE := $(CURDIR)/.tools/axe/node_modules/axe-core/axe.min.js

export REFLEX_BUN_PATH := $(BUN)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_SHOW_BUILT_WITH_REFLEX := false
export NPM_CONFIG_REGISTRY := https://registry.npmjs.org/
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup run dev test lint format typecheck build pytest chromium browser-deps clean seed-scale bench \
	switch-stress release-check test-ai-drafts ai-replay

help:
	@echo "make run   - the app with demo data on http://127.0.0.1:3000 (embedded Postgres/Redis unless DATABASE_URL/REDIS_URL are set)"
	@echo "make dev   - the same with hot reload"
	@echo "make test  - every quality gate: lint, typecheck, build, tests"
	@echo "make test-ai-drafts - the AI drafting and prompt-safety suite (part of make test)"
	@echo "make switch-stress - 200 fast workspace switches in Chromium against URL=$(URL)"
	@echo "make ai-replay CLIENT_ID=... ARGS=... - the AI replay gate (python -m inboxapp ai replay)"
	@echo "make release-check - make test + switch stress on a fresh prod build + quick benchmarks"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(BUN):
	npm install --prefix .tools --no-save --no-package-lock --silent @oven/$(BUN_PKG)@$(BUN_VERSION)

$(AXE):
	npm install --prefix .tools/axe --no-save --no-package-lock --silent axe-core@$(AXE_VERSION)

setup: $(VENV)/.installed $(BUN) $(AXE)

run: setup
	$(BIN)/python -m inboxapp run

dev: setup
	$(BIN)/python -m inboxapp run --dev

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	$(BIN)/mypy

build: setup
	$(BIN)/reflex export --frontend-only --no-zip --loglevel warning

# Debian's Chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

pytest: setup chromium
	$(BIN)/pytest

test: lint typecheck build pytest

# The drafting and prompt-safety suite (NTTAN gate 1; make test runs it too).
test-ai-drafts: setup chromium
	$(BIN)/pytest tests/ai tests/browser/test_ai_draft_ui.py

# Testers: fast workspace switches against a running app (see README "Switch stress").
URL ?= http://127.0.0.1:3000
STRESS_USER ?= morgan@agency.demo
STRESS_SWITCHES ?= 200
STRESS_PAGES ?= inbox,analytics
STRESS_ARGS ?=

switch-stress: setup chromium
	@printf '%s\n' "$${DEMO_PASSWORD:-inbox-demo-2026}" | $(BIN)/python -m inboxapp.tools.switch_stress \
		--url $(URL) --user $(STRESS_USER) --password-stdin --switches $(STRESS_SWITCHES) \
		--pages $(STRESS_PAGES) $(STRESS_ARGS)

# The release gate: writes docs/release-report.md (RELEASE_ARGS="--skip tests" etc.).
RELEASE_ARGS ?=

release-check: setup chromium
	$(BIN)/python -m inboxapp.tools.release_check $(RELEASE_ARGS)

# The replay gate: make ai-replay CLIENT_ID=<workspace> ARGS="--dry-run --limit 20".
CLIENT_ID ?=
ARGS ?=

ai-replay: setup
	$(BIN)/python -m inboxapp ai replay $(if $(CLIENT_ID),--client-id $(CLIENT_ID)) $(ARGS)

seed-scale: setup
	$(BIN)/python -m inboxapp seed --scale --leads 1000000

clean:
	rm -rf .web .states .pytest_cache .mypy_cache .ruff_cache
