# 河北区残疾人就业服务助手 — every set-up step lives here; nothing is installed by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench eval install check-pg clean browser

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

config.toml:
	cp config.example.toml config.toml

run: $(STAMP) config.toml
	$(BIN)/python -m bot kb check
	$(BIN)/python -m bot demo

# The console's browser tests drive Debian's chromium (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1)) || { echo "make test: the console's browser tests need Debian's chromium: run 'apt-get update && apt-get install -y chromium fonts-noto-cjk' as root, then make test again"; exit 1; }

test: $(STAMP) browser
	$(BIN)/python -m bot kb check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_webhook.py
	$(BIN)/python bench/bench_fanout.py
	$(BIN)/python bench/bench_retrieval.py

# `make eval QA=file.yaml`: one set, last line `qa accuracy`. `make eval`: the four figures
# (tuning half, held-out half, leave-one-out, dev set last); see README "Evaluation".
eval: $(STAMP)
ifdef QA
	$(BIN)/python bench/eval_qa.py $(QA)
else
	$(BIN)/python bench/eval_all.py
endif

clean:
	rm -rf $(VENV) var build *.egg-info
