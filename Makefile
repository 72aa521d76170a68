# 河北区残疾人就业服务助手 — every set-up step lives here; nothing is installed by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench eval install check-pg clean

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

test: $(STAMP)
	$(BIN)/python -m bot kb check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_webhook.py
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
