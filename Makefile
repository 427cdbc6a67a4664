# The two commands that matter: `make run` and `make test`. Both work on a fresh
# machine with Go and the PostgreSQL binaries (or DATABASE_URL pointing at a server).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
BIN := bin/oms
GENERATED := 'queries/*.go' 'views/*_templ.go'
BENCH_FLAGS ?=
BENCH_READ_FLAGS ?=

.PHONY: help generate check-generated build run test bench bench-read lint db db-stop clean

help:
	@echo "make run              build, start a private PostgreSQL (unless DATABASE_URL is set), migrate, load demo data, serve on :8080"
	@echo "make test             go vet + go test -race against PostgreSQL (private cluster unless OMS_TEST_DATABASE_URL/DATABASE_URL)"
	@echo "make bench            API order-creation benchmark beside the raw-SQL pgbench reference (BENCH_FLAGS='-duration 10s')"
	@echo "make bench-read       every page and list at 1M orders, HTTP beside SQL (BENCH_READ_FLAGS='-orders 3000000')"
	@echo "make generate         regenerate sqlc and templ code"
	@echo "make check-generated  fail when the committed generated code is stale"
	@echo "make build            build bin/oms"
	@echo "make lint             gofmt + go vet"
	@echo "make db / db-stop     start / stop the private PostgreSQL cluster under .data"

generate:
	$(GO) tool sqlc generate
	$(GO) tool templ generate -path views

check-generated: generate
	@if ! git diff --quiet -- $(GENERATED) || [ -n "$$(git ls-files --others --exclude-standard -- $(GENERATED))" ]; then \
		echo "generated code is stale: run 'make generate' and commit the result:" >&2; \
		git status --short -- $(GENERATED) >&2; \
		git diff --stat -- $(GENERATED) >&2; \
		exit 1; \
	fi
	@echo "generated code is up to date"

build:
	$(GO) build -o $(BIN) ./cmd/oms

run: build
	scripts/run.sh

test:
	@if [ -z "$${OMS_TEST_DATABASE_URL:-}" ]; then \
		OMS_TEST_DATABASE_URL="$$(scripts/db.sh url postgres)"; \
	fi; \
	export OMS_TEST_DATABASE_URL; \
	echo "go vet ./..."; $(GO) vet ./...; \
	echo "go test -race ./... (database server: $${OMS_TEST_DATABASE_URL%%\?*})"; \
	$(GO) test -race -count=1 -timeout 20m ./...

bench: build
	$(GO) build -o bin/oms-bench ./cmd/oms-bench
	@url="$$(scripts/db.sh url postgres)"; \
	bin/oms-bench -admin-url "$$url" -oms $(BIN) $(BENCH_FLAGS)

bench-read: build
	$(GO) build -o bin/oms-bench ./cmd/oms-bench
	@url="$$(scripts/db.sh url postgres)"; \
	bin/oms-bench -read -admin-url "$$url" -oms $(BIN) $(BENCH_READ_FLAGS)

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet ./...

db:
	@scripts/db.sh url oms

db-stop:
	@scripts/db.sh stop

clean:
	rm -rf bin
