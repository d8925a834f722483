# Two entry points for a fresh machine (see README):
#   make demo   — set up .venv, generate the demo district, write every report to outputs/
#   make test   — set up .venv with test tools (and Debian's chromium for the browser test), run all tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
WORKERS ?= 2

.PHONY: demo test test-fast bench clean setup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

setup: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/zengshou demo --workers $(WORKERS)

# The browser tests need Debian's chromium, the print test pdftotext (poppler-utils) and a
# Chinese font (fonts-noto-cjk), so pages print and wrap as on a leader's machine; install
# them when missing (root on CI and dev machines).
chromium:
	@{ command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils fonts-noto-cjk >/dev/null; \
	  else echo "chromium、pdftotext 或中文字体未安装且无权限安装：浏览器和打印测试将跳过或按无中文字体的排版运行"; fi; }

test: $(VENV)/.installed chromium
	$(BIN)/python -m pytest -n $(WORKERS) --durations=15

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(WORKERS) -m "not slow"

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_analyze.py
	$(BIN)/python benchmarks/bench_analyze.py --csv 200000
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_nation.py --dask

clean:
	rm -rf data/processed/* outputs/* && touch data/processed/.gitkeep outputs/.gitkeep
.PHONY: chromium
