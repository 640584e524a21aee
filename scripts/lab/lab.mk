# lab.mk - the CAS lab (scripts/lab/), included by the top Makefile.
#   sudo make lab    the full matrix (scenarios x contenders, alternated);
#                    rewrites docs/lab.md and docs/lab.png (LAB_ARGS: run.sh's)
# `make demo` and tests/integration/test_lab.sh use the same binaries.
.PHONY: lab lab-bins

# The CLI and the live-frame generator (scripts/bench/bench.mk).
lab-bins: $(BUILD)/casshield $(BENCH_DIR)/gen_live

lab: deps lab-bins
	scripts/lab/run.sh $(LAB_ARGS)
