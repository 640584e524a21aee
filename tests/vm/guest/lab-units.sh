# SPDX-License-Identifier: GPL-2.0
# lab-units.sh (guest) - the service tests' lab as systemd units, so that it
# comes back at boot before casshield.service: vm-lab builds the veth pair
# and namespaces (tests/lib/lab.sh, LAB=casu LAB_NET=9), vm-serve answers on
# 443 and 8080; and the checks those suites share. Sourced by
# test_service.sh, after_reboot.sh, test_package.sh and test_ansible.sh.
LAB=casu LAB_NET=9
source tests/lib/lab.sh
VM_LAB_DIR=/usr/local/lib/casshield-vm

vm_lab_install() {
	mkdir -p "$VM_LAB_DIR"
	cp tests/lib/lab.sh "$VM_LAB_DIR/"
	cat > "$VM_LAB_DIR/lab-up" <<SH
#!/bin/bash
LAB=$LAB LAB_NET=$LAB_NET
source $VM_LAB_DIR/lab.sh
lab_up
trap - EXIT
SH
	cat > "$VM_LAB_DIR/serve.py" <<'PY'
import socket, sys, threading
def serve(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b"casshield-lab\n")
        finally:
            c.close()
threads = [threading.Thread(target=serve, args=(socket.AF_INET, a, int(p)), daemon=True)
           for a in sys.argv[1:2] for p in sys.argv[2:]]
for t in threads: t.start()
for t in threads: t.join()
PY
	chmod +x "$VM_LAB_DIR/lab-up"
	cat > /etc/systemd/system/vm-lab.service <<UNIT
[Unit]
Description=casshield VM lab: veth pair and namespaces
Before=casshield.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$VM_LAB_DIR/lab-up
[Install]
WantedBy=multi-user.target
UNIT
	cat > /etc/systemd/system/vm-serve.service <<UNIT
[Unit]
Description=casshield VM lab: a TCP service on 443 and 8080
After=vm-lab.service
Requires=vm-lab.service
[Service]
ExecStart=/usr/bin/python3 $VM_LAB_DIR/serve.py $LAB_CAS4 443 8080
[Install]
WantedBy=multi-user.target
UNIT
	systemctl daemon-reload
	systemctl enable --now vm-lab.service vm-serve.service
}

# vm_config [EXTRA_RULE_CIDR]: the service's config, the proxy allowed.
vm_config() {
	{
		echo "interfaces:"
		echo "  - name: $LAB_IF"
		echo "    ports: [443/tcp]"
		echo "    allow:"
		echo "      - {name: proxy, cidr: $LAB_PROXY4/32}"
		[ -n "${1:-}" ] && echo "      - {name: extra, cidr: $1/32}"
		echo "metrics:"
		echo "  listen: 127.0.0.1:9477"
	} > /etc/casshield/casshield.yaml
	chmod 600 /etc/casshield/casshield.yaml
}

reach() { # WHAT EXPECT(yes|no) NS ADDR PORT
	if lab_connect "$3" "$4" "$5" 1; then got=yes; else got=no; fi
	check_eq "$1" "$2" "$got"
}

# wait_for SECONDS CMD...: until CMD succeeds; 0 if it did.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.5
	done
}

healthz() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:9477/healthz; }
prog_id() { "$CASSHIELD" status -i "$LAB_IF" --json 2>/dev/null | jq -r .prog_id; }
unit_prop() { systemctl show -P "$2" "$1"; }

# loops_start; ...; loops_stop WHAT: a client loop on each side while
# something happens to the service; then the rogue must have connected 0
# times and the proxy failed 0 times (a window on either side shows).
LOOPS_STOP=/tmp/casu-stop
loops_start() {
	rm -f "$LOOPS_STOP"
	lab_connect_loop "$LAB_ROGUE_NS" "$LAB_CAS4" 443 0 0.3 0.02 "$LOOPS_STOP" > /tmp/casu-rogue &
	rogue_pid=$!
	lab_connect_loop "$LAB_PROXY_NS" "$LAB_CAS4" 443 0 2 0.02 "$LOOPS_STOP" > /tmp/casu-proxy &
	proxy_pid=$!
	sleep 1
}
loops_stop() {
	sleep 1
	touch "$LOOPS_STOP"
	wait "$rogue_pid" "$proxy_pid"
	read -r rogue_ok _ < /tmp/casu-rogue
	read -r proxy_ok proxy_failed < /tmp/casu-proxy
	echo "# $1: the proxy connected $proxy_ok times, failed $proxy_failed; the rogue connected $rogue_ok times"
	check_eq "$1: the rogue connected 0 times" 0 "$rogue_ok"
	check_eq "$1: the proxy failed 0 times" 0 "$proxy_failed"
	check_ge "$1: the proxy connected throughout" 2 "$proxy_ok"
}
