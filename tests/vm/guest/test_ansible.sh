#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_ansible.sh (guest) - the fleet role (deploy/ansible, site.yml) run
# with `ansible-playbook -c local` on the guest, which has no network: the
# role and the .deb came in on the data disk. The first run installs,
# checks, applies with commit-confirm and starts the service; the second
# changes nothing; a file that fails `casshield check` changes nothing;
# a change of the inventory reaches the shield through apply and reload.
# Runs after test_package.sh (the package purged); ends with it purged.
set -u
source tests/lib/tap.sh
source tests/vm/guest/lab-units.sh
B=/usr/sbin/casshield
arch=$(dpkg --print-architecture)
deb=$PWD/$(ls build/deb/casshield_*_"$arch".deb)
version=$(dpkg-deb -f "$deb" Version)
work=/tmp/casshield-ansible
export HOME=/root ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$work/tmp ANSIBLE_REMOTE_TEMP=$work/tmp

rm -rf "$work"
mkdir -p "$work"
cp -a deploy "$work/"
# The guest is the one CAS of the inventory; the controller is the guest
# itself, already root (no sudo in the image).
cat > "$work/inventory.yml" <<EOF
all:
  children:
    cas:
      hosts:
        localhost:
          ansible_become: false
          ansible_python_interpreter: /usr/bin/python3
          casshield_deb: $deb
          casshield_interfaces:
            - {name: $LAB_IF, ports: [443/tcp], limits: {syn_rate: 20000, syn_burst: 40000}}
          casshield_proxies:
            - {name: proxy, cidr: $LAB_PROXY4/32}
          casshield_admin_networks:
            - {name: admins, cidr: "2001:db8:10::/48", ports: [443]}
          casshield_metrics_listen: 127.0.0.1:9477
          casshield_confirm_seconds: 60
EOF

play() { # LOG [ARGS...]: ansible-playbook -c local site.yml; its status
	local log=$work/$1
	shift
	(cd "$work" && ansible-playbook -c local -i inventory.yml deploy/ansible/site.yml "$@") > "$log" 2>&1
	local status=$?
	sed 's/^/# ansible| /' "$log" | grep -E 'TASK|changed:|fatal:|FAILED|PLAY RECAP|localhost +:' | head -n 60
	return $status
}
recap() { sed -nE 's/^localhost +: (.*)$/\1/p' "$work/$1" | tr -s ' '; }

check_eq "before: casshield is not installed" "" "$(dpkg-query -W -f='${Status}' casshield 2>/dev/null | grep -v not-installed)"
vm_lab_install
wait_for 10 lab_connect "$LAB_PROXY_NS" "$LAB_CAS4" 443 1

play run1.log
check_eq "first run succeeds" 0 "$?"
check_match "first run: changes, no failure" "changed=[1-9][0-9]* .*failed=0" "$(recap run1.log)"
check_eq "first run: the package is installed" "$version" "$(dpkg-query -W -f='${Version}' casshield)"
check_eq "first run: the service is enabled and active" "enabled active" "$(systemctl is-enabled casshield) $(systemctl is-active casshield)"
check_match "first run: the service enforces the file" "enforcing 1 interface" "$(unit_prop casshield StatusText)"
check_eq "first run: the confirmed file is the live one" "" "$(cmp /etc/casshield/casshield.yaml.next /etc/casshield/casshield.yaml 2>&1)"
check_eq "first run: no apply waits for confirmation" "no" "$([ -e /run/casshield/confirm.pid ] && echo yes || echo no)"
check_eq "first run: the live file is root's alone" "600" "$(stat -c %a /etc/casshield/casshield.yaml)"
reach "first run: the proxy reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
reach "first run: the rogue does not reach 443" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
id=$(prog_id)
pid=$(unit_prop casshield MainPID)

play run2.log
check_eq "second run succeeds" 0 "$?"
check_match "second run: no change" "changed=0 .*failed=0" "$(recap run2.log)"
check_eq "second run: the same program" "$id" "$(prog_id)"
check_eq "second run: the same service process" "$pid" "$(unit_prop casshield MainPID)"

# An inventory that renders an invalid file stops before anything changes.
live=$(sha256sum < /etc/casshield/casshield.yaml)
play run3.log -e '{"casshield_proxies": [{"name": "proxy", "cidr": "198.18.9.300/32"}]}'
check_eq "an invalid rendering fails the run" 2 "$?"
check_match "the failure is casshield check's" "failed to validate" "$(cat "$work/run3.log")"
check_eq "invalid: the live file is unchanged" "$live" "$(sha256sum < /etc/casshield/casshield.yaml)"
check_eq "invalid: the same program" "$id" "$(prog_id)"
reach "invalid: the proxy still reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443

# A change: the rogue allowed too; applied, confirmed, reloaded.
play run4.log -e "{\"casshield_proxies\": [{\"name\": \"proxy\", \"cidr\": \"$LAB_PROXY4/32\"}, {\"name\": \"rogue\", \"cidr\": \"$LAB_ROGUE4/32\"}]}"
check_eq "a changed inventory runs" 0 "$?"
check_match "change: reported" "changed=[1-9][0-9]* .*failed=0" "$(recap run4.log)"
reach "change: the rogue reaches 443 now" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
check_match "change: the live file has it" "$LAB_ROGUE4/32" "$(cat /etc/casshield/casshield.yaml)"
check_eq "change: confirmed" "no" "$([ -e /run/casshield/confirm.pid ] && echo yes || echo no)"
check_eq "change: the same program (a ruleset change)" "$id" "$(prog_id)"
check_eq "change: reloaded, not restarted" "$pid" "$(unit_prop casshield MainPID)"
check_match "change: the service reloaded the file" "casshield: reloaded /etc/casshield/casshield.yaml" "$(journalctl -u casshield -n 30 --no-pager -o cat)"

check_cmd "purge the package" 0 "" -- apt-get -y -q -o Dpkg::Use-Pty=0 purge casshield
check_eq "after purge: nothing attached" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null)"
rm -rf "$work" /var/cache/casshield
tap_done
