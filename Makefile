# stomp: a command-line client for STOMP brokers. `make help` lists the targets.
GO      ?= go
BIN     ?= stomp
PKG     := github.com/stomp-cli/stomp
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X $(PKG)/cmd.version=$(VERSION) -X $(PKG)/cmd.commit=$(COMMIT) -X $(PKG)/cmd.date=$(DATE)
TESTSUMMARY := $(CURDIR)/.build/testsummary
STATICCHECK ?= $(shell command -v staticcheck || echo $(shell $(GO) env GOPATH)/bin/staticcheck)

.DEFAULT_GOAL := help
.PHONY: help build run test test-brokers lint fmt clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build the static ./stomp binary
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build ## build, then open the shell on the embedded broker (no broker needed)
	./$(BIN) --embedded

test: ## lint, then all tests with the race detector; real brokers too when STOMP_TEST_* are set; ends with one summary line
	$(MAKE) lint
	@# go test's own status and the summary's both count (pipefail): a
	@# failure the summary could not see still fails the run. cmd's tests
	@# take 7-9 minutes with the real brokers, close to go test's default
	@# 10-minute timeout, past which testscript interrupts its commands.
	$(GO) build -o $(TESTSUMMARY) ./scripts/testsummary
	bash -o pipefail -c '$(GO) test -race -count=1 -timeout 30m -json ./... | $(TESTSUMMARY)'

test-brokers: ## start RabbitMQ and ActiveMQ on loopback, run the tests against them, stop them
	scripts/ci-brokers.sh start
	eval "$$(scripts/ci-brokers.sh env)" && $(MAKE) test; rc=$$?; scripts/ci-brokers.sh stop; exit $$rc

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if [ -x "$(STATICCHECK)" ]; then $(STATICCHECK) ./...; else $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...; fi

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output
	rm -f $(BIN)
	rm -rf dist .build

.PHONY: man release-check

man: ## regenerate man/*.1 from the command tree and the shell command table
	$(GO) run ./scripts/manpage -out man

release-check: ## check go install, the man pages and .goreleaser.yaml; build a snapshot release in dist/
	scripts/release-check.sh

.PHONY: bench
bench: build ## compare stomp with stomp.py and go-stomp on RabbitMQ, ActiveMQ and the embedded broker, write BENCHMARKS.md (minutes; not in test)
	$(GO) run ./scripts/bench -stomp ./$(BIN) -out BENCHMARKS.md $(BENCH_FLAGS)

test-faults: ## kill -9 / freeze the real brokers under a running stomp (stops them; run after the other tests)
	scripts/ci-brokers.sh start
	eval "$$(scripts/ci-brokers.sh env)" && STOMP_TEST_FAULTS=1 $(GO) test -count=1 -timeout 20m ./internal/testing/faults/
	STOMP_TEST_FAULTS=1 $(GO) test -count=1 -timeout 10m -run TestLongOutage ./internal/testing/model/
