#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-all.sh - every test of `make check`: unit binaries (BPF_PROG_TEST_RUN)
# and the differential fuzz's seeded smoke (tests/fuzz), then the shell
# suites (CLI contract, netns integration, the Debian package and the
# fleet files), then the same unit binaries and CLI suites built with
# ASan + UBSan (build/san, when `make san` made it), then the VM stage
# (tests/vm/run.sh: the same on Debian 12's 6.1 kernel under systemd, and
# the package's life cycle there). Ends with one line "N passed, N failed"
# and exits non-zero on any failure.
#
#   tests/run-all.sh [--unit-only | --no-vm] [SUITE...]
#
# SUITE: a test_*.sh script or a unit binary. --no-vm is the edit-test loop
# on this machine's kernel alone (make check-host).
set -u
cd "$(dirname "$0")/.."
export CASSHIELD=${CASSHIELD:-$PWD/build/casshield}

passed=0
failed=0
failed_suites=()
log_dir=build/test-logs
mkdir -p "$log_dir"

count() { # FILE -> "passed failed" from TAP lines or a C summary line
	local p f
	p=$(grep -cE '^ok [0-9]+' "$1")
	f=$(grep -cE '^not ok [0-9]+' "$1")
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		read -r p f < <(sed -nE 's/^[a-z_]+: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$1" | tail -n1)
	fi
	echo "${p:-0} ${f:-0}"
}

run_suite() { # NAME CMD...
	local name=$1 log p f status
	shift
	log="$log_dir/${name//[\/:]/_}.log"
	echo "== $name"
	"$@" >"$log" 2>&1
	status=$?
	read -r p f < <(count "$log")
	# A sanitizer report fails the suite even where the test expected
	# the command to fail anyway.
	if grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$log"; then
		f=$((f + 1))
		[ "$status" -eq 0 ] && status=1
	fi
	# A suite that died without reporting a failure still fails once.
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$status" -ne 0 ]; then
		failed_suites+=("$name")
		grep -vE '^ok [0-9]+' "$log" | tail -n 40
	fi
	echo "   $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

unit_only=0
vm=1
suites=()
for arg in "$@"; do
	case $arg in
	--unit-only) unit_only=1 ;;
	--no-vm) vm=0 ;;
	*) suites+=("$arg") ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "run-all: the tests load XDP programs and build namespaces: run as root (sudo make check)" >&2
	exit 1
fi

if [ ${#suites[@]} -eq 0 ]; then
	for bin in build/tests/unit_*; do
		run_suite "$bin" "$bin"
	done
	# The differential fuzz, seeded: 100,000 frames in 50 rulesets, under
	# a second (docs/testing.md).
	run_suite build/fuzz/diff build/fuzz/diff --seed 1 --frames 100000 \
		--batch 2000
	if [ "$unit_only" -eq 0 ]; then
		suites=(tests/cli/test_*.sh tests/integration/test_*.sh tests/deploy/test_*.sh)
		[ -x build/san/casshield ] && suites+=(san)
		[ "$vm" -eq 1 ] && suites+=(tests/vm/run.sh)
	fi
fi

# The sanitizer stage: no report may pass unnoticed, and leaks count.
san_stage() {
	local bin suite
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
	for bin in build/san/tests/unit_*; do
		run_suite "san:$bin" "$bin"
	done
	for suite in tests/cli/test_*.sh; do
		CASSHIELD=$PWD/build/san/casshield run_suite "san:$suite" bash "$suite"
	done
	unset ASAN_OPTIONS UBSAN_OPTIONS
}

for suite in "${suites[@]}"; do
	case $suite in
	san) san_stage ;;
	*.sh) [ -e "$suite" ] && run_suite "$suite" bash "$suite" ;;
	*) [ -e "$suite" ] && run_suite "$suite" "$suite" ;;
	esac
done

[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
