# make test runs every check authlab has. It is the one command README
# gives and the one .ci/run calls.

GO ?= go

.PHONY: test vet generate templ-check gotest e2e-setup e2e screenshots bench run

test: vet templ-check gotest e2e

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

gotest:
	$(GO) test -race -count=1 ./...

e2e-setup:
	@bash e2e/setup.sh

e2e: e2e-setup
	cd e2e && npx playwright test

# Regenerates the pictures README shows, from the same spec the suite runs.
screenshots: e2e-setup
	cd e2e && AUTHLAB_SCREENSHOTS_DIR=$(CURDIR)/e2e/screenshots npx playwright test specs/screenshots.spec.ts

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./auth/

run:
	$(GO) run .
