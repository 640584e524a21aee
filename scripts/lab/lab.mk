# lab.mk - the CAS lab (scripts/lab/), included by the top Makefile.
#   sudo make lab    the full matrix (scenarios x contenders, alternated);
#                    rewrites docs/lab.md and docs/lab.png (LAB_ARGS: run.sh's)
# `make demo` and tests/integration/test_lab.sh use the same binaries.
.PHONY: lab lab-bins

# The CLI, the live-frame generator (scripts/bench/bench.mk) and the
# passing XDP program for the switch's port in front of the CAS (the SYN
# proxy's SYN-ACKs leave by XDP_TX; scripts/lab/net.sh).
lab-bins: $(BUILD)/casshield $(BENCH_DIR)/gen_live $(TEST_BPF)

lab: deps lab-bins
	scripts/lab/run.sh $(LAB_ARGS)
