# casshield - XDP shield for a Client Access Server.
#
#   make            build build/casshield (BPF object embedded via skeleton)
#   sudo make check install dependencies, check the style, run the static
#                   analyzer, build, run every test: unit, CLI, integration,
#                   unit and CLI again under ASan + UBSan, and the VM stage
#                   (Debian 12, kernel 6.1)
#   sudo make check-host  the same without the VM stage (the edit-test loop)
#   sudo make check-vm    the VM stage alone
#   make test-unit  the tests that need neither root nor a kernel (parsers,
#                   the apply plan, the config loader, metrics rendering)
#   sudo make demo  install dependencies, build, tell the CAS lab's story
#   make bench      benchmarks (never pass/fail; scripts/bench/bench.mk)
#   sudo make lab   the CAS lab's full matrix, docs/lab.md (scripts/lab/lab.mk)
#   make install    DESTDIR= PREFIX=/usr/local
#   make deb        build/deb/casshield_VERSION_ARCH.deb (debian/, debhelper);
#                   make deb VERSION=V builds version V, VERSION=+S appends +S
#   make SAN=1      userspace and tests with AddressSanitizer + UBSan
#   make san        the same in build/san, for the check's sanitizer stage
#   make analyze    clang's static analyzer (scan-build); any report fails

PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

# user/lib: the library (maps, rules, apply, config, metrics snapshot);
# user/http: the exporter's server; user/cmd: the verbs and main.
USER_DIRS  := user/lib user/http user/cmd
CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -MMD -MP -Iinclude \
              $(addprefix -I,$(USER_DIRS)) -I$(BUILD)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -MMD -MP -Iinclude -I/usr/include/$(shell uname -m)-linux-gnu
# Test tables leave trailing fields of a row to their zero default.
TEST_CFLAGS := -Wno-missing-field-initializers -Itests/lib
LDLIBS     := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lmicrohttpd -lyaml -lsystemd -ljson-c -lpthread
ifeq ($(SAN),1)
CFLAGS     += -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

SKEL       := $(BUILD)/shield.skel.h
LIB_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/lib/*.c user/http/*.c))
CMD_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard user/cmd/*.c))
TEST_LIB   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/lib/*.c))
TEST_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/unit_*.c))
# Unit tests that need no root and no BPF: `make test-unit` runs them as is.
PURE_TESTS := $(BUILD)/tests/unit_values $(BUILD)/tests/unit_plan $(BUILD)/tests/unit_config \
              $(BUILD)/tests/unit_rollback $(BUILD)/tests/unit_synproxy_nft \
              $(BUILD)/tests/unit_text_program

.DELETE_ON_ERROR:
# A test's object is only reached through the pattern rule above it, so make
# would treat it as intermediate and remove it after each link; keep it.
.SECONDARY: $(patsubst $(BUILD)/tests/%,$(BUILD)/tests/unit/%.o,$(TEST_BINS)) $(TEST_LIB)
.PHONY: all check check-host check-vm demo bench install uninstall clean deps format format-check test-unit san analyze deb deb-next

# The suites' own XDP program (tests/bpf/xdp_pass.bpf.c), for veth peers.
TEST_BPF   := $(BUILD)/tests/xdp_pass.bpf.o

all: $(BUILD)/casshield $(TEST_BINS) $(TEST_BPF)

$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/shield.bpf.o: bpf/shield.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BUILD)/shield.bpf.o
	$(BPFTOOL) gen skeleton $< name shield_bpf > $@

# The skeleton is generated: every object waits for it (order-only); the
# -MMD files then track it like any other header.
$(BUILD)/%.o: %.c | $(SKEL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(if $(filter tests/%,$<),$(TEST_CFLAGS)) -c $< -o $@

# Made anew: `ar r` would keep members of files since removed.
$(BUILD)/libcasshield.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/casshield: $(CMD_OBJS) $(BUILD)/libcasshield.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_LIB) $(BUILD)/libcasshield.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

deps:
	scripts/install-deps.sh

# The style and the analyzer first: they take seconds and fail early.
check: deps
	$(MAKE) format-check analyze
	$(MAKE) all san deb deb-next
	tests/run-all.sh

check-host: deps
	$(MAKE) format-check analyze
	$(MAKE) all san deb deb-next
	tests/run-all.sh --no-vm

check-vm: deps
	$(MAKE) all deb deb-next
	tests/run-all.sh tests/vm/run.sh

test-unit: $(PURE_TESTS)
	@set -e; for t in $(PURE_TESTS); do $$t; done

demo: deps
	$(MAKE) lab-bins
	scripts/demo.sh

include scripts/bench/bench.mk
include tests/fuzz/fuzz.mk
include scripts/lab/lab.mk

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

# The Debian package, built by debhelper in a copy of the tree (nothing is
# written into it); its version is CAS_VERSION of include/casshield.h, or
# VERSION given on the command line (never one from the environment).
deb:
	scripts/build-deb.sh $(BUILD)/deb $(if $(filter command line,$(origin VERSION)),$(VERSION))

# The VM stage's upgrade test: the same tree at a higher version.
deb-next:
	scripts/build-deb.sh $(BUILD)/deb-next +next

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/casshield $(DESTDIR)$(PREFIX)/share/man/man8/casshield.8 \
	      $(DESTDIR)$(UNITDIR)/casshield.service $(DESTDIR)$(COMPLETIONDIR)/casshield

# The product code and the fuzzers; test tables keep one case a line on purpose.
FORMATTED := bpf/*.c bpf/*.h $(addsuffix /*.[ch],$(USER_DIRS)) include/*.h scripts/bench/*.[ch] \
             tests/fuzz/*.[ch]

format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run -Werror $(FORMATTED)

# The userspace and the tests again with ASan + UBSan, in build/san, for
# the sanitizer stage of tests/run-all.sh; -fno-sanitize-recover makes a
# UBSan report fatal rather than a line in a log.
san:
	$(MAKE) SAN=1 BUILD=$(BUILD)/san $(BUILD)/san/casshield \
		$(patsubst $(BUILD)/%,$(BUILD)/san/%,$(TEST_BINS))

# clang's static analyzer over the userspace, built afresh in its own
# directory; any report fails. build/ holds bpftool's generated skeleton,
# whose one report (a leak on a path libbpf frees) is not ours to fix.
analyze:
	rm -rf $(BUILD)/analyze
	scan-build --status-bugs --exclude $(BUILD) -o $(BUILD)/analyze/report \
		$(MAKE) BUILD=$(BUILD)/analyze $(BUILD)/analyze/casshield

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -path '$(BUILD)/vm' -prune -o -name '*.d' -type f -print 2>/dev/null)
