# make test runs every check authlab has. It is the one command README
# gives and the one .ci/run calls.

GO ?= go

.PHONY: test vet generate templ-check gotest gotest-inner e2e-setup e2e e2e-inner screenshots bench fuzz run loadtest-setup loadtest

# The Go tests and the browser suite share one throwaway PostgreSQL
# cluster, which .ci/with-postgres starts (installing Debian's postgresql
# with apt when root and missing) and removes at the end, pass or fail.
test: vet templ-check
	@bash .ci/with-postgres $(MAKE) --no-print-directory gotest-inner e2e-inner

vet:
	$(GO) vet ./...

generate:
	$(GO) tool templ generate

# The generated *_templ.go files are committed so that `go run .` needs
# nothing but Go; this fails when they no longer match their .templ files.
templ-check:
	@$(GO) tool templ generate >/dev/null 2>&1 || { echo "templ generate failed: run 'go tool templ generate' to see why"; exit 1; }
	@if [ -d .git ] && [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "generated templ code is stale; commit the output of 'go tool templ generate':"; \
		git status --short -- '*_templ.go'; exit 1; fi

# gotest and e2e run alone with a cluster of their own; the -inner
# targets expect one already (AUTHLAB_TEST_POSTGRES, see .ci/with-postgres).
gotest:
	@bash .ci/with-postgres $(MAKE) --no-print-directory gotest-inner

gotest-inner:
	$(GO) test -race -count=1 ./...

e2e-setup:
	@bash e2e/setup.sh

e2e:
	@bash .ci/with-postgres $(MAKE) --no-print-directory e2e-inner

e2e-inner: e2e-setup
	cd e2e && npx playwright test

# Regenerates the pictures README shows, from the same spec the suite runs.
screenshots: e2e-setup
	cd e2e && AUTHLAB_SCREENSHOTS_DIR=$(CURDIR)/e2e/screenshots bash ../.ci/with-postgres npx playwright test specs/screenshots.spec.ts

# The PostgreSQL store's benchmark runs on a throwaway cluster, as the
# tests do.
bench:
	@bash .ci/with-postgres $(GO) test -run='^$$' -bench=. -benchmem ./auth/... ./routes/

# make fuzz runs each fuzz target for FUZZTIME (go test fuzzes one target
# per run); their seed corpora run with every go test. It goes on through
# every target and fails at the end if any failed. A failing input is left
# in the package's testdata/fuzz, where go test replays it from then on.
# Override the time with, for example, make fuzz FUZZTIME=5m.
FUZZTIME ?= 30s
FUZZ = $(GO) test -run='^$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1000x

fuzz:
	@failed=; \
	$(FUZZ) -fuzz='^FuzzDecodeHash$$' ./auth/ || failed="$$failed FuzzDecodeHash"; \
	$(FUZZ) -fuzz='^FuzzVerify$$' ./auth/ || failed="$$failed FuzzVerify"; \
	$(FUZZ) -fuzz='^FuzzVerifyParts$$' ./auth/ || failed="$$failed FuzzVerifyParts"; \
	$(FUZZ) -fuzz='^FuzzRecordCodec$$' ./auth/ || failed="$$failed FuzzRecordCodec"; \
	$(FUZZ) -fuzz='^FuzzSessionCookie$$' ./auth/ || failed="$$failed FuzzSessionCookie"; \
	$(FUZZ) -fuzz='^FuzzLocalPath$$' ./routes/ || failed="$$failed FuzzLocalPath"; \
	$(FUZZ) -fuzz='^FuzzLoginBodies$$' ./routes/ || failed="$$failed FuzzLoginBodies"; \
	$(FUZZ) -fuzz='^FuzzQuiz$$' ./routes/ || failed="$$failed FuzzQuiz"; \
	$(FUZZ) -fuzz='^FuzzGrade$$' ./routes/walkthrough/ || failed="$$failed FuzzGrade"; \
	$(FUZZ) -fuzz='^FuzzStatusJSON$$' ./routes/ || failed="$$failed FuzzStatusJSON"; \
	$(FUZZ) -fuzz='^FuzzText$$' ./views/ || failed="$$failed FuzzText"; \
	if [ -n "$$failed" ]; then echo "fuzz targets failed:$$failed" >&2; exit 1; fi

run:
	$(GO) run .

# The load test measures every request path against a bare net/http floor
# in the same run and fails when a budget is missed (README, "Load test").
# It is not part of make test: it takes minutes and its numbers depend on
# the machine. Its PostgreSQL paths run on a throwaway cluster, which
# .ci/with-postgres starts and removes at the end, as for make test.
# Override the run with, for example, make loadtest ROUNDS=5.
# make loadtest SCALE=1 adds the scaled run (a database seeded with
# SCALE_SIZE users, sessions and revocations against an empty one, about
# 6 more minutes); SCALE=only runs it alone.
ROUNDS ?= 3
DURATION ?= 5s
CONNECTIONS ?= 50
THREADS ?= 2
SCALE ?=
SCALE_SIZE ?= 1000000
LOADTARGET = $(if $(filter only,$(SCALE)),scaled,$(if $(filter 1,$(SCALE)),both,default))

# Like e2e/setup.sh for Chromium: Debian's wrk, installed with apt only
# when running as root.
loadtest-setup:
	@command -v wrk >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's wrk with apt-get..."; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
	else \
		echo "make loadtest needs wrk: install Debian's package (sudo apt-get install wrk) and run it again." >&2; \
		exit 1; \
	fi

loadtest: loadtest-setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && trap 'exit 130' INT TERM && \
	$(GO) build -o "$$tmp/authlab" . && \
	bash .ci/with-postgres "$$tmp/authlab" loadtest -rounds $(ROUNDS) -duration $(DURATION) -connections $(CONNECTIONS) -threads $(THREADS) \
		-target $(LOADTARGET) -scale-size $(SCALE_SIZE)
