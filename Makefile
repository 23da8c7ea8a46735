# piml — build, test, demo, bench.  `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
VENV ?= $(CURDIR)/venv
PYTHON := $(VENV)/bin/python
RELEASE := target/release

.PHONY: help build test test-rust test-interop test-slurm demo bench bench-fit venv-test clean lint completions

help:
	@echo "make demo    simulate the built-in Michaelis–Menten example and show the data"
	@echo "make test    every test: Rust unit, science and CLI tests, then pyarrow/DuckDB interop"
	@echo "make test-slurm   fit-kinetics shards as a job array on a one-node Slurm cluster (root: installs Slurm; CI runs it)"
	@echo "make bench   side-by-side benchmarks against scipy, CVODE, py-pde and PyTorch (writes docs/BENCHMARKS.md)"
	@echo "make bench-fit   fit-kinetics against scipy least_squares only (the fit section of docs/BENCHMARKS.md)"
	@echo "make build   release binaries in target/release"
	@echo "make lint    rustfmt and clippy, as CI would want them"

build:
	$(CARGO) build --release --workspace

test: test-rust test-interop

# The weights test hands saved networks to numpy + safetensors in the test venv.
test-rust: venv-test
	PIML_TEST_PYTHON=$(PYTHON) $(CARGO) test --workspace

# Every table a tool writes must open unchanged in pyarrow, pandas, polars and DuckDB.
venv-test:
	VENV=$(VENV) bash bench/setup-venv.sh bench/requirements-test.txt

test-interop: venv-test
	$(CARGO) build --workspace --bins
	PYTHON=$(PYTHON) BIN=target/debug bash tests/interop.sh

# Installs Debian's Slurm and MUNGE if missing (root), starts a one-node
# cluster under a temporary folder and stops it again; see tests/slurm.sh.
# The same build as test-interop's (no rebuild after `make test`: building a
# few packages alone would unify features differently and rebuild dependencies).
test-slurm: venv-test
	$(CARGO) build --workspace --bins
	PYTHON=$(PYTHON) BIN=target/debug bash tests/slurm.sh

demo: build
	@mkdir -p demo
	$(RELEASE)/simulate testdata/mm-reduced.json -o demo/mm-exact.parquet --times 0:20:0.5
	$(RELEASE)/simulate testdata/mm-reduced.json -o demo/mm-data.csv --times 0:20:0.5 \
	    --noise proportional:0.02 --keep 10 --seed 1
	@echo "== demo/mm-data.csv: Michaelis–Menten substrate, 2% noise, 10 of 41 times kept =="
	@cat demo/mm-data.csv
	$(RELEASE)/simulate testdata/robertson.json -o demo/robertson.csv --times 0,1e-5,1,1e2,1e4,1e6,1e8,1e11 \
	    --method stiff --rtol 1e-8 --atol 1e-14 --report demo/robertson-report.json
	@echo "== demo/robertson.csv: Robertson's stiff kinetics to t = 1e11 =="
	@cat demo/robertson.csv

bench: build
	bash bench/ode.sh
	bash bench/pde.sh
	bash bench/pinn.sh
	bash bench/fit-pinn.sh
	bash bench/operator.sh
	bash bench/identifiability.sh
	$(MAKE) bench-fit

bench-fit: build
	bash bench/fit.sh

# Man pages and bash/zsh/fish completions of every tool, from their clap definitions.
TOOLS := simulate sample-collocation nondim fit-kinetics fit-pinn fit-operator identifiability plot
completions: build
	mkdir -p target/man target/completions/bash target/completions/zsh target/completions/fish
	for t in $(TOOLS); do \
	    $(RELEASE)/$$t --man > target/man/$$t.1; \
	    $(RELEASE)/$$t --completions bash > target/completions/bash/$$t; \
	    $(RELEASE)/$$t --completions zsh > target/completions/zsh/_$$t; \
	    $(RELEASE)/$$t --completions fish > target/completions/fish/$$t.fish; \
	done
	@echo "man pages in target/man, completions in target/completions"

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf demo
