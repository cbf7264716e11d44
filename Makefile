# complaintbot — the commands a newcomer and CI need. See README.md.
SHELL := /bin/bash
VENV := .venv
CB := $(VENV)/bin/complaintbot
PYTEST_ARGS ?=
# make test-fast: pytest-xdist processes (each has Redis databases of its own, at most 8).
FAST_WORKERS ?= 2

.PHONY: help setup run train test test-fast flake-hunt lint validate evaluate evaluate-emotion conversations e2e-record chat bench bench-scale soak clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## create .venv-rasa (Python 3.10, Rasa) and .venv (Python 3.11+, app) from the pinned locks
	@bash scripts/setup.sh

run: setup  ## train if needed, start Rasa + action server + gateway; Ctrl-C stops all
	@$(CB) run

train: setup  ## train the Rasa model unless data, domain and config are unchanged (cached by hash)
	@$(CB) train

test: setup  ## the whole suite: unit + integration against the real trained model
	@$(CB) train
	@$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: setup  ## the inner loop: every test that needs neither the trained model nor Chromium, but the few slow ones, on FAST_WORKERS=2 processes (< 3 min; README: Test tiers)
	@$(VENV)/bin/python -m pytest -m "not stack and not browser and not slow" -n $(FAST_WORKERS) --dist worksteal $(PYTEST_ARGS)

flake-hunt: setup  ## the timing-sensitive tests 20 times (FLAKE_COUNT=n, FLAKE_LOAD=1 busy cores, FLAKE_STACK=1)
	@bash scripts/flake-hunt.sh $(PYTEST_ARGS)

lint: setup  ## ruff (lint + format check) and mypy
	@$(VENV)/bin/ruff check bot actions bench tests
	@$(VENV)/bin/ruff format --check bot actions bench tests
	@$(VENV)/bin/mypy

validate: setup  ## rasa data validate
	@$(CB) validate

evaluate: setup  ## NLU scores on held-out data (per intent and language, calibration, latency, train time, model size); end-to-end stories (EVALUATE_BASELINE=1 adds Rasa's default pipeline)
	@$(VENV)/bin/python -c "import sys; from bot.evaluation import evaluate; sys.exit(evaluate())"

evaluate-emotion: setup  ## Emotion scores on the held-out sets (exact, furious recall, angry/furious read as calm, per language); EMOTION_ARGS="--errors heldout" lists the misses
	@.venv-rasa/bin/python -m bot.nlu.emotion_eval $(EMOTION_ARGS)

conversations: setup  ## play the conversation corpus (tests/corpus) through a stack of its own: pass rate, every failure with its transcript (CORPUS_ARGS="--tag fury", "--only ID")
	@$(CB) train
	@$(VENV)/bin/python -m bot.corpus $(CORPUS_ARGS)

e2e-record: setup  ## replay tests/e2e/conversations.yml and rewrite tests/e2e/stories.yml (review the diff!)
	@$(CB) train
	@$(VENV)/bin/python tests/e2e/record.py

chat: setup  ## talk to the running gateway from this terminal
	@$(CB) chat

bench: setup  ## load benchmark: raw Rasa vs the gateway, same model, same run (~8 min; docs/PERFORMANCE.md)
	@$(CB) train
	@$(VENV)/bin/python -m bench run $(BENCH_ARGS)

bench-scale: setup  ## turns/s through the gateway with 1 and 2 Rasa replicas (needs PostgreSQL and Redis)
	@$(CB) train
	@$(VENV)/bin/python -m bench scale $(BENCH_ARGS)

soak: setup  ## 20 customers through the gateway for 10 minutes: errors and memory (docs/RELIABILITY.md)
	@$(CB) train
	@$(VENV)/bin/python -m bench soak $(BENCH_ARGS)

clean:  ## remove trained models and local state (keeps the virtual environments)
	rm -rf models var .rasa results
