#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# after_reboot.sh (guest) - after a reboot (bpffs and its pins are gone),
# the enabled unit is active and enforcing again, before anyone logs in.
set -u
source tests/lib/tap.sh
source tests/vm/guest/lab-units.sh
B=$CASSHIELD

# This script runs during boot (vm-test.service): wait for the units'
# jobs to end, not for a state, so a unit that never starts still fails.
settled() { [ -z "$(systemctl list-jobs --no-legend vm-lab.service casshield.service)" ]; }
wait_for 180 settled
check_eq "after reboot: vm-lab came up" "active" "$(systemctl is-active vm-lab)"
check_eq "after reboot: casshield is active" "active" "$(systemctl is-active casshield)"
check_eq "after reboot: the start needed no retry" "0" "$(unit_prop casshield NRestarts)"
wait_for 10 lab_connect "$LAB_PROXY_NS" "$LAB_CAS4" 443 1
reach "after reboot: the proxy reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
reach "after reboot: the rogue does not reach 443" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
check_eq "after reboot: /healthz answers 200" "200" "$(healthz)"
check_cmd "systemctl disable --now" 0 "" -- systemctl disable --now casshield
check_cmd "unload" 0 "" -- "$B" unload "$LAB_IF"
reach "after unload the rogue reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
tap_done
