#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_install.sh - `make install` with DESTDIR and PREFIX: the binary, the
# man page, the unit, the completion and a root-only example configuration
# that is never overwritten; the example covers every key and is valid.
set -u
source tests/lib/tap.sh
DEST=$(mktemp -d)
trap 'rm -rf "$DEST"' EXIT

make -s install DESTDIR="$DEST" PREFIX=/opt/cas >/dev/null
check_eq "binary" 755 "$(stat -c %a "$DEST/opt/cas/sbin/casshield")"
check_eq "man page" 644 "$(stat -c %a "$DEST/opt/cas/share/man/man8/casshield.8")"
check_eq "config directory is root's alone" "700" "$(stat -c %a "$DEST/etc/casshield")"
check_eq "example config is root's alone" "600" "$(stat -c %a "$DEST/etc/casshield/casshield.yaml")"
check_match "unit runs the installed binary" "ExecStart=/opt/cas/sbin/casshield run --config /etc/casshield/casshield.yaml" "$(cat "$DEST/lib/systemd/system/casshield.service")"
check_match "unit reloads with SIGHUP" 'ExecReload=/bin/kill -HUP \$MAINPID' "$(cat "$DEST/lib/systemd/system/casshield.service")"
unit=$(cat "$DEST/lib/systemd/system/casshield.service")
check_match "unit is ready only when it enforces" "^Type=notify$" "$(grep '^Type=' <<<"$unit")"
check_match "unit checks the file before a reload" "ExecReload=/bin/sh -c 'exec /opt/cas/sbin/casshield check --config /etc/casshield/casshield.yaml" "$unit"
check_match "unit does not retry what cannot succeed" "^RestartPreventExitStatus=2 3$" "$(grep '^RestartPreventExitStatus=' <<<"$unit")"
check_match "unit bounds its retries" "StartLimitBurst=5" "$unit"
check_match "unit keeps only the capabilities it needs" "CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN" "$(cat "$DEST/lib/systemd/system/casshield.service")"
check_match "bash completion" "complete -F _casshield casshield" "$(bash -c "source '$DEST/opt/cas/share/bash-completion/completions/casshield'; complete -p casshield")"
check_cmd "the example config is valid" 0 "" -- "$DEST/opt/cas/sbin/casshield" check --config "$DEST/etc/casshield/casshield.yaml"
for key in interfaces name mode monitor ports limits syn_rate syn_burst hello_rate hello_burst min_tls allow cidr source_syn_rate source_syn_burst mac ttl metrics listen; do
	check_match "the example covers '$key'" "(^|[ {,])$key:" "$(cat "$DEST/etc/casshield/casshield.yaml")"
	check_match "the man page documents '$key'" "$key" "$(cat docs/casshield.8)"
done
echo "# edited" >> "$DEST/etc/casshield/casshield.yaml"
make -s install DESTDIR="$DEST" PREFIX=/opt/cas >/dev/null
check_match "a second install keeps the admin's config" "# edited" "$(tail -n1 "$DEST/etc/casshield/casshield.yaml")"
for verb in load unload status allow limits check apply confirm run stats metrics; do
	check_match "--help lists $verb" "  $verb " "$("$DEST/opt/cas/sbin/casshield" --help)"
	check_match "the man page documents $verb" "^\.B $verb|^\.B casshield $verb" "$(cat docs/casshield.8)"
done
tap_done
