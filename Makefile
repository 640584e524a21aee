# casshield - XDP shield for a Client Access Server.
#
#   make            build build/casshield (BPF object embedded via skeleton)
#   sudo make check install dependencies, build, run every test: unit,
#                   CLI, integration, and the VM stage (Debian 12, kernel 6.1)
#   sudo make check-host  the same without the VM stage (the edit-test loop)
#   sudo make check-vm    the VM stage alone
#   sudo make demo  install dependencies, build, run the netns lab
#   make bench      benchmarks (never pass/fail)
#   make install    DESTDIR= PREFIX=/usr/local
#   make SAN=1      userspace and tests with AddressSanitizer + UBSan

PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      := build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -Iinclude -Iuser -I$(BUILD)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -Iinclude -I/usr/include/$(shell uname -m)-linux-gnu
# Test tables leave trailing fields of a row to their zero default.
TEST_CFLAGS := -Wno-missing-field-initializers
LDLIBS     := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lmicrohttpd -lyaml -lsystemd -lpthread
ifeq ($(SAN),1)
CFLAGS     += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

HEADERS    := $(wildcard include/*.h)
BPF_SRCS   := bpf/shield.bpf.c
BPF_HDRS   := $(wildcard bpf/*.h)
LIB_SRCS   := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
USER_HDRS  := $(wildcard user/*.h)
SKEL       := $(BUILD)/shield.skel.h
TEST_LIB   := $(wildcard tests/lib/*.c)
TEST_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/unit_*.c))

.DELETE_ON_ERROR:
.PHONY: all check check-host check-vm demo bench install uninstall clean deps format format-check test-unit

all: $(BUILD)/casshield $(TEST_BINS)

$(BUILD)/shield.bpf.o: $(BPF_SRCS) $(BPF_HDRS) $(HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BUILD)/shield.bpf.o
	$(BPFTOOL) gen skeleton $< name shield_bpf > $@

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(HEADERS) $(SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcasshield.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/casshield: $(BUILD)/user/main.o $(BUILD)/libcasshield.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIB) $(wildcard tests/lib/*.h) $(BUILD)/libcasshield.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests/lib $(LDFLAGS) $< $(TEST_LIB) $(BUILD)/libcasshield.a $(LDLIBS) -o $@

deps:
	scripts/install-deps.sh

check: deps
	$(MAKE) all
	tests/run-all.sh

check-host: deps
	$(MAKE) all
	tests/run-all.sh --no-vm

check-vm: deps
	$(MAKE) all
	tests/run-all.sh tests/vm/run.sh

test-unit: all
	tests/run-all.sh --unit-only

demo: deps
	$(MAKE) $(BUILD)/casshield
	scripts/demo.sh

bench: bench-bins
	scripts/bench/run.sh $(BENCH_ARGS)

# --- bench ---
# Benchmark binaries (tests/bench/, driven by scripts/bench/run.sh); not part
# of `all`: `make check` builds them only through its smoke test.
BENCH_DIR   := $(BUILD)/bench
BENCH_HDRS  := $(wildcard tests/bench/*.h)
BENCH_BINS  := $(BENCH_DIR)/gen_live $(BENCH_DIR)/bench_paths $(BENCH_DIR)/bench_rules $(BENCH_DIR)/gen_rules
BENCH_OBJS  := $(BENCH_DIR)/drop_count.bpf.o $(BENCH_DIR)/pass.bpf.o
.PHONY: bench-bins
.PRECIOUS: $(BENCH_DIR)/%.bpf.o $(BENCH_DIR)/%.skel.h

bench-bins: $(BUILD)/casshield $(BENCH_BINS) $(BENCH_OBJS)

$(BENCH_DIR)/%.bpf.o: tests/bench/%.bpf.c tests/bench/seen.h $(HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_DIR)/%.skel.h: $(BENCH_DIR)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BENCH_DIR)/gen_live: tests/bench/gen_live.c tests/lib/frame.c tests/lib/frame.h $(BENCH_DIR)/gen_live.skel.h
	$(CC) $(CFLAGS) -Itests/lib -I$(BENCH_DIR) $(LDFLAGS) $< tests/lib/frame.c $(LDLIBS) -o $@

$(BENCH_DIR)/gen_rules: tests/bench/gen_rules.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@

$(BENCH_DIR)/bench_%: tests/bench/bench_%.c tests/bench/testrun.c $(BENCH_HDRS) $(BENCH_DIR)/pass.skel.h $(BENCH_DIR)/drop_count.skel.h $(TEST_LIB) $(wildcard tests/lib/*.h) $(BUILD)/libcasshield.a
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests/lib -Itests/bench -I$(BENCH_DIR) $(LDFLAGS) $< tests/bench/testrun.c $(TEST_LIB) $(BUILD)/libcasshield.a $(LDLIBS) -o $@
# --- end bench ---

SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

# The example configuration is installed only where none exists, root-only.
install: $(BUILD)/casshield
	install -D -m 0755 $(BUILD)/casshield $(DESTDIR)$(PREFIX)/sbin/casshield
	install -D -m 0644 docs/casshield.8 $(DESTDIR)$(PREFIX)/share/man/man8/casshield.8
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/casshield
	[ -e $(DESTDIR)$(SYSCONFDIR)/casshield/casshield.yaml ] || \
		install -m 0600 scripts/config/casshield.yaml $(DESTDIR)$(SYSCONFDIR)/casshield/casshield.yaml
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' scripts/casshield.service > $(DESTDIR)$(UNITDIR)/casshield.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/casshield.service
	install -D -m 0644 scripts/casshield.bash-completion $(DESTDIR)$(COMPLETIONDIR)/casshield

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/casshield $(DESTDIR)$(PREFIX)/share/man/man8/casshield.8 \
	      $(DESTDIR)$(UNITDIR)/casshield.service $(DESTDIR)$(COMPLETIONDIR)/casshield

# The product code; test tables keep one case a line on purpose.
FORMATTED := bpf/*.c bpf/*.h user/*.c user/*.h include/*.h tests/bench/*.[ch]

format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run -Werror $(FORMATTED)

clean:
	rm -rf $(BUILD)
