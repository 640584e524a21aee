#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_package.sh (guest) - the Debian package's life cycle under systemd
# 252 on the 6.1 kernel, on an image that never had casshield (inside.sh
# runs it before anything is staged): install attaches nothing; configure,
# enable --now, real TCP; upgrade to a later build while clients connect
# (the running program adopted, counters kept, one restart, no window);
# remove unloads every shield, even with an apply waiting for confirm;
# purge removes /etc/casshield. Ends with the package purged.
set -u
source tests/lib/tap.sh
source tests/vm/guest/lab-units.sh
B=/usr/sbin/casshield
arch=$(dpkg --print-architecture)
deb=$(ls build/deb/casshield_*_"$arch".deb)
next=$(ls build/deb-next/casshield_*_"$arch".deb)
version=$(dpkg-deb -f "$deb" Version)
next_version=$(dpkg-deb -f "$next" Version)
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }
pkg_status() { # "" once dpkg forgot it
	local s
	s=$(dpkg-query -W -f='${Status}' casshield 2>/dev/null)
	[ "${s##* }" = not-installed ] || echo "$s"
}
shielded() { ls /sys/fs/bpf/casshield 2>/dev/null; }
xdp_on_lab() { ip -d link show "$LAB_IF" | grep -o 'prog/xdp'; }

check_eq "a host that never had casshield" "" "$(pkg_status)"
check_cmd "the later build sorts after the first" 0 "" -- dpkg --compare-versions "$next_version" gt "$version"
vm_lab_install
wait_for 10 lab_connect "$LAB_PROXY_NS" "$LAB_CAS4" 443 1

# Install: files in place, the unit neither enabled nor started, nothing
# attached; the shipped file attaches nothing even once started.
check_cmd "apt-get install ./$deb" 0 "" -- apt_get install "./$deb"
check_eq "install: installed" "install ok installed $version" "$(pkg_status) $(dpkg-query -W -f='${Version}' casshield)"
check_eq "install: casshield --version agrees with the package" "casshield $version" "$("$B" --version)"
check_eq "install: the unit is not enabled" "disabled" "$(systemctl is-enabled casshield)"
check_eq "install: the unit is not started" "inactive" "$(systemctl is-active casshield)"
check_eq "install: nothing is attached" "" "$(shielded)$(xdp_on_lab)"
check_eq "install: the configuration is root's alone" "600 root 700 root" "$(stat -c '%a %U' /etc/casshield/casshield.yaml /etc/casshield | tr '\n' ' ' | sed 's/ $//')"
check_eq "install: man page and completion" "yes" "$([ -f /usr/share/man/man8/casshield.8.gz ] && [ -f /usr/share/bash-completion/completions/casshield ] && echo yes)"
reach "install: the rogue still reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
check_cmd "started with the shipped file" 0 "" -- systemctl start casshield
check_eq "the shipped file: active" "active" "$(systemctl is-active casshield)"
check_eq "the shipped file: no interface shielded" '{"interfaces":[]}' "$("$B" status --json | jq -c .)"
reach "the shipped file: the rogue still reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
check_cmd "stop it again" 0 "" -- systemctl stop casshield

# Configure and enable, as the README says.
vm_config
check_cmd "casshield check on the admin's file" 0 "" -- "$B" check
check_cmd "systemctl enable --now casshield" 0 "" -- systemctl enable --now casshield
reach "enabled: the proxy reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
reach "enabled: the rogue does not reach 443" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
id=$(prog_id)
link=$("$B" status -i "$LAB_IF" --json | jq -r .link_id)
check_ge "enabled: a program is attached" 1 "$id"

# Upgrade while both sides connect in a loop.
conf=$(sha256sum < /etc/casshield/casshield.yaml)
allowed=$(lab_counter "$LAB_IF" pass allowed)
pid=$(unit_prop casshield MainPID)
since=$(date '+%Y-%m-%d %H:%M:%S')
sleep 1
loops_start
check_cmd "upgrade: apt-get install ./$next" 0 "" -- apt_get install "./$next"
loops_stop "upgrade"
check_eq "upgrade: the later version is installed" "$next_version" "$(dpkg-query -W -f='${Version}' casshield)"
check_eq "upgrade: casshield --version says it" "casshield $next_version" "$("$B" --version)"
check_eq "upgrade: the service is active" "active" "$(systemctl is-active casshield)"
check_eq "upgrade: restarted once" "1" "$(journalctl -u casshield --since "$since" --no-pager -o cat | grep -c '^casshield: run: ')"
check_eq "upgrade: a new process runs" "yes" "$([ "$(unit_prop casshield MainPID)" != "$pid" ] && echo yes)"
check_eq "upgrade: the running program was adopted" "$id" "$(prog_id)"
check_eq "upgrade: the same pinned link" "$link" "$("$B" status -i "$LAB_IF" --json | jq -r .link_id)"
check_ge "upgrade: the counters were kept" "$allowed" "$(lab_counter "$LAB_IF" pass allowed)"
check_eq "upgrade: still enabled" "enabled" "$(systemctl is-enabled casshield)"
check_eq "upgrade: the admin's configuration is kept" "$conf" "$(sha256sum < /etc/casshield/casshield.yaml)"
reach "upgrade: the rogue still does not reach 443" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443

# Remove, with an apply waiting for confirmation: its rollback must not
# attach anything again once the tool is gone.
vm_config "$LAB_ROGUE4"
check_cmd "an apply --confirm 20 is pending" 0 "" -- "$B" apply --confirm 20
applied=$SECONDS
check_cmd "apt-get remove casshield" 0 "" -- apt_get remove casshield
check_eq "remove: the service is stopped" "inactive" "$(systemctl is-active casshield)"
check_eq "remove: nothing attached" "" "$(xdp_on_lab)"
check_eq "remove: no pins" "no" "$([ -e /sys/fs/bpf/casshield ] && echo yes || echo no)"
check_eq "remove: the binary is gone" "no" "$([ -e "$B" ] && echo yes || echo no)"
check_eq "remove: the configuration stays" "deinstall ok config-files yes" "$(pkg_status) $([ -f /etc/casshield/casshield.yaml ] && echo yes)"
reach "remove: the rogue reaches 443 again" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
sleep $((applied + 25 - SECONDS > 0 ? applied + 25 - SECONDS : 0))
check_eq "remove: the pending rollback never attached again" "" "$(shielded)$(xdp_on_lab)"
check_eq "remove: no casshield process is left" "" "$(pgrep -a casshield)"

# Purge.
check_cmd "apt-get purge casshield" 0 "" -- apt_get purge casshield
check_eq "purge: /etc/casshield is gone" "no" "$([ -e /etc/casshield ] && echo yes || echo no)"
check_eq "purge: dpkg knows no casshield" "" "$(pkg_status)"
check_eq "purge: no unit, no enablement left" "" "$(ls /lib/systemd/system/casshield.service /etc/systemd/system/*.wants/casshield.service 2>/dev/null)"
tap_done
