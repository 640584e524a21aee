# fuzz.mk - the fuzzers (tests/fuzz/), included by the top Makefile.
#
#   make fuzz            the differential fuzz: FUZZ_FRAMES frames, a fresh
#                        seed unless FUZZ_SEED; root (BPF_PROG_TEST_RUN)
#   make fuzz-diff       the same
#
# The differential driver is built by `all`: `make check` runs its seeded
# smoke (tests/run-all.sh).
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_DIFF     := $(FUZZ_DIR)/diff
FUZZ_DIFF_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(addprefix tests/fuzz/,diff.c model.c ruleset.c frames.c program.c))
FUZZ_FRAMES   ?= 10000000
FUZZ_BATCH    ?= 10000
FUZZ_SEED     ?= $(shell date +%s)
.PHONY: fuzz fuzz-diff

all: $(FUZZ_DIFF)

$(FUZZ_DIFF): $(FUZZ_DIFF_OBJS) $(TEST_LIB) $(BUILD)/libcasshield.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

fuzz: fuzz-diff

fuzz-diff: $(FUZZ_DIFF)
	$(FUZZ_DIFF) --seed $(FUZZ_SEED) --frames $(FUZZ_FRAMES) --batch $(FUZZ_BATCH)
