#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# inside.sh - the VM stage's guest side, started at every boot by the
# image's vm-test.service from the data disk mounted at /work. Boot 1 runs
# the package's suites (full mode), the unit binaries and the other guest
# suites, then (full mode) reboots; boot 2 checks what a reboot must keep. Results go to /work/results, which the
# host reads back (tests/vm/run.sh).
set -u
cd /work
export CASSHIELD=/usr/sbin/casshield
mode=$(cat mode)
phase=$(cat results/phase 2>/dev/null || echo 1)

# The package's suites run first, on the image as Debian built it (no
# casshield yet: a fresh host), and leave the package purged; only then is
# what `make install` would put on the host staged for the other suites.
package_suites=(tests/vm/guest/test_package.sh tests/vm/guest/test_ansible.sh)

run_phase() {
	echo "kernel: $(uname -r); systemd: $(systemctl --version | head -n1)"
	if [ "$phase" = 1 ]; then
		# What `make install` would put on the host, built on the host
		# (tar keeps /lib, a link to usr/lib here, a link).
		tar -C stage -cf - . | tar -C / -xf - --keep-directory-symlink
		systemctl daemon-reload
		suites=(build/tests/unit_*)
		[ -f only ] && suites+=("$(cat only)")
		if [ "$mode" = full ]; then
			for suite in tests/vm/guest/test_*.sh; do
				[[ " ${package_suites[*]} " == *" $suite "* ]] || suites+=("$suite")
			done
		fi
		tests/run-all.sh "${suites[@]}"
	else
		tests/run-all.sh tests/vm/guest/after_reboot.sh
	fi
}

if [ "$mode" = full ] && [ "$phase" = 1 ]; then
	tests/run-all.sh "${package_suites[@]}" > results/phase1-package.log 2>&1
fi
run_phase > "results/phase$phase.log" 2>&1
# Each suite's whole log, its TAP comments too (measurements the summary
# leaves out): build/vm/run/out/results/test-logs on the host.
mkdir -p results/test-logs
cp build/test-logs/*.log results/test-logs/ 2>/dev/null
journalctl -b --no-pager -u casshield -u vm-lab -u vm-serve > "results/journal$phase.log" 2>&1
if [ "$mode" = full ] && [ "$phase" = 1 ]; then
	echo 2 > results/phase
	sync
	systemctl reboot # qemu runs with -no-reboot: the host boots it again
else
	echo done > results/phase
	sync
	systemctl poweroff
fi
