# Set-up and everyday commands. `make demo` and `make test` work on a fresh Debian/Ubuntu
# machine with Swift installed: they install the missing system packages first.

PREFIX ?= /usr/local
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := git pkg-config libgit2-dev libcurl4-openssl-dev bubblewrap python3 python3-pytest python3-jsonschema
# The test suite also runs projects that use these pytest plugins.
TEST_PACKAGES := python3-pytest-cov python3-hypothesis python3-pytest-xdist
RELEASE_BIN = .build/release/review

.PHONY: deps build demo test bench quality replay install clean

## deps: install the system packages review needs (apt-get; sudo when not root)
deps:
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "swift not found: install Swift 6 from swift.org and put it on PATH" >&2; exit 1; }
	@missing=""; for package in $(APT_PACKAGES) $(if $(filter test,$(MAKECMDGOALS)),$(TEST_PACKAGES)); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: release build of the review binary
build: deps
	$(SWIFT) build -c release --product review

## demo: build, create a sample repository with a regression, and review it
demo: build
	$(RELEASE_BIN) demo

## test: build and run the whole test suite
test: deps
	$(SWIFT) test

## bench: run the benchmarks (ratios against git and pytest in the same run)
bench: build
	REVIEW_BIN=$(abspath $(RELEASE_BIN)) Benchmarks/run.sh

## quality: the mutation benchmark on real PyPI projects (detection, false alarms, location, time)
quality: build
	REVIEW_BIN=$(abspath $(RELEASE_BIN)) Benchmarks/quality.sh

## replay: review real histories commit by commit (unconfirmed errors, flagged regressions, time against the suite)
replay: build
	python3 Benchmarks/replay.py $(abspath $(RELEASE_BIN))

## install: install the binary, its templates and the hook script under $(PREFIX)
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/review/templates $(DESTDIR)$(PREFIX)/share/review/hooks
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/review
	install -m 0644 Templates/*.mustache Templates/*.yml $(DESTDIR)$(PREFIX)/share/review/templates/
	install -m 0755 Hooks/pre-push $(DESTDIR)$(PREFIX)/share/review/hooks/pre-push

clean:
	rm -rf .build
