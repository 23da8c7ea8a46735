# piml — build, test, demo, bench.  `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
VENV ?= $(CURDIR)/venv
PYTHON := $(VENV)/bin/python
RELEASE := target/release

.PHONY: help build test test-rust test-interop test-slurm demo bench bench-fit bench-petab venv-test clean lint completions

help:
	@echo "make demo    fit three candidate mechanisms to noisy Michaelis–Menten data, select, check identifiability, draw pictures"
	@echo "make test    every test: Rust unit, science and CLI tests, then pyarrow/DuckDB interop"
	@echo "make test-slurm   fit-kinetics shards as a job array on a one-node Slurm cluster (root: installs Slurm; CI runs it)"
	@echo "make bench   side-by-side benchmarks against scipy, CVODE, py-pde and PyTorch (writes docs/BENCHMARKS.md)"
	@echo "make bench-fit   fit-kinetics against scipy least_squares only (the fit section of docs/BENCHMARKS.md)"
	@echo "make bench-petab   PEtab problems against AMICI and pyPESTO only (the PEtab section of docs/BENCHMARKS.md)"
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

# The most telling worked case: noisy Michaelis–Menten data, three candidate mechanisms fitted
# and compared, identifiability of the winner, pictures (pipelines/michaelis-menten).
# The pipeline builds only the four tools it runs, not the workspace, in the dev profile that
# `make test` builds too (dependencies optimised; see Cargo.toml).
demo:
	$(MAKE) -C pipelines/michaelis-menten PROFILE=dev

bench: build
	bash bench/ode.sh
	bash bench/pde.sh
	bash bench/pinn.sh
	bash bench/fit-pinn.sh
	bash bench/operator.sh
	bash bench/identifiability.sh
	bash bench/demo.sh
	$(MAKE) bench-fit
	$(MAKE) bench-petab

bench-fit: build
	bash bench/fit.sh

# Installs Debian's swig, libblas-dev and libhdf5-dev for amici when missing (root).
bench-petab: build
	bash bench/petab.sh

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
