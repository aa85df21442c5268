# Two commands on a fresh machine: `make` (set up and build) and `make test`.
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The Node.js checkers (Ace, the Nu HTML Checker, axe-core), pinned in tools/package.json.
TOOLS_OK := tools/node_modules/.installed
SYSTEM_OK := $(VENV)/.system-ok
# Debian packages the editions need: Pango/HarfBuzz for WeasyPrint (with the HarfBuzz subsetter),
# the book face and the monospace face styles/ uses, poppler for reading PDFs back in tests.
# Chromium (with its driver) runs Ace, axe and the page checks; libgs-common (Ghostscript's ICC profiles)
# gives the print PDF its output intent (a CMYK printer profile), icc-profiles-free the grey profile its
# images are converted to.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
	fonts-sil-charis fonts-dejavu-core poppler-utils chromium chromium-driver icc-profiles-free libgs-common
# The checkout on sys.path through a plain .pth line (setuptools' "compat" editable mode), not the import hook
# the default mode installs, which every Python start (each build, each test's CLI) spent 25 ms importing.
EDITABLE := --config-settings editable_mode=compat
# A Java runtime for EPUBCheck (tests and `chapbook check`); any java on PATH will do.
JAVA_PACKAGE := default-jre-headless

.PHONY: all build test lint bench clean system declarations

all: build

$(SYSTEM_OK): Makefile
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v java >/dev/null 2>&1 || missing="$$missing $(JAVA_PACKAGE)"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "chapbook needs these system packages:$$missing"; \
	    echo "install them with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@mkdir -p $(VENV) && touch $@

$(INSTALLED): pyproject.toml $(SYSTEM_OK)
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -e '.[test]' $(EDITABLE)
	$(PYTHON) -m pipeline.writers.pdf.engine.weasyprint_start
	@touch $@

# WeasyPrint's C declarations compiled for the installed WeasyPrint and cffi, so that no PDF worker runs
# pycparser at start (pipeline/writers/pdf/engine/weasyprint_start.py), and the default language's hyphenation patterns
# parsed (pipeline/writers/pdf/engine/hyphenation.py): written into chapbook's cache folder (CHAPBOOK_CACHE_DIR,
# else ~/.cache/chapbook) only when stale. A build writes them there at first use too; this only warms them.
declarations: $(INSTALLED)
	@$(PYTHON) -m pipeline.writers.pdf.engine.weasyprint_start >/dev/null
	@$(PYTHON) -m pipeline.writers.pdf.engine.hyphenation >/dev/null

system: $(SYSTEM_OK)

# PUPPETEER_SKIP_DOWNLOAD: Ace's puppeteer runs Debian's chromium (no browser download works here).
$(TOOLS_OK): tools/package.json $(SYSTEM_OK)
	cd tools && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
	@touch $@

# Byte-compile chapbook itself first: with PYTHONDONTWRITEBYTECODE set (as on CI), every run
# would otherwise compile its modules again at start-up.
build: $(INSTALLED) $(TOOLS_OK) declarations
	@$(PYTHON) -m compileall -q pipeline
	$(VENV)/bin/chapbook build

# Byte-compiled first, as for build: the tests start chapbook in a few hundred subprocesses, and with
# PYTHONDONTWRITEBYTECODE set each would compile the modules it imports again (0.08 s of CPU each).
# Two test processes (pytest-xdist): most of a test's time is spent waiting for a subprocess (a build, Java,
# Chromium), so a second process fills the idle core. --dist loadfile keeps each file in one process, so a file's
# module and session fixtures (the built books, one EPUBCheck, Ace and browser run) are made once, not once per
# process, and a file's tests run in their written order.
test: $(INSTALLED) $(TOOLS_OK) declarations
	$(VENV)/bin/ruff check pipeline tests
	@$(PYTHON) -m compileall -q pipeline
	$(PYTHON) -m pytest -n 2 --dist loadfile

lint: $(INSTALLED)
	$(VENV)/bin/ruff check pipeline tests

bench: $(INSTALLED) declarations
	$(PYTHON) -m pip install -q -e '.[test,bench]' $(EDITABLE)
	@$(PYTHON) -m compileall -q pipeline
	$(PYTHON) tests/benchmarks/run.py

clean:
	rm -rf build .pytest_cache
