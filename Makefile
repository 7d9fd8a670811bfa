# tcpcourse: two commands set everything up on a fresh machine.
#   make lab    create or reuse .venv, install the course, open JupyterLab at the start page
#   make test   create or reuse .venv with the dev extras, run every test suite, ruff and mypy
# Only Python >= 3.11, make and the package registries are assumed.

PYTHON ?= python3
VENV   := .venv
# the JupyterLite toolchain's own environment (see the lite section below)
LITE_VENV := .venv-lite
# the book's toolchain (Sphinx, myst-nb; see the book section below)
SITE_VENV := .venv-site
BIN    := $(VENV)/bin
PORT   ?= 8888
START  ?= notebooks/00-start-here.ipynb
# JupyterLab refuses to run as root unless told; CI and containers often are root.
ROOT_FLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)
PYTEST_ARGS ?=
# make test's pytest workers: one per core (pytest-xdist); TEST_JOBS=0 runs in one process.
TEST_JOBS ?= auto

.PHONY: lab test lint typecheck unit bench clean help

help:
	@echo "make lab    open the course in JupyterLab (creates .venv on first run);"
	@echo "            PORT=8890 for another port, LAB_ARGS=\"...\" for more jupyter lab options"
	@echo "make test   run every test suite, ruff and mypy --strict (creates .venv on first run)"
	@echo "make bench  run the benchmarks and print their tables"
	@echo "make site   build the course's book (the executed lessons) into build/site"
	@echo "make formgrader  open nbgrader's Formgrader on the course (instructors)"
	@echo "make release|collect|grade|feedback|export|report A=<assignment>: course/README.md"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("tcpcourse needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per extra records that the install matches the current pyproject.toml.
$(VENV)/.stamp-course: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[course]'
	@# An older Makefile put the Lite toolchain here; its JupyterLab extension breaks the lab.
	@$(BIN)/python -m pip uninstall --quiet --yes jupyterlite-pyodide-kernel 2>/dev/null || true
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(BIN)/python -m pip uninstall --quiet --yes jupyterlite-pyodide-kernel 2>/dev/null || true
	@touch $@ $(VENV)/.stamp-course

# make lab PORT=8890 serves on another port; LAB_ARGS="..." passes more options to jupyter lab,
# and a --port, --ServerApp.port_retries or --IdentityProvider.token there wins over the
# Makefile's own (jupyter refuses one given twice). The address printed carries the server's
# token, as jupyter lab's own does: without it the page asks for a password. The venv's bin
# goes first on PATH: a terminal in the lab finds `python -m autograder` and nbgrader.
LAB_ARGS ?=
lab: $(VENV)/.stamp-course
	@port=$(PORT); token=; next=; \
	for a in $(LAB_ARGS); do \
		case "$$next" in port) port=$$a;; token) token=$$a;; esac; next=; \
		case "$$a" in \
			--port=*|--ServerApp.port=*) port=$${a#*=};; \
			--port|--ServerApp.port) next=port;; \
			--IdentityProvider.token=*|--ServerApp.token=*) token=$${a#*=};; \
			--IdentityProvider.token|--ServerApp.token) next=token;; \
		esac; \
	done; \
	own=; \
	case " $(LAB_ARGS) " in *" --port"*|*" --ServerApp.port="*|*" --ServerApp.port "*) ;; \
		*) own="$$own --port=$$port";; esac; \
	case " $(LAB_ARGS) " in *" --ServerApp.port_retries"*) ;; \
		*) own="$$own --ServerApp.port_retries=0";; esac; \
	if [ -z "$$token" ]; then \
		token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(24))'); \
		own="$$own --IdentityProvider.token=$$token"; \
	fi; \
	echo "Opening the course at http://localhost:$$port/lab/tree/$(START)?token=$$token"; \
	echo "Stop it with Ctrl-C (twice), or: $(BIN)/jupyter server stop $$port"; \
	export PATH="$(CURDIR)/$(BIN):$$PATH"; \
	exec $(BIN)/jupyter lab $$own $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url="/lab/tree/$(START)" $(LAB_ARGS)

# make formgrader: JupyterLab started in the course folder, where nbgrader reads
# nbgrader_config.py (the sandboxed, trusted-score pipeline), with the environment's tools
# (alembic) on PATH. The Formgrader is in the Nbgrader menu, or at /formgrader.
# COURSE=path serves another copy of the course.
COURSE ?= course
.PHONY: formgrader
formgrader: $(VENV)/.stamp-course
	@echo "Formgrader for $(COURSE) at http://localhost:$(PORT)/formgrader (or Nbgrader > Formgrader)"
	@echo "Stop it with Ctrl-C (twice), or: $(BIN)/jupyter server stop $(PORT)"
	cd "$(COURSE)" && PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/jupyter" lab \
		--port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir="$$(pwd)" \
		--config="$(CURDIR)/course/jupyter_server_config.py" $(LAB_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check tcpcore autograder tests benchmarks tools hub
	$(BIN)/ruff format --check tcpcore autograder tests benchmarks tools hub

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy --strict tcpcore

# Unit, property, fuzz, differential, course and browser tests live in tests/; every lesson
# in notebooks/ is executed top to bottom by nbval (lax: outputs are not compared). The workers
# take a whole module or notebook at a time (--dist loadscope), longest first (tests/conftest.py);
# the 25 slowest tests are listed at the end.
test: lint typecheck $(LITE_VENV)/.stamp $(SITE_VENV)/.stamp
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadscope --no-loadscope-reorder \
		--durations=25 --nbval-lax tests notebooks $(PYTEST_ARGS)

bench: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/run_all.py

# --- the course, from the repository root (issue 12; course/README.md walks through it) ---
# Each target runs nbgrader or the autograder from .venv (created on first use), in course/,
# with the venv's bin first on PATH: nothing to activate, any shell works.
#   make release A=header            the student version in course/release/header (+ gradebook)
#   make collect A=header FROM=DIR   DIR/<student id>.ipynb -> course/submitted/<id>/header/
#   make grade A=header [JOBS=4]     autograde every submission: sandboxed, in parallel
#   make feedback A=header           one HTML page per student in course/feedback/
#   make export                      course/grades.csv
#   make report A=header             what the class missed, and course/reports/header.png
#   make check NOTEBOOK=path         a student's full check of one notebook (hidden tests aside)
#   make nbgrader ARGS='...'         any other nbgrader command, run in course/
# Set on the command line only: an exported variable of the same name must not steer them.
A        :=
FROM     :=
JOBS     :=
NOTEBOOK :=
ARGS     :=
COURSE_RUN := cd course && PATH="$(CURDIR)/$(BIN):$$PATH"
# FROM as the caller meant it (the recipes run in course/); a leading ~ is left to Python.
FROM_DIR = $(if $(filter ~%,$(FROM)),$(FROM),$(abspath $(FROM)))
ASSIGNMENTS = $(notdir $(wildcard course/source/*))
need_A = @test -n "$(A)" || { echo "make $@: name the assignment, e.g. make $@ A=header \
	(one of: $(ASSIGNMENTS))" >&2; exit 2; }

.PHONY: release collect grade feedback export report check nbgrader

release: $(VENV)/.stamp-course
	$(need_A)
	$(COURSE_RUN) nbgrader generate_assignment "$(A)"

collect: $(VENV)/.stamp-course
	$(need_A)
	@test -n "$(FROM)" || { echo "make collect: FROM=<folder of <student id>.ipynb files> \
	(on JupyterHub, nbgrader collect collects from the exchange)" >&2; exit 2; }
	$(COURSE_RUN) python -m autograder collect "$(A)" "$(FROM_DIR)" --course .

grade: $(VENV)/.stamp-course
	$(need_A)
	$(COURSE_RUN) python -m autograder grade "$(A)" --course . $(if $(JOBS),--jobs $(JOBS))

feedback: $(VENV)/.stamp-course
	$(need_A)
	$(COURSE_RUN) nbgrader generate_feedback "$(A)"

export: $(VENV)/.stamp-course
	$(COURSE_RUN) nbgrader export --to grades.csv
	@echo "grades: course/grades.csv"

report: $(VENV)/.stamp-course
	$(need_A)
	$(COURSE_RUN) python -m autograder report "$(A)" --course .

check: $(VENV)/.stamp-course
	@test -n "$(NOTEBOOK)" || { echo "make check: NOTEBOOK=<the notebook>, in a folder named \
	after its assignment" >&2; exit 2; }
	PATH="$(CURDIR)/$(BIN):$$PATH" python -m autograder check "$(NOTEBOOK)"

nbgrader: $(VENV)/.stamp-course
	$(COURSE_RUN) nbgrader $(ARGS)

# --- launch: Binder pins and the newcomer path (issue 7) ---
# Binder reads binder/ alone, never pyproject.toml: binder/requirements.txt pins every package it
# installs. Run this after changing the dependencies or the notebooks extra; until then
# tests/test_binder.py fails and names this target.
.PHONY: binder-requirements
binder-requirements: $(VENV)/.stamp-course
	$(BIN)/python tools/binder_requirements.py

# --- launch: JupyterLite site (issue 7) ---
# make lite: the lessons as a static JupyterLite site in build/lite (Python runs in the browser;
# Pyodide loads from its CDN, the lessons need nothing else). LITE_PYODIDE=npm hosts Pyodide's
# core in the site too (needs npm): then the lessons run from the site alone.
# make lite-serve serves build/lite on 127.0.0.1:$(LITE_PORT).
# The Lite toolchain has its own environment, .venv-lite: the Pyodide kernel's JupyterLab
# extension must never sit beside the JupyterLab of .venv (every lab page would load it and fail).
LITE_PYODIDE ?= cdn
LITE_PORT    ?= 8000

.PHONY: lite lite-serve

$(LITE_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LITE_VENV)/bin/python -m pip install --quiet -e '.[lite]'
	@touch $@

lite: $(LITE_VENV)/.stamp
	$(LITE_VENV)/bin/python tools/lite.py build --pyodide $(LITE_PYODIDE)

lite-serve: $(LITE_VENV)/.stamp
	$(LITE_VENV)/bin/python tools/lite.py serve --port $(LITE_PORT)

# --- the book: the executed lessons as a static website (issue 17) ---
# make site: build/site, built by Sphinx + myst-nb + sphinx-book-theme in their own environment,
# .venv-site (the `site` extra; never .venv, so make lab is untouched). Every lesson is executed
# (the widgets show their first figure, the quizzes fold their answers). The launch links point at
# the GitHub repository SITE_REPO (owner/name; default tcpcourse/tcpcourse): a fork's workflow
# passes its own. make site-serve serves build/site on 127.0.0.1:$(SITE_PORT).
SITE_REPO ?=
SITE_PORT ?= 8001

.PHONY: site site-serve pages

$(SITE_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SITE_VENV)/bin/python -m pip install --quiet -e '.[site]'
	@touch $@

site: $(SITE_VENV)/.stamp
	$(SITE_VENV)/bin/python tools/book.py build $(if $(SITE_REPO),--repo "$(SITE_REPO)")

# make pages: what GitHub Pages publishes (.github/workflows/pages.yml): the book at the root of
# build/pages, the JupyterLite site under build/pages/lite/.
pages: lite site
	rm -rf build/pages
	cp -r build/site build/pages
	cp -r build/lite build/pages/lite
	@echo "pages: build/pages (the book; JupyterLite in lite/)"

site-serve:
	@test -f build/site/index.html || { echo "make site-serve: no book yet; run make site" >&2; exit 2; }
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory build/site $(SITE_PORT)

# --- class scale: local JupyterHub (issue 8) ---
# make hub       start a multi-user JupyterHub for the demo class in hub/class.toml (needs root):
#                the shared environment in /opt/tcpcourse-hub (cached), the class's Unix users,
#                nbgrader's exchange; prints the address, the log-ins and how to stop it
# make hub-stop  stop the hub, the proxy and every user's server; nothing is left running
# hubctl.py needs only the standard library and Debian's Python (the shared env is built from it).
HUB_PYTHON ?= /usr/bin/python3.11
HUB_PORT   ?= 8000

.PHONY: hub hub-stop

hub:
	$(HUB_PYTHON) hub/hubctl.py start --port $(HUB_PORT)

hub-stop:
	$(HUB_PYTHON) hub/hubctl.py stop

clean:
	rm -rf $(VENV) $(LITE_VENV) $(SITE_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# --- self-study: the student versions of the assignments (issue 13) ---
# assignments/ holds what nbgrader releases from course/source (no solutions, no hidden tests);
# the lessons link there. Run this after changing course/source: tests/test_self_study.py fails
# until assignments/ matches.
.PHONY: student-versions

student-versions: $(VENV)/.stamp-course
	$(BIN)/python tools/student_versions.py
