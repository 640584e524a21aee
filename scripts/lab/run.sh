#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - `sudo make lab`: the CAS lab's full matrix, every scenario
# against every contender, the contenders alternating within each
# scenario and their order turning from round to round; then the report,
# docs/lab.md and docs/lab.png, written from the run's results alone.
#
#   scripts/lab/run.sh [--rounds N] [--phases BEFORE,DURING,AFTER]
#                      [--scenarios LIST] [--contenders LIST] [--out-dir DIR]
#
# Defaults: 2 rounds, phases of 8, 15 and 8 seconds, every scenario and
# contender (scenario.sh, contenders.sh), docs/ for the report. Raw
# results stay in build/lab/results/. Exits non-zero if any run failed
# (the report says which) or the lab could not come up (the failing
# daemon's log tail is printed).
set -u
cd "$(dirname "$0")/../.."
export CASLAB=caslab CASLAB_I=1
source scripts/lab/lab.sh

args="$*"
rounds=2 phases=8,15,8 out_dir=docs
scenarios=$(IFS=,; echo "${CL_SCENARIOS[*]}")
contenders=$(IFS=,; echo "${CL_CONTENDERS[*]}")
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--phases) phases=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--contenders) contenders=$2; shift ;;
	--out-dir) out_dir=$2; shift ;;
	*) echo "usage: $0 [--rounds N] [--phases B,D,A] [--scenarios LIST] [--contenders LIST] [--out-dir DIR]" >&2; exit 2 ;;
	esac
	shift
done
IFS=, read -r before during after <<<"$phases"
IFS=, read -r -a scenario_list <<<"$scenarios"
IFS=, read -r -a contender_list <<<"$contenders"
RESULTS=$CL_ROOT/build/lab/results
command_line="sudo make lab${args:+ LAB_ARGS=\"$args\"}"

pkg_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null; }

record_environment() {
	{
		printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
		printf 'kernel\t%s\n' "$(uname -r)"
		printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
		printf 'cpu\t%s\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
		printf 'cpus\t%s\n' "$(nproc)"
		printf 'memory\t%s\n' "$(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
		printf 'virtualization\t%s\n' "$(lscpu | sed -n 's/^Hypervisor vendor: *//p')"
		printf 'commit\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
		printf 'casshield\t%s\n' "$("$CASSHIELD" --version 2>/dev/null | head -n1)"
		printf 'packages\tsogo %s, sogo-activesync %s, nginx %s, postgresql-15 %s, dovecot-imapd %s, memcached %s, prometheus %s, nftables %s\n' \
			"$(pkg_version sogo)" "$(pkg_version sogo-activesync)" "$(pkg_version nginx)" \
			"$(pkg_version postgresql-15)" "$(pkg_version dovecot-imapd)" "$(pkg_version memcached)" \
			"$(pkg_version prometheus)" "$(pkg_version nftables)"
		printf 'rounds\t%s\n' "$rounds"
		printf 'phases\t%s\n' "$phases"
		printf 'devices\t%s\n' "$(tr , '\n' <<<"$CL_USERS" | wc -l)"
		printf 'rate\t%s\n' "$CL_RATE"
		printf 'heartbeat\t%s\n' "$CL_HEARTBEAT"
		printf 'workers\t%s\n' "$CL_SOGO_WORKERS"
		printf 'cas_cpu\t%s\n' "$CL_CAS_CPU"
		printf 'gen_cpu\t%s\n' "$CL_GEN_CPU"
		printf 'command\t%s\n' "$command_line"
		# What else the machine was doing when the run began: the report
		# calls the machine quiet only on this reading.
		printf 'load_before\t%s\n' "$(cut -d' ' -f1 /proc/loadavg)"
	} >"$RESULTS/environment.tsv"
}

record_commands() {
	local s c
	{
		for s in "${scenario_list[@]}"; do
			[ "$s" = baseline ] && continue
			printf 'flood\t%s\t%s\n' "$s" "$(cl_flood_command "$s" "$during")"
		done
		printf 'devices\t%s\n' "ip netns exec $CL_NS_DEV python3 scripts/lab/eas_client.py load --url https://$CL_PXFRONT4/Microsoft-Server-ActiveSync --sni $CL_PX_NAME --ca CA --users $CL_USERS --password PW --rate $CL_RATE --heartbeat $CL_HEARTBEAT --out eas.jsonl"
		printf 'rogue\t%s\n' "ip netns exec $CL_NS_RG python3 scripts/lab/eas_client.py rogue --url https://$CL_CAS4/Microsoft-Server-ActiveSync --sni $CL_CAS_NAME --ca CA --user ${CL_USERS%%,*} --password PW --http80 $CL_CAS4 --rate 2 --timeout 2"
		printf 'new connections\t%s\n' "ip netns exec $CL_NS_PX python3 scripts/lab/eas_client.py rogue --url https://$CL_CAS4/Microsoft-Server-ActiveSync --sni $CL_CAS_NAME --ca CA --user ${CL_USERS##*,} --password PW --bind PROXY-SOURCE --options-only --parallel --rate 2 --timeout 10"
		printf 'casshield\t%s\n' "taskset -c $CL_CAS_CPU casshield run --config casshield.yaml --detach-on-exit"
		printf 'casshield-synproxy\t%s\n' "taskset -c $CL_CAS_CPU casshield run --config casshield.yaml --detach-on-exit (the file with synproxy: true)"
	} >"$RESULTS/commands.tsv"
	for c in "${contender_list[@]}"; do
		cl_contender_up "$c" >/dev/null && cl_contender_describe "$c" >"$RESULTS/setup-$c.txt" 2>&1
		cl_contender_down "$c"
	done
}

mkdir -p "$RESULTS"
rm -rf "${RESULTS:?}"/*
caslab_traps
record_environment
began=$SECONDS
caslab_up || exit 1
printf 'lab_up_s\t%s\n' "$((SECONDS - began))" >>"$RESULTS/environment.tsv"
record_commands
failed=()
for round in $(seq "$rounds"); do
	for scenario in "${scenario_list[@]}"; do
		# Contenders in turn; each round starts one further along.
		n=${#contender_list[@]}
		for i in $(seq 0 $((n - 1))); do
			contender=${contender_list[$(((i + round - 1) % n))]}
			cl_log "round $round/$rounds: $scenario x $contender"
			if ! cl_run "$scenario" "$contender" "$RESULTS/r$round-$scenario-$contender" "$before" "$during" "$after"; then
				failed+=("r$round-$scenario-$contender")
				echo "r$round-$scenario-$contender" >>"$RESULTS/failed.txt"
			fi
		done
	done
done
printf 'duration_s\t%s\n' "$((SECONDS - began))" >>"$RESULTS/environment.tsv"
caslab_down
trap - EXIT
mkdir -p "$out_dir"
"$CL_PY" scripts/lab/report.py "$RESULTS" "$out_dir/lab.md" "$out_dir/lab.png" || exit 1
cl_log "report: $out_dir/lab.md ($((SECONDS - began)) s)"
if [ ${#failed[@]} -gt 0 ]; then
	cl_fail "failed runs: ${failed[*]}"
	exit 1
fi
