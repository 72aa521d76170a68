# 河北区残疾人就业服务助手 — every set-up step lives here; nothing is installed by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench eval install check-pg clean browser axe

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

# axe-core (pinned in tests/a11y/package-lock.json, its sha512 checked by npm ci) for the
# console's accessibility test; npm is Debian's package.
AXE := tests/a11y/node_modules/axe-core/axe.min.js
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	@command -v npm >/dev/null 2>&1 || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null 2>&1)) || { echo "make test: the console's accessibility test needs npm: run 'apt-get install -y npm' as root, then make test again"; exit 1; }
	cd tests/a11y && npm ci --no-audit --no-fund --silent
	touch $(AXE)

axe: $(AXE)

test: $(STAMP) browser $(AXE)
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
	rm -rf $(VENV) var build *.egg-info tests/a11y/node_modules
