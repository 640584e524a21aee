#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install-deps.sh - every Debian package that building, testing, the demo
# and the benchmarks need. Idempotent: apt runs only when something is
# missing. Also mounts bpffs, which the shield pins its state in.
set -euo pipefail

packages=(
	# build
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	libmicrohttpd-dev libyaml-dev libsystemd-dev libjson-c-dev
	# style, the static analyzer (scan-build) and the sanitizer build
	clang-format clang-tools
	# tests and the demo lab
	iproute2 iputils-ping nftables iptables conntrack xdp-tools hping3 python3 python3-scapy
	curl jq prometheus
	# the Debian package (make deb) and its lint
	debhelper dpkg-dev lintian
	# the fleet files of deploy/: the Ansible roles and their lint
	ansible-core ansible-lint
	# the VM stage: a Debian 12 image with the stock 6.1 kernel, under qemu
	mmdebstrap qemu-system-x86 qemu-utils e2fsprogs
	# benchmarks (and the CAS lab's plot)
	gnuplot-nox
	# make fuzz: libFuzzer and the sanitizers' runtimes for Debian 12's clang
	libclang-rt-14-dev
	# the CAS lab (scripts/lab/, make lab, the demo, test_lab.sh): SOGo's
	# ActiveSync server and its stores, the web servers in front of it,
	# the lab CA, libwbxml's tools to check the client's WBXML, ethtool
	sogo sogo-activesync postgresql memcached dovecot-imapd nginx openssl
	libwbxml2-utils ethtool
)

missing=()
for pkg in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages: ${missing[*]}; run as root (sudo make check)" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# The prometheus, postgresql, memcached, dovecot, nginx and sogo
	# packages would start servers we do not want: the lab starts its own.
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
