#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_refusal.sh (guest) - a host that cannot run the SYN proxy refuses to
# enable it with one line naming what is missing, and changes nothing. On
# Debian's 6.1 kernel netfilter's SYNPROXY is a module (nft_synproxy):
# forbidding it with an install line in /etc/modprobe.d makes the host
# one without it. Runs before test_synproxy.sh loads the module.
set -u
source tests/lib/tap.sh
LAB=casr LAB_NET=7
source tests/lib/lab.sh
B=$CASSHIELD
BLOCK=/etc/modprobe.d/casshield-test-no-synproxy.conf

lab_up
check_eq "nft_synproxy is not loaded yet (nothing before asked for it)" no \
	"$([ -d /sys/module/nft_synproxy ] && echo yes || echo no)"
echo "install nft_synproxy /bin/false" >"$BLOCK"
trap 'rm -f "$BLOCK"; lab_down' EXIT
check_cmd "load --syn-proxy without nft_synproxy: refused, exit 3, naming it" 3 "nft_synproxy" -- \
	"$B" load "$LAB_IF" --syn-proxy
check_eq "and nothing was changed: not shielded" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$LAB_IF" || true)"
check_eq "no XDP program attached" "" "$(ip -d link show "$LAB_IF" | grep -o 'prog/xdp' || true)"
check_eq "no table left" "" "$(nft list tables 2>/dev/null | grep -F casshield_synproxy || true)"
cat >"$LAB_IF.yaml" <<YAML
interfaces:
  - name: $LAB_IF
    synproxy: true
    allow:
      - {cidr: "$LAB_PROXY4/32"}
YAML
chmod 600 "$LAB_IF.yaml"
check_cmd "apply of synproxy: true without nft_synproxy: refused, exit 3" 3 "nft_synproxy.*nothing was changed" -- \
	"$B" apply --config "$LAB_IF.yaml"
check_eq "apply changed nothing" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$LAB_IF" || true)"
check_cmd "without the switch the same load works" 0 "" -- "$B" load "$LAB_IF"
check_cmd "unload" 0 "" -- "$B" unload "$LAB_IF"
rm -f "$LAB_IF.yaml"
tap_done
