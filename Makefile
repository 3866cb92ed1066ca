# Every routine job is one command. The virtualenv is made on first use from the pinned lock file.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Test processes for `make test`: two keep both cores busy while a test waits on a server, a subprocess or I/O.
WORKERS ?= 2

.PHONY: run test test-fast lint fmt bench browser clean vendor-ui

# uv installs the lock file in seconds where pip takes most of a minute; it is itself installed with pip into
# the virtualenv, so python3 and make are still all a newcomer needs.
UV_VERSION := 0.13.10
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) -r requirements.lock
	$(UV) --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/kefu demo
	$(BIN)/kefu serve --host $(HOST) --port $(PORT)

# The browser tests need Debian's chromium; install it when it is missing (the test machine runs as root).
browser:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  [ -d /usr/share/fonts/truetype/wqy ] || missing="$$missing fonts-wqy-microhei"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	        || echo "could not install$$missing; browser tests will fail"; \
	    else echo "missing:$$missing (Debian packages) for the browser tests"; fi; \
	  fi

# The whole suite on $(WORKERS) processes (a module that shares one server stays on one), then coverage.
test: $(STAMP) browser
	$(BIN)/pytest -q -n $(WORKERS) --dist loadgroup --cov --cov-report=term-missing:skip-covered

# The unit tier alone: pure cores and handlers with in-memory fakes, no service, no subprocess.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n $(WORKERS) tests/unit -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

bench: $(STAMP)
	$(BIN)/kefu bench api
	$(BIN)/kefu bench routing
	$(BIN)/kefu bench screening
	$(BIN)/kefu bench reports

# Fetch the vendored UI libraries again from the npm registry (needs npm); SHA256SUMS must stay the same.
VENDOR := src/kefu/entrypoints/web/static/vendor
vendor-ui:
	rm -rf $(VENDOR)/.npm && mkdir -p $(VENDOR)/.npm
	cd $(VENDOR)/.npm && npm pack --silent preact@10.29.8 htm@3.1.1 >/dev/null && mkdir p h \
	  && tar xzf preact-10.29.8.tgz -C p && tar xzf htm-3.1.1.tgz -C h
	cp $(VENDOR)/.npm/p/package/dist/preact.module.js $(VENDOR)/.npm/h/package/dist/htm.module.js $(VENDOR)/
	sed 's#from"preact"#from"./preact.module.js"#' $(VENDOR)/.npm/p/package/hooks/dist/hooks.module.js \
	  > $(VENDOR)/hooks.module.js
	sed -i 's#//\# sourceMappingURL=.*##' $(VENDOR)/*.module.js
	cp $(VENDOR)/.npm/p/package/LICENSE $(VENDOR)/LICENSE-preact && cp $(VENDOR)/.npm/h/package/LICENSE $(VENDOR)/LICENSE-htm
	rm -rf $(VENDOR)/.npm
	cd $(VENDOR) && sha256sum -c SHA256SUMS

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
