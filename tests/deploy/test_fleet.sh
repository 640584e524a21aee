#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_fleet.sh - the fleet files of deploy/: ansible-lint clean (offline),
# the playbook's syntax, the example inventory rendered with the roles'
# templates into configurations `casshield check` accepts, and the
# Prometheus example (file_sd, alert rules) accepted by promtool. The
# role itself runs, twice, in the VM stage (tests/vm/guest/test_ansible.sh).
set -u
source tests/lib/tap.sh
B=${CASSHIELD:-build/casshield}
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
export ANSIBLE_LOCAL_TEMP=$x/ansible ANSIBLE_NOCOLOR=1

out=$(cd deploy && ansible-lint --offline --nocolor ansible 2>&1)
status=$?
check_eq "ansible-lint --offline deploy/ansible passes" 0 "$status"
check_match "ansible-lint: no failure, no warning" "Passed with production profile: 0 failure\(s\), 0 warning\(s\)" "$out"
echo "$out" | sed 's/^/# ansible-lint: /'

check_cmd "site.yml: syntax" 0 "" -- ansible-playbook --syntax-check -i deploy/ansible/inventory.example.yml deploy/ansible/site.yml

out=$(ansible-playbook -i deploy/ansible/inventory.example.yml tests/deploy/render.yml -e render_dir="$x" 2>&1)
check_eq "the example inventory renders" 0 "$?"
for host in cas-a.example.net cas-b.example.net cas-c.example.net; do
	out=$("$B" check --config "$x/$host.yaml" 2>&1)
	check_eq "$host: casshield check accepts its configuration" 0 "$?"
	check_match "$host: eth0 protects 443 and the exporter" "^interface eth0: native mode, ports 443/tcp,9477/tcp" "$out"
	check_match "$host: the proxies on 443" "allow 198.51.100.11/32 name proxy-b ports 443/tcp syn 2000/4000" "$out"
	check_match "$host: Prometheus alone on 9477" "allow 192.0.2.50/32 name prometheus ports 9477/tcp" "$out"
	check_match "$host: the global limits" "limits: syn 20000/s burst 40000, hello 5000/s burst 10000, min TLS 1.2" "$out"
done
check_match "each host serves metrics where the inventory says" "metrics: listen 192.0.2.13:9477" "$("$B" check --config "$x/cas-c.example.net.yaml" 2>/dev/null)"

# The targets Prometheus reads, checked through a prometheus.yml that
# points at them (promtool reads file_sd files and the rule files).
mkdir -p "$x/prom/file_sd"
cp scripts/monitoring/casshield-alerts.yml "$x/prom/"
sed "s|/etc/prometheus|$x/prom|g" deploy/prometheus/prometheus.yml > "$x/prom/prometheus.yml"
cp "$x/targets.yml" "$x/prom/file_sd/casshield.yml"
check_cmd "promtool accepts the rendered targets and the alert rules" 0 "" -- promtool check config "$x/prom/prometheus.yml"
check_match "a target per CAS, at its metrics address" "192.0.2.11:9477.*192.0.2.12:9477.*192.0.2.13:9477" "$(tr -d '\n' < "$x/targets.yml")"
check_match "the site label comes from the inventory" 'site: "dr"' "$(cat "$x/targets.yml")"
cp deploy/prometheus/casshield-targets.example.yml "$x/prom/file_sd/casshield.yml"
check_cmd "promtool accepts the file_sd example" 0 "" -- promtool check config "$x/prom/prometheus.yml"
check_match "the scrape job is the one the alerts and the dashboard expect" "job_name: casshield" "$(cat deploy/prometheus/prometheus.yml)"
tap_done
