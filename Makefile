# The two commands that matter: `make run` and `make test`. Both work on a fresh
# machine with Go and the PostgreSQL binaries (or DATABASE_URL pointing at a server).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The Go the project builds and tests with: the go command fetches it once (it has the
# fixes for the standard library's known vulnerabilities; see README, "Go version").
export GOTOOLCHAIN := go1.27.3
GO ?= go
# The code generators, linters and test servers: a module of their own (tools/go.mod),
# so that go.mod lists what the product uses.
TOOL := $(GO) tool -modfile=tools/go.mod
BIN := bin/oms
GENERATED := 'queries/*.go' 'views/*_templ.go'
BENCH_FLAGS ?=
BENCH_READ_FLAGS ?=

.PHONY: help generate check-generated build run test torture fuzz bench bench-read lint vulncheck db db-stop clean

help:
	@echo "make run              build, start a private PostgreSQL (unless DATABASE_URL is set), migrate, load demo data, serve on :8080;"
	@echo "                       Mailpit catches the emails (unless OMS_SMTP_URL is set): inbox on :8025"
	@echo "make test             go vet + go test -race against PostgreSQL (private cluster unless OMS_TEST_DATABASE_URL/DATABASE_URL)"
	@echo "make torture          random operations and faults against the real server, checked against the reference model"
	@echo "                       for DURATION (default 2m); SEED replays a run's operations, WORKERS (default 6)"
	@echo "make fuzz             run every fuzz test for FUZZTIME each (default 10s); crashes become testdata cases"
	@echo "make bench            API order-creation benchmark beside the raw-SQL pgbench reference (BENCH_FLAGS='-duration 10s')"
	@echo "make bench-read       every page and list at 1M orders, HTTP beside SQL (BENCH_READ_FLAGS='-orders 3000000')"
	@echo "make generate         regenerate sqlc and templ code"
	@echo "make check-generated  fail when the committed generated code is stale"
	@echo "make build            build bin/oms"
	@echo "make lint             gofmt + go vet + staticcheck"
	@echo "make vulncheck        govulncheck against the Go vulnerability database (built offline, pinned)"
	@echo "make db / db-stop     start / stop the private PostgreSQL cluster under .data"

generate:
	$(TOOL) sqlc generate
	$(TOOL) templ generate -path views

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
	$(TOOL) staticcheck ./...

# The torture (internal/torture): workers send random operations through the API and
# the back-office forms to `oms serve` on a PostgreSQL cluster of its own, while the
# server is killed, PostgreSQL restarted and requests dropped; every answer is checked
# against the reference model (internal/model) and everything compared at the end.
# make test runs it for 45 s; this runs it for DURATION. A failure prints its seed.
DURATION ?= 2m
SEED ?= 0
WORKERS ?= 6
torture:
	TORTURE_DURATION=$(DURATION) TORTURE_SEED=$(SEED) TORTURE_WORKERS=$(WORKERS) \
		$(GO) test -count=1 -timeout 12h -v -run '^TestTorture$$' ./internal/torture

# Every decoder of outside input has a fuzz test (Fuzz* in *_test.go); make test runs
# their saved cases, make fuzz looks for new ones. A crash found is saved under the
# package's testdata/fuzz and becomes a regression case: commit it with the fix.
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test $$pkg -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) >/dev/null || \
				{ $(GO) test $$pkg -run="^$$target\$$" 2>&1 | tail -20; exit 1; }; \
		done; \
	done

# The database is built from the golang.org/x/vulndb module pinned in tools/go.mod, so
# the check needs no network beyond the module proxy and says the same on every machine
# until the pin moves. vulncheck-gate fails on any reachable vulnerability that has a
# fix, and on any without one that tools/vuln-allow.txt does not explain.
vulncheck:
	@cd tools && $(GO) test -count=1 ./vulncheck-gate
	@cd tools && $(GO) mod download golang.org/x/vulndb
	@osv="$$(cd tools && $(GO) list -m -f '{{.Dir}}' golang.org/x/vulndb)/data/osv"; \
	test -d "$$osv" || { echo "vulncheck: no vulnerability data at '$$osv'" >&2; exit 1; }; \
	rm -rf .data/vulndb; mkdir -p .data; \
	$(TOOL) indexdb -vulns "$$osv" -out .data/vulndb; \
	$(TOOL) govulncheck -db "file://$(CURDIR)/.data/vulndb" -format json ./... | (cd tools && $(GO) run ./vulncheck-gate vuln-allow.txt)

db:
	@scripts/db.sh url oms

db-stop:
	@scripts/db.sh stop

clean:
	rm -rf bin
