# The book's commands. `make book` builds the site; `make test` is what CI runs.
# Both create .venv on first use (and reuse it after), with the CPU build of torch
# installed first; set TORCH to choose another build, e.g. `make book TORCH=torch`.

PYTHON  ?= python3
VENV    ?= .venv
TORCH   ?= torch==2.13.0
JOBS    ?= 2
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
export BOOK_ZOO_DIR ?= $(CURDIR)/.zoo
export HF_HUB_OFFLINE = 1
export HF_DATASETS_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1
export TOKENIZERS_PARALLELISM = false

.PHONY: help venv book site test unit lint zoo notebooks site-strict site-check lab strip clean floors

help:
	@echo "make book   build the site with every notebook executed -> _build/html"
	@echo "make site   run every notebook under nbval, then render the site from those runs (what Pages publishes)"
	@echo "make test   unit tests, workflow lint, every notebook (quick profile), strict site build from"
	@echo "            the executed notebooks, browser check of every page"
	@echo "make floors the lowest allowed versions (tools/floors.txt) in a second environment: unit tests, 3 notebooks"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make strip  remove outputs from the notebooks before committing"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	@touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --builder html
	@echo "The book: $(CURDIR)/_build/html/index.html"

# The notebooks run once: tools/test_notebooks.py keeps the executed copies in
# _build/executed, and the strict build renders those (execution off).
site: notebooks site-strict
	@echo "The book: $(CURDIR)/_build/html/index.html"

test: unit lint notebooks site-strict site-check
	@echo "make test: all checks passed"

unit: $(STAMP)
	MPLBACKEND=Agg $(PY) tools/run_pytest.py tests -q

lint: $(STAMP)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# The zoo is built first, once, with the default threads; then the notebooks run JOBS at a
# time, each kernel with cores/JOBS threads (on 2 cores: two notebooks, one thread each).
zoo: $(STAMP)
	BOOK_PROFILE=quick $(PY) tools/build_zoo.py

notebooks: zoo
	BOOK_PROFILE=quick $(PY) tools/test_notebooks.py chapters --jobs $(JOBS) --times _build/notebook-times.json

site-strict: $(STAMP)
	$(PY) tools/build_site.py --strict

site-check: $(STAMP)
	$(PY) tools/check_site.py _build/html

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters

strip: $(STAMP)
	$(PY) tools/strip_outputs.py chapters

clean:
	rm -rf _build .jupyter_cache

# The dependency floors: a second environment with the lowest releases the package index holds at or
# above pyproject.toml's floors (tools/floors.txt), the unit tests, and three notebooks (an LLM from
# scratch, the benchmark with SciPy and scikit-learn, and an RL one) with a zoo of their own, since
# another tokenizers version rebuilds the models.
FLOORS_VENV ?= .venv-floors
floors:
	@test -x $(FLOORS_VENV)/bin/python || $(PYTHON) -m venv $(FLOORS_VENV)
	$(FLOORS_VENV)/bin/python -m pip install -q "$(TORCH)"
	$(FLOORS_VENV)/bin/python -m pip install -q -c tools/floors.txt -e ".[dev]"
	$(FLOORS_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	$(FLOORS_VENV)/bin/python -m pip list 2>/dev/null | grep -iE '^(torch|numpy|scipy|pandas|scikit-learn|matplotlib|tokenizers|transformers|trl|peft) '
	BOOK_ZOO_DIR=$(CURDIR)/.zoo-floors MPLBACKEND=Agg $(FLOORS_VENV)/bin/python tools/run_pytest.py tests -q -p no:cacheprovider
	BOOK_ZOO_DIR=$(CURDIR)/.zoo-floors BOOK_PROFILE=quick $(FLOORS_VENV)/bin/python tools/test_notebooks.py --jobs $(JOBS) \
		--executed _build/floors chapters/01-llm-basics/01-anatomy.ipynb chapters/09-extended/10-evaluation.ipynb \
		chapters/05-rl-basics/02-returns-and-values.ipynb
	@echo "make floors: the lowest allowed versions pass"
