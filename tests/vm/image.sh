#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# image.sh - the Debian 12 root filesystem the VM stage boots: systemd as
# PID 1, Debian's stock 6.1 cloud kernel, the libraries casshield links and
# the few tools the in-VM tests use. Built with mmdebstrap from this host's
# own apt sources, cached under build/vm/ and rebuilt only when this file
# (the package list and the boot hook) changes.
#
#   tests/vm/image.sh [OUT_DIR]   -> OUT_DIR/{root.img,vmlinuz,initrd.img}
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/vm}

packages=(
	# PID 1 and what a real host has around it
	systemd systemd-sysv udev kmod dbus procps
	# the kernel our users run: the version linux-image-cloud-amd64 names
	linux-image-cloud-amd64 initramfs-tools
	# casshield's runtime libraries (libbpf is linked in statically)
	libelf1 zlib1g libmicrohttpd12 libyaml-0-2 libsystemd0 libjson-c5
	# the in-VM tests: links, namespaces, a TCP service and a client
	iproute2 iputils-ping python3 curl jq nftables e2fsprogs
	# the SYN proxy's suite: a forged flood and an HTTPS service
	hping3 openssl ethtool conntrack
	# the package's life cycle (apt-get on a local .deb) and the Ansible
	# role run on the guest itself (its apt module needs python3-apt)
	apt ansible-core python3-apt
)

stamp=$(sha256sum "$0" | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
	[ -f "$out/root.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
	echo "vm image: cached ($out, $stamp)"
	exit 0
fi

sources=
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
	if [ -s "$f" ]; then
		sources=$f
		break
	fi
done
[ -n "$sources" ] || { echo "vm image: no apt sources on this host" >&2; exit 1; }

rm -rf "$out/rootfs" "$out/root.img" "$out/stamp"
mkdir -p "$out"
echo "vm image: building a Debian 12 rootfs from $sources (a few minutes)"
# The boot hook: at every boot, mount the data disk (/dev/vdb) and hand the
# machine to the test script it carries, so changing the tests never needs
# a new image. The VM has no NIC: nothing it does can leave this machine.
mmdebstrap --variant=minbase --mode=root --quiet \
	--include="$(
		IFS=,
		echo "${packages[*]}"
	)" \
	--customize-hook='echo casshield-vm > "$1/etc/hostname"' \
	--customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$1/etc/fstab"' \
	--customize-hook='chroot "$1" passwd -d root' \
	--customize-hook='mkdir -p "$1/work"' \
	--customize-hook='cat > "$1/etc/systemd/system/vm-test.service" <<UNIT
[Unit]
Description=casshield VM stage: the test script on the data disk
After=local-fs.target
ConditionPathExists=/dev/vdb

[Service]
Type=oneshot
ExecStart=/bin/sh -c "mount /dev/vdb /work && exec /work/tests/vm/inside.sh"
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT' \
	--customize-hook='chroot "$1" systemctl enable vm-test.service' \
	--customize-hook='chroot "$1" systemctl mask getty@tty1.service serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer' \
	bookworm "$out/rootfs" "$sources"

cp -L "$out/rootfs/vmlinuz" "$out/vmlinuz"
cp -L "$out/rootfs/initrd.img" "$out/initrd.img"
mkfs.ext4 -q -F -L casshield-root -d "$out/rootfs" "$out/root.img" 3G
rm -rf "$out/rootfs"
echo "$stamp" > "$out/stamp"
echo "vm image: built $out/root.img"
