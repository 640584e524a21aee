# SPDX-License-Identifier: GPL-2.0
# tap.sh - assertions for shell tests. Each prints "ok N - what" or
# "not ok N - what" (with expected and actual); tests/run-all.sh counts
# them. Source it, call the checks, end with tap_done.

TAP_N=0
TAP_FAILED=0

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_fail() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1" "expected: $2" "actual:   $3"; fi
}

# check_ge WHAT MIN ACTUAL (integers)
check_ge() {
	if [ "$3" -ge "$2" ] 2>/dev/null; then tap_ok "$1"; else tap_fail "$1" "expected >= $2" "actual:   $3"; fi
}

# check_match WHAT REGEX TEXT
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then tap_ok "$1"; else tap_fail "$1" "expected to match: $2" "actual: $3"; fi
}

# check_cmd WHAT EXPECTED_STATUS STDERR_REGEX -- CMD...
# Runs CMD, compares its exit status and (if non-empty) its stderr.
check_cmd() {
	local what=$1 want=$2 pattern=$3 out status
	shift 4
	out=$("$@" 2>&1 >/dev/null)
	status=$?
	if [ "$status" != "$want" ]; then
		tap_fail "$what" "command: $*" "expected status $want, got $status" "stderr: $out"
	elif [ -n "$pattern" ] && ! printf '%s' "$out" | grep -Eq -- "$pattern"; then
		tap_fail "$what" "command: $*" "stderr does not match: $pattern" "stderr: $out"
	else
		tap_ok "$what"
	fi
}

tap_done() {
	echo "# $((TAP_N - TAP_FAILED)) passed, $TAP_FAILED failed"
	[ "$TAP_FAILED" -eq 0 ]
}
