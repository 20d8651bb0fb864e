# nspawn-tui: `make run` and `make test` each set themselves up on a fresh Debian machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# What the real-host (lab) tests need; installed with apt when run as root.
LAB_APT := systemd-container systemd-journal-remote debootstrap openssl dbus tmux iproute2 util-linux procps htop prometheus openssh-client chromium \
  dnf createrepo-c rpm arch-install-scripts pacman-package-manager libarchive-tools gpg
PYTEST_ARGS ?=

.PHONY: run test lint bench screenshots lab-deps clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@python3 -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv python3-pip && python3 -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv (apt-get install python3-venv)"; exit 1; fi; }
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[test,lint]'
	$(PY) -m compileall -q nspawn_tui >/dev/null
	@touch $@

run: $(VENV)/.installed
	$(VENV)/bin/nspawn-tui --or-demo

lab-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(LAB_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; fi; \
	else echo "not root or no apt-get: the real-host (lab) tests will be skipped"; fi

test: $(VENV)/.installed lab-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check nspawn_tui tests benchmarks
	$(VENV)/bin/ruff format --check nspawn_tui tests benchmarks
	$(VENV)/bin/mypy nspawn_tui

# `make bench ONLY=startup,memory`: a subset (comma-separated names of benchmarks/run.py's ORDER).
# The sources are compiled first: an editable install under PYTHONDONTWRITEBYTECODE=1
# would compile every module at each start, which a pip-installed user never does.
bench: $(VENV)/.installed lab-deps
	$(PY) -m compileall -q nspawn_tui >/dev/null
	BENCH_ONLY='$(or $(ONLY),$(BENCH_ONLY))' $(PY) benchmarks/run.py

screenshots: $(VENV)/.installed
	$(PY) screenshots/render.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
