# Every target creates the virtual environment it needs; see README.md.
# DJANGO_SPEC (e.g. 'Django>=4.2,<5.0') is installed after the project, to test another Django.
PYTHON ?= python3
VENV ?= .venv
DB ?= sqlite
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := dev
ifeq ($(DB),mysql)
EXTRAS := dev,mysql
endif

.PHONY: venv node test lint format docs demo bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Packages built on django-otp are installed without their dependencies, so that they use
# this package and pip does not bring in django-otp itself.
ECOSYSTEM := django-two-factor-auth==1.18.1

$(STAMP)-$(EXTRAS): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install --quiet --no-deps $(ECOSYSTEM)
	$(if $(DJANGO_SPEC),$(BIN)/python -m pip install --quiet "$(DJANGO_SPEC)")
	touch $@

venv: $(STAMP)-$(EXTRAS)

# axe-core, which the browser tests inject into pages, pinned here and installed with npm into
# a git-ignored folder, without package.json or lock file. Without npm, those checks are skipped.
NODE_DIR := .node
AXE_CORE := axe-core@4.14.1
NODE_STAMP := $(NODE_DIR)/.installed-$(AXE_CORE)

$(NODE_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-save --no-audit --no-fund --prefix $(NODE_DIR) $(AXE_CORE) && touch $@; \
	else \
		echo "npm not found: the browser tests skip their accessibility checks"; \
	fi

node: $(NODE_STAMP)

test: venv node
	DB=$(DB) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests example bench docs
	$(BIN)/ruff format --check src tests example bench docs
	$(BIN)/mypy src
	cd src && $(CURDIR)/$(BIN)/lint-imports $(CURDIR)/pyproject.toml

format: venv
	$(BIN)/ruff check --fix src tests example bench docs
	$(BIN)/ruff format src tests example bench docs

docs: venv
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

demo: venv
	$(BIN)/python example/manage.py migrate --noinput
	$(BIN)/python example/manage.py seed_demo
	$(BIN)/python example/manage.py runserver 127.0.0.1:8000

bench: venv
	DB=$(DB) $(BIN)/python -m bench

# Refresh the translation catalogues after changing a translated string (needs GNU gettext).
messages: venv
	cd src/django_otp && $(CURDIR)/$(BIN)/django-admin makemessages -l de -l es -l fr -l pt_BR -l pt_PT --no-obsolete
	cd src/django_otp && $(CURDIR)/$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) $(NODE_DIR) docs/_build .pytest_cache .mypy_cache .ruff_cache tests/browser/output
