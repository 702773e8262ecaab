# trawl — build, test, benchmark, demo.
# Check-only targets never rewrite files (the bbolt Makefile's habit).

GO      ?= go
PKGS    ?= ./...
BIN     ?= bin/trawl
FUZZTIME ?= 10s

.PHONY: bench-redis bench-redis-costs bench-redis-workers all build test test-short lint fmt-check vet bench bench-large bench-realsite demo torture torture-short fuzz clean warcio

all: lint test build

build:
	$(GO) build -o $(BIN) ./cmd/trawl

## test: vet + the race-enabled test suite (what CI and the README run).
test: vet
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: fmt-check vet

## bench: one run of the speed comparison (trawl vs colly vs ceiling) plus Go benchmarks.
bench:
	$(GO) run ./internal/bench
	$(GO) test -run '^$$' -bench . -benchtime 1x ./frontier/ ./storage/

bench-large:
	$(GO) run ./internal/bench -profile fast-clean,large

## bench-realsite: trawl vs wget -r vs the ceiling on real documentation HTML served by nginx
## (installs nginx-light, wget, postgresql-doc-15 if missing; not in CI: slow, needs apt).
bench-realsite:
	GO=$(GO) bash scripts/bench-realsite.sh

## demo: a real crawl of the bundled local test web (127.0.0.1 only), then status and export.
demo: build
	$(GO) run ./internal/demo -trawl $(BIN)

## torture: kill -9 / SIGTERM loops with the real binary. TORTURE_KILLS sets the count.
torture:
	$(GO) test -tags torture -count=1 -timeout 30m -run Torture -v ./internal/torture/
	$(GO) test -tags torture -count=1 -timeout 30m -run TortureShared -v ./cmd/trawl/

torture-short:
	TORTURE_SHORT=1 $(GO) test -tags torture -count=1 -timeout 10m -run Torture ./internal/torture/

## warcio: install warcio.js (pinned by internal/warcverify/package-lock.json)
## for the tests that read our WARC files with an independent parser.
warcio:
	cd internal/warcverify && npm ci --no-audit --no-fund --loglevel=error

## fuzz: each fuzz target for FUZZTIME (CI uses a short time).
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin trawl-data demo-out .bench

## bench-redis: the shared frontier's benchmark (issue 13): both parts below.
bench-redis: bench-redis-costs bench-redis-workers

## bench-redis-costs: what one worker costs a real redis-server per page (round trips, CPU) and Redis memory per seen and queued URL,
## beside the floor: the least any scripted design must do per page (BenchmarkRedisFloor).
bench-redis-costs:
	$(GO) test -run '^$$' -bench 'RedisCrawlCosts$$|RedisFloor' -benchtime 1x -timeout 20m ./frontier/redisfrontier/

## bench-redis-workers: pages/s of 1, 2 and 4 trawl worker processes sharing one Redis frontier beside the
## bbolt frontier, on the latency-bound profile (wide-clean) and fast-clean, --concurrency 16 per process.
bench-redis-workers:
	$(GO) run ./internal/bench -profile wide-clean,fast-clean -concurrency 16 -redis-workers 1,2,4 -pprof 0 -timeout 5m
