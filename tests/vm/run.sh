#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - the VM stage of `make check`: the shield on Debian 12's stock
# 6.1 kernel with systemd as PID 1, booted under qemu (KVM where it
# works, else TCG). The VM has no network device at all: the data
# disk (/dev/vdb) carries the build and the tests in, and the results out.
#
#   tests/vm/run.sh [--unit-only | --suite tests/vm/guest/FILE]
#
# --unit-only boots once and runs the unit binaries (the verifier check,
# about a minute); the default also runs tests/vm/guest/ (the package's
# life cycle and the Ansible role among them) and a reboot.
# Prints the guest's logs and ends with "vm: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
usage="usage: tests/vm/run.sh [--unit-only | --suite tests/vm/guest/FILE]"
mode=full
# --suite FILE: one boot, the unit binaries and that guest suite alone
# (the edit-test loop of one guest suite; `make check` runs them all).
# Anything else is refused: a mistyped option must not start the whole
# stage (a quarter of an hour under TCG).
case $#:${1:-} in
0:) ;;
1:--unit-only) mode=unit ;;
2:--suite)
	mode=unit
	only=$2
	[ -f "$only" ] || { echo "run.sh: no such guest suite: $only" >&2; exit 2; }
	;;
*:-h | *:--help) echo "$usage"; exit 0 ;;
*) echo "$usage" >&2; exit 2 ;;
esac

tests/vm/image.sh build/vm
run=build/vm/run
rm -rf "$run"
mkdir -p "$run/data/build/tests" "$run/data/results" "$run/data/stage"

# The data disk: the binaries as `make install` lays them out, the unit
# binaries, the test scripts, the package and its later version (the
# upgrade test; `make check` builds both, made here if missing) and the
# fleet's Ansible roles.
make -s install DESTDIR="$PWD/$run/data/stage" PREFIX=/usr >/dev/null
cp build/casshield "$run/data/build/"
cp build/tests/unit_* build/tests/xdp_pass.bpf.o "$run/data/build/tests/"
cp -a tests deploy "$run/data/"
if [ "$mode" = full ]; then
	ls build/deb/casshield_*.deb >/dev/null 2>&1 || make -s deb >/dev/null
	ls build/deb-next/casshield_*.deb >/dev/null 2>&1 || make -s deb-next >/dev/null
	mkdir -p "$run/data/build/deb" "$run/data/build/deb-next"
	cp build/deb/casshield_*.deb "$run/data/build/deb/"
	cp build/deb-next/casshield_*.deb "$run/data/build/deb-next/"
fi
echo "$mode" > "$run/data/mode"
[ -z "${only:-}" ] || echo "$only" > "$run/data/only"
mkfs.ext4 -q -F -L casshield-data -d "$run/data" "$run/data.img" 1G
# The cached image stays pristine: the guest writes to an overlay.
qemu-img create -q -f qcow2 -b "$PWD/build/vm/root.img" -F raw "$run/root.qcow2"

# KVM where it really works, else TCG. On the machines CI runs on,
# /dev/kvm opens and a bare "-M none" probe passes, but nested KVM stops
# the real kernel ("KVM internal error"; qemu then hangs paused). So the
# probe boots the real kernel with init=/bin/true: where KVM works it
# panics ("Attempted to kill init") within seconds; else within 30 s it
# has not, and the stage runs under TCG. CASSHIELD_VM_KVM=0 or 1 skips
# the probe.
kvm_works() {
	[ -w /dev/kvm ] || return 1
	timeout 30 qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 1024 \
		-nodefaults -no-user-config -display none -nic none -no-reboot \
		-kernel build/vm/vmlinuz -initrd build/vm/initrd.img \
		-append "console=ttyS0 root=/dev/vda ro panic=-1 init=/bin/true" \
		-drive "file=$PWD/build/vm/root.img,format=raw,if=virtio,snapshot=on" \
		-serial "file:$run/kvm-probe.log" >/dev/null 2>&1
	grep -q "Attempted to kill init" "$run/kvm-probe.log" 2>/dev/null
}
accel=(-accel tcg,thread=multi -cpu max)
case ${CASSHIELD_VM_KVM:-probe} in
1) accel=(-accel kvm -cpu host) ;;
probe) kvm_works && accel=(-accel kvm -cpu host) ;;
esac

phase_of() {
	debugfs -R "cat /results/phase" "$run/data.img" 2>/dev/null || true
}

boot() { # N TIMEOUT
	echo "vm: boot $1 (${accel[1]}, at most $2 s)"
	timeout --foreground "$2" qemu-system-x86_64 -M q35 "${accel[@]}" \
		-m 2048 -smp 2 -nodefaults -no-user-config -display none \
		-nic none -no-reboot \
		-kernel build/vm/vmlinuz -initrd build/vm/initrd.img \
		-append "console=ttyS0 root=/dev/vda rw panic=-1 systemd.show_status=0" \
		-drive "file=$run/root.qcow2,format=qcow2,if=virtio" \
		-drive "file=$run/data.img,format=raw,if=virtio" \
		-serial "file:$run/console$1.log" || echo "vm: boot $1 ended with status $?"
}

start=$(date +%s)
boot 1 1500
[ "$(phase_of)" = 2 ] && boot 2 600
mkdir -p "$run/out"
debugfs -R "rdump /results $run/out" "$run/data.img" >/dev/null 2>&1 || true

passed=0
failed=0
for log in "$run"/out/results/phase*.log; do
	[ -f "$log" ] || continue
	echo "--- $(basename "$log")"
	sed 's/^/vm| /' "$log"
	read -r p f < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
done
state=$(phase_of)
if [ "$state" != done ]; then
	echo "vm: the guest did not finish (phase '${state:-none}'); console tail:"
	tail -n 40 "$run"/console*.log | sed 's/^/vm| /'
	failed=$((failed + 1))
fi
if [ "$failed" -gt 0 ]; then
	for j in "$run"/out/results/journal*.log; do
		[ -f "$j" ] && tail -n 60 "$j" | sed "s/^/vm $(basename "$j")| /"
	done
fi
echo "vm: $(($(date +%s) - start)) s"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
