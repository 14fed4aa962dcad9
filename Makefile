# LVAO data platform — every workflow is a target; `make help` lists them.
SHELL := /bin/bash
export GOTOOLCHAIN := local

GO ?= go
TEST_TIMEOUT ?= 30m

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: local
local: ## Run the whole platform locally (harness: functions, queues, cron, S3, Postgres)
	@SETUP_NATS=no tests/setup.sh postgresql-15-postgis-3 || echo "warning: tests/setup.sh failed (above): Postgres must be up, and the LVAO pipelines need PostGIS (make deps as root)"
	@echo "Building the harness (the first build takes about a minute)…"
	@$(GO) build -o .local/bin/lvao-local ./local
	@exec .local/bin/lvao-local serve $(ARGS)

.PHONY: deps
deps: ## Start/install what the tests need (Postgres, NATS, apt packages)
	@tests/setup.sh chromium chromium-driver postgresql-15-postgis-3 shellcheck unzip

.PHONY: test
test: deps ## go vet and every test (the command CI runs)
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	cd tests/bench && $(GO) vet . && $(GO) test -count=1 .   # its own module (River): a quick run as a test

.PHONY: test-short
test-short: ## Fast tests only (no browser, no npm, no chaos)
	$(GO) test -short -count=1 ./...

.PHONY: bench
bench: deps ## Benchmarks; figures go to tests/bench/RESULTS.md (web figures first, embedded)
	$(GO) run ./tests/webbench -out tests/webbench/RESULTS.md
	cd tests/bench && $(GO) run . -out RESULTS.md

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

.PHONY: package
package: ## Build the deployment zip and compile every function from it, as Scaleway does
	tests/deploy/package.sh $(or $(STAGE),preprod)

.PHONY: dags
dags: ## Validate the DAG files
	$(GO) run ./local dag validate
