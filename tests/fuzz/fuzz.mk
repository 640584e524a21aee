# fuzz.mk - the fuzzers (tests/fuzz/, docs/testing.md), included by the
# top Makefile.
#
#   make fuzz            the differential fuzz (FUZZ_FRAMES frames, a fresh
#                        seed unless FUZZ_SEED), then every parser harness
#                        for FUZZ_TIME seconds; root (BPF_PROG_TEST_RUN)
#   make fuzz-diff       the differential fuzz alone
#   make fuzz-parsers    the libFuzzer harnesses alone (no root)
#   make fuzz-merge      fold what the harnesses found into the corpus kept
#                        in tests/fuzz/corpus (minimised), to commit
#
# The differential driver is built by `all`: `make check` runs its seeded
# smoke (tests/run-all.sh). The harnesses are built with clang,
# -fsanitize=fuzzer,address,undefined, against the library compiled the
# same way in $(BUILD)/fuzz (never mixed with the normal objects).
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_DIFF     := $(FUZZ_DIR)/diff
FUZZ_DIFF_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(addprefix tests/fuzz/,diff.c model.c ruleset.c frames.c program.c))
FUZZ_HARNESSES := cidr ports rate identity config
FUZZ_BINS     := $(addprefix $(FUZZ_DIR)/parse_,$(FUZZ_HARNESSES))
FUZZ_FRAMES   ?= 10000000
FUZZ_BATCH    ?= 2000
FUZZ_SEED     ?= $(shell date +%s)
FUZZ_TIME     ?= 60
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer
FUZZ_CFLAGS   := -O1 -g -std=gnu11 -Wall -Wextra -Werror -MMD -MP -Iinclude \
                 $(addprefix -I,$(USER_DIRS)) -I$(BUILD) $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(wildcard user/lib/*.c))
.PHONY: fuzz fuzz-diff fuzz-parsers fuzz-bins fuzz-merge
# A harness's object is reached only through the pattern rule: keep it.
.SECONDARY: $(patsubst %,$(FUZZ_DIR)/tests/fuzz/parse_%.o,$(FUZZ_HARNESSES))

all: $(FUZZ_DIFF)

$(FUZZ_DIFF): $(FUZZ_DIFF_OBJS) $(TEST_LIB) $(BUILD)/libcasshield.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# One after the other (they would share the CPUs), both even if the first
# fails; the target fails if either did.
fuzz: $(FUZZ_DIFF) $(FUZZ_BINS)
	@status=0; \
	$(MAKE) --no-print-directory fuzz-diff || status=1; \
	$(MAKE) --no-print-directory fuzz-parsers || status=1; \
	exit $$status

fuzz-diff: $(FUZZ_DIFF)
	$(FUZZ_DIFF) --seed $(FUZZ_SEED) --frames $(FUZZ_FRAMES) --batch $(FUZZ_BATCH)

fuzz-bins: $(FUZZ_BINS)

# Every harness runs its time even if one before it failed; the target
# fails at the end if any did. New inputs go to $(FUZZ_DIR)/corpus, the
# kept corpus is read only; a crash leaves $(FUZZ_DIR)/crash-NAME-*.
fuzz-parsers: $(FUZZ_BINS)
	@failed=""; for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$h; \
		echo "== parse_$$h, $(FUZZ_TIME) s"; \
		$(FUZZ_DIR)/parse_$$h $(FUZZ_DIR)/corpus/$$h tests/fuzz/corpus/$$h \
			-dict=tests/fuzz/dict/$$h.dict -max_total_time=$(FUZZ_TIME) \
			-max_len=4096 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crash-$$h- \
			2>$(FUZZ_DIR)/parse_$$h.log || failed="$$failed $$h"; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' $(FUZZ_DIR)/parse_$$h.log; \
		grep -E '^(==[0-9]+==ERROR|SUMMARY|property broken)' $(FUZZ_DIR)/parse_$$h.log | head -5; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-parsers: crashed:$$failed (logs in $(FUZZ_DIR))"; exit 1; fi

fuzz-merge: $(FUZZ_BINS)
	@for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$h tests/fuzz/corpus/$$h; \
		$(FUZZ_DIR)/parse_$$h -merge=1 tests/fuzz/corpus/$$h $(FUZZ_DIR)/corpus/$$h \
			2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files'; \
	done

$(FUZZ_DIR)/user/lib/%.o: user/lib/%.c | $(SKEL)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/libcasshield.a: $(FUZZ_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/parse_%: $(FUZZ_DIR)/tests/fuzz/parse_%.o $(FUZZ_DIR)/libcasshield.a
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(LDLIBS) -o $@
