# bench.mk - the benchmark binaries (scripts/bench/, driven by run.sh),
# included by the top Makefile. Not part of `all`: `make check` builds
# them only through its smoke test (tests/integration/test_bench_smoke.sh).
BENCH_DIR   := $(BUILD)/bench
BENCH_BINS  := $(BENCH_DIR)/gen_live $(BENCH_DIR)/bench_paths $(BENCH_DIR)/bench_rules \
               $(BENCH_DIR)/bench_synproxy $(BENCH_DIR)/gen_rules $(BENCH_DIR)/metrics_rules
BENCH_BPF   := $(BENCH_DIR)/drop_count.bpf.o $(BENCH_DIR)/pass.bpf.o $(BENCH_DIR)/synack_count.bpf.o
BENCH_SKELS := $(BENCH_DIR)/gen_live.skel.h $(BENCH_DIR)/pass.skel.h $(BENCH_DIR)/drop_count.skel.h
BENCH_CFLAGS := $(CFLAGS) $(TEST_CFLAGS) -Iscripts/bench -I$(BENCH_DIR)
.PHONY: bench bench-bins
.PRECIOUS: $(BENCH_DIR)/%.bpf.o $(BENCH_DIR)/%.skel.h $(BENCH_DIR)/%.o

bench: bench-bins
	scripts/bench/run.sh $(BENCH_ARGS)

bench-bins: $(BUILD)/casshield $(BENCH_BINS) $(BENCH_BPF)

$(BENCH_DIR)/%.bpf.o: scripts/bench/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_DIR)/%.skel.h: $(BENCH_DIR)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BENCH_DIR)/%.o: scripts/bench/%.c $(BENCH_SKELS) | $(SKEL)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BENCH_DIR)/gen_live: $(BENCH_DIR)/gen_live.o $(BUILD)/tests/lib/frame.o
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_DIR)/gen_rules: $(BENCH_DIR)/gen_rules.o
	$(CC) $(LDFLAGS) $^ -o $@

$(BENCH_DIR)/metrics_rules: $(BENCH_DIR)/metrics_rules.o $(BUILD)/libcasshield.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_DIR)/bench_%: $(BENCH_DIR)/bench_%.o $(BENCH_DIR)/testrun.o $(TEST_LIB) $(BUILD)/libcasshield.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
