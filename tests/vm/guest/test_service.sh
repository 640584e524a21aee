#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_service.sh (guest) - the shipped unit under systemd 252 on the 6.1
# kernel: "active" means enforcing, reload, restart adopts the program with
# no window, stop keeps enforcing, SIGKILL restarts, a config that cannot
# load ends as a failed unit without a loop. It leaves the service enabled
# with a good config: after_reboot.sh checks it came back.
set -u
source tests/lib/tap.sh
source tests/vm/guest/lab-units.sh
B=$CASSHIELD

vm_lab_install
wait_for 10 lab_connect "$LAB_PROXY_NS" "$LAB_CAS4" 443 1
reach "before the service: the rogue reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443

# enable --now returns once the unit is ready: by then it must enforce.
vm_config
check_cmd "systemctl enable --now casshield" 0 "" -- systemctl enable --now casshield
check_eq "the unit is active" "active" "$(systemctl is-active casshield)"
reach "active: the proxy reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
reach "active: the rogue does not reach 443" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
check_eq "active: /healthz answers 200" "200" "$(healthz)"
check_match "the status line says it enforces" "enforcing 1 interface" "$(unit_prop casshield StatusText)"
id=$(prog_id)
check_ge "a program is attached" 1 "$id"

# reload: a good file takes effect, a bad one fails the reload, changes nothing
vm_config "$LAB_ROGUE4"
check_cmd "systemctl reload with the rogue allowed" 0 "" -- systemctl reload casshield
rogue_in() { lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443 1; }
rogue_out() { ! rogue_in; }
check_eq "reload: the rogue's rule takes effect" yes "$(wait_for 10 rogue_in && echo yes || echo no)"
vm_config
check_cmd "systemctl reload without it" 0 "" -- systemctl reload casshield
check_eq "reload: the rule is gone again" yes "$(wait_for 10 rogue_out && echo yes || echo no)"
printf 'interfaces:\n  - name: %s\n    ports: [443/tcp]\n    allow:\n      - {cidr: 198.18.9.300/32}\n' "$LAB_IF" > /etc/casshield/casshield.yaml
check_cmd "systemctl reload of an invalid file fails" 1 "" -- systemctl reload casshield
check_eq "after a failed reload the unit is still active" "active" "$(systemctl is-active casshield)"
reach "after a failed reload the proxy reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
reach "after a failed reload the rogue still does not" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
vm_config

# restart, stop, SIGKILL: a client loop on each side watches for a window
loops_start
check_cmd "systemctl restart" 0 "" -- systemctl restart casshield
loops_stop "restart"
check_eq "restart adopted the same program" "$id" "$(prog_id)"
check_eq "after restart the unit is active" "active" "$(systemctl is-active casshield)"

loops_start
check_cmd "systemctl stop" 0 "" -- systemctl stop casshield
loops_stop "stop (fail closed)"
check_eq "stop leaves the program attached" "$id" "$(prog_id)"
check_cmd "systemctl start" 0 "" -- systemctl start casshield
check_eq "start adopted the same program" "$id" "$(prog_id)"

restarts=$(unit_prop casshield NRestarts)
loops_start
check_cmd "systemctl kill -s KILL" 0 "" -- systemctl kill -s KILL casshield
restarted() { [ "$(unit_prop casshield NRestarts)" -gt "$restarts" ] && [ "$(systemctl is-active casshield)" = active ]; }
check_eq "SIGKILL: systemd restarts the service" yes "$(wait_for 20 restarted && echo yes || echo no)"
loops_stop "SIGKILL and restart"
check_eq "SIGKILL: the same program throughout" "$id" "$(prog_id)"

# A file that cannot load fails the unit at once (exit 2, no restart) ...
printf 'interfaces:\n  - name: %s\n    ports: [443/tcp]\n    allow:\n      - {cidr: 198.18.9.300/32}\n' "$LAB_IF" > /etc/casshield/casshield.yaml
check_cmd "restart with an invalid file fails" 1 "" -- systemctl restart casshield
sleep 5
check_eq "invalid file: the unit is failed" "failed" "$(systemctl is-active casshield)"
check_eq "invalid file: exit status 2" "2" "$(unit_prop casshield ExecMainStatus)"
# A start asked for by hand resets the counter: any restart shows here.
check_eq "invalid file: no restart" "0" "$(unit_prop casshield NRestarts)"
check_match "invalid file: the journal names the line and the value" "casshield.yaml:[0-9]+: .*cidr.*198.18.9.300" "$(journalctl -u casshield -n 20 --no-pager)"
reach "invalid file: the shield still enforces" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443

# ... an interface that is not there is retried a few times, then fails.
systemctl reset-failed casshield
printf 'interfaces:\n  - name: nosuch0\n    ports: [443/tcp]\n' > /etc/casshield/casshield.yaml
check_cmd "start with a missing interface fails" 1 "" -- systemctl start casshield
gave_up() {
	[ "$(systemctl is-active casshield)" = failed ] &&
		journalctl -u casshield -n 20 --no-pager | grep -q "Start request repeated too quickly"
}
check_eq "missing interface: the start limit ends the retries" yes "$(wait_for 40 gave_up && echo yes || echo no)"
n=$(unit_prop casshield NRestarts)
sleep 5
check_eq "missing interface: no more restarts after the limit" "$n" "$(unit_prop casshield NRestarts)"
check_match "missing interface: the journal says which" "no such interface: nosuch0" "$(journalctl -u casshield -n 50 --no-pager)"

# Leave it enabled and enforcing for the reboot.
systemctl reset-failed casshield
vm_config
check_cmd "start again with the good file" 0 "" -- systemctl start casshield
check_eq "enabled for the reboot" "enabled" "$(systemctl is-enabled casshield)"
tap_done
