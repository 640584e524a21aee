#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - every benchmark of casshield in one run (`make bench`), then the
# report: docs/benchmarks.md and docs/benchmarks.png. Never pass/fail on a
# figure; it fails only when a measurement cannot be trusted (a receiver
# that did not count every frame offered) or cannot be taken.
#
#   scripts/bench/run.sh [--smoke] [--out-dir DIR] [--sections LIST]
#
#   --smoke      seconds-long versions of everything (the `make check` smoke
#                test); report in build/bench/smoke/ unless --out-dir
#   --out-dir    where benchmarks.md and benchmarks.png go (default docs/)
#   --sections   comma-separated subset of: paths,droprate,rules,sources,memory,
#                metrics,synproxy. A partial run replaces only its sections' raw
#                results: the report keeps the others' from the run that last
#                measured them, and says which sections were re-measured when.
#
# Sections:
#   paths     ns/packet per path through BPF_PROG_TEST_RUN (scripts/bench/bench_paths)
#   droprate  Mpps on veth, live frames, every contender alternated (contenders.sh)
#   rules     ns/packet with 1 .. 1M allow rules (scripts/bench/bench_rules)
#   sources   Mpps and program ns/packet with 1 .. 1M flooding sources
#   memory    rule maps' kernel memory per rule at 1M rules; the CLI's peak RSS
#   metrics   exporter scrape time with 10k rules (scripts/bench/metrics.sh)
#   synproxy  SYN-ACKs/s of the SYN proxy in XDP vs netfilter's SYNPROXY alone,
#             and the ns the switch adds (scripts/bench/synproxy.sh)
# Raw results stay in build/bench/results/ (build/bench/smoke/results/).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH_BIN=$ROOT/build/bench
export CASSHIELD=${CASSHIELD:-$ROOT/build/casshield}
XDP_FILTER_OBJ=

smoke=0
out_dir=
ALL_SECTIONS=paths,droprate,rules,sources,memory,metrics,synproxy
sections=$ALL_SECTIONS
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--out-dir) out_dir=$2; shift ;;
	--sections) sections=$2; shift ;;
	*) echo "usage: $0 [--smoke] [--out-dir DIR] [--sections LIST]" >&2; exit 2 ;;
	esac
	shift
done

if [ "$smoke" -eq 1 ]; then
	RESULTS=$ROOT/build/bench/smoke/results
	out_dir=${out_dir:-$ROOT/build/bench/smoke}
	PATH_REPEAT=10000 PATH_ROUNDS=1
	DROP_FRAMES=20000 DROP_WARMUP=2000 DROP_ROUNDS=1
	DROP_VARIANTS=(v4_syn_1)
	RULE_COUNTS=1,1000 RULE_REPEAT=10000 RULE_ROUNDS=1
	SRC_COUNTS=(1 1024) SRC_FRAMES=20000 SRC_ROUNDS=1 SRC_RULES=1000
	MEM_RULES=10000 MEM_SETS=(ipv4)
	METRICS_ARGS=(1000 5)
	SYN_FRAMES=20000 SYN_WARMUP=2000 SYN_ROUNDS=1 SYN_SINGLES=2000
else
	RESULTS=$ROOT/build/bench/results
	out_dir=${out_dir:-$ROOT/docs}
	PATH_REPEAT=1000000 PATH_ROUNDS=7
	DROP_FRAMES=1000000 DROP_WARMUP=100000 DROP_ROUNDS=7
	DROP_VARIANTS=(v4_syn_1 v4_syn_256 v6_syn_1)
	RULE_COUNTS=1,100,10000,100000,1000000 RULE_REPEAT=1000000 RULE_ROUNDS=5
	SRC_COUNTS=(1 1024 65536 1048576) SRC_FRAMES=2000000 SRC_ROUNDS=3 SRC_RULES=100000
	MEM_RULES=1000000 MEM_SETS=(ipv4 mixed)
	METRICS_ARGS=(10000 50)
	SYN_FRAMES=1000000 SYN_WARMUP=100000 SYN_ROUNDS=7 SYN_SINGLES=100000
fi
RULES_FILE=$RESULTS/rules-mixed.txt

# Floods: frames from sources no rule allows, to the protected port.
declare -A DROP_VARIANT_ARGS=(
	[v4_syn_1]="--family 4 --kind syn --src 203.0.113.7"
	[v4_syn_256]="--family 4 --kind syn --src 203.0.113.0 --sources 256 --random"
	[v6_syn_1]="--family 6 --kind syn --src 2001:db8:bad::7"
)
# The scaling floods come from 10.240.0.0/12, which gen_rules never covers.
SRC_FLOOD_BASE=10.240.0.0

. "$ROOT/scripts/bench/lab.sh"
. "$ROOT/scripts/bench/contenders.sh"
. "$ROOT/scripts/bench/synproxy.sh"

log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
want() { [[ ",$sections," == *",$1,"* ]]; }
# The commands of the run, as the report shows them (one line each).
note_cmd() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS/commands.tsv"; }

# Read once the lock is held: another run may have bpf_stats on for now.
BPF_STATS_BEFORE=
cleanup() {
	contender_down_all
	synproxy_cleanup
	bench_lab_down
	if [ -n "$BPF_STATS_BEFORE" ]; then sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_BEFORE"; fi
}

preflight() {
	[ "$(id -u)" -eq 0 ] || die "run as root: the benchmarks load XDP programs and build a veth pair"
	local tool
	for tool in bpftool nft iptables ip6tables xdp-filter jq python3 gnuplot; do
		command -v "$tool" >/dev/null || die "$tool is missing: sudo scripts/install-deps.sh"
	done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	# One run at a time: two would share the veth pair and the CPUs. A
	# smoke run (make check) waits for a full one to finish.
	exec 9>/run/casshield-bench.lock
	if ! flock -n 9; then
		log "waiting for another benchmark run (/run/casshield-bench.lock)"
		flock -w 900 9 || die "another benchmark run still holds /run/casshield-bench.lock after 15 minutes"
	fi
	BPF_STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
	make -s bench-bins
	# xdp-filter's BPF objects: Debian's libxdp1 puts them in the multiarch
	# directory; other builds use /usr/lib/bpf or /usr/local/lib/bpf.
	local dir
	for dir in "/usr/lib/$(uname -m)-linux-gnu/bpf" /usr/lib/bpf /usr/local/lib/bpf /usr/share/xdp-tools; do
		if [ -e "$dir/xdpfilt_dny_ip.o" ]; then XDP_FILTER_OBJ=$dir/xdpfilt_dny_ip.o; break; fi
	done
	[ -n "$XDP_FILTER_OBJ" ] || die "xdp-filter's xdpfilt_dny_ip.o not found (package xdp-tools/libxdp1)"
}

commit_text() {
	echo "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
}

record_environment() {
	local env=$RESULTS/environment.tsv
	{
		printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
		printf 'mode\t%s\n' "$([ "$smoke" -eq 1 ] && echo smoke || echo full)"
		printf 'kernel\t%s\n' "$(uname -r)"
		printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
		printf 'cpu\t%s\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
		printf 'cpus\t%s\n' "$(nproc)"
		printf 'memory\t%s\n' "$(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
		printf 'virtualization\t%s\n' "$(systemd-detect-virt 2>/dev/null || lscpu | sed -n 's/^Hypervisor vendor: *//p')"
		printf 'clang\t%s\n' "$(clang --version | head -n1)"
		printf 'casshield\t%s\n' "$("$CASSHIELD" --version 2>/dev/null | head -n1)"
		printf 'commit\t%s\n' "$(commit_text)"
		printf 'xdp-tools\t%s\n' "$(dpkg-query -W -f '${Version}' xdp-tools 2>/dev/null)"
		printf 'nftables\t%s\n' "$(nft --version)"
		printf 'iptables\t%s\n' "$(iptables -V)"
		printf 'xdp_filter_obj\t%s\n' "$XDP_FILTER_OBJ"
		printf 'bench_cpu\t%s\n' "$BENCH_CPU"
		printf 'path_repeat\t%s\n' "$PATH_REPEAT"
		printf 'sources_rules\t%s\n' "$SRC_RULES"
	} >"$env"
}

section_paths() {
	log "1/7 ns/packet per path (BPF_PROG_TEST_RUN, repeat $PATH_REPEAT, $PATH_ROUNDS rounds)"
	local cmd=("$BENCH_BIN/bench_paths" --repeat "$PATH_REPEAT" --rounds "$PATH_ROUNDS" --cpu "$BENCH_CPU" --xdp-filter "$XDP_FILTER_OBJ")
	note_cmd paths "${cmd[*]#"$ROOT/"}"
	"${cmd[@]}" >"$RESULTS/paths.tsv"
}

# measure_flood TSV LABEL... -- CONTENDER FRAMES GEN-ARGS...: warm up, then
# one timed flood; appends LABEL..., frames, ns, Mpps, the receiver's
# seen/dropped deltas, "ok" or what went missing, and (with bpf_stats on)
# the attached program's ns per run.
measure_flood() {
	local tsv=$1 labels=() contender frames seen0 dropped0 seen1 dropped1 out check
	local prog_id= runs0=0 time0=0 runs1=0 time1=0 prog_ns=-
	shift
	while [ "$1" != -- ]; do labels+=("$1"); shift; done
	shift
	contender=$1 frames=$2
	shift 2
	bench_send "$DROP_WARMUP" "$@" >/dev/null
	read -r seen0 dropped0 < <(contender_counts "$contender")
	if [ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ]; then
		prog_id=$(bench_xdp_prog_id)
		read -r runs0 time0 < <(bench_prog_runtime "$prog_id")
	fi
	out=$(bench_send "$frames" "$@")
	read -r seen1 dropped1 < <(contender_counts "$contender")
	if [ -n "$prog_id" ]; then
		read -r runs1 time1 < <(bench_prog_runtime "$prog_id")
		[ "$runs1" -gt "$runs0" ] && prog_ns=$(awk -v t=$((time1 - time0)) -v n=$((runs1 - runs0)) 'BEGIN { printf "%.1f", t / n }')
	fi
	local sent ns mpps
	sent=$(sed -nE 's/.*frames=([0-9]+).*/\1/p' <<<"$out")
	ns=$(sed -nE 's/.*ns=([0-9]+).*/\1/p' <<<"$out")
	mpps=$(sed -nE 's/.*mpps=([0-9.]+).*/\1/p' <<<"$out")
	seen=$((seen1 - seen0)) dropped=$((dropped1 - dropped0))
	if [ "$seen" -ne "$sent" ]; then
		check="lost_$((sent - seen))"
	elif [ "$dropped" -ne "$sent" ]; then
		check="not_dropped_$((sent - dropped))"
	else
		check=ok
	fi
	[ "$check" = ok ] || log "  $contender: offered $sent frames, the receiver saw $seen and dropped $dropped"
	printf '%s\t' "${labels[@]}" >>"$tsv"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$contender" "$sent" "$ns" "$mpps" "$seen" "$dropped" "$check" "$prog_ns" >>"$tsv"
}

section_droprate() {
	local tsv=$RESULTS/droprate.tsv variant round contender args
	log "2/7 drop rate on veth: ${#BENCH_CONTENDERS[@]} contenders x ${#DROP_VARIANTS[@]} floods x $DROP_ROUNDS rounds, $DROP_FRAMES frames each"
	printf 'variant\tround\tcontender\tframes\tns\tmpps\tseen\tdropped\tcheck\tprog_ns\n' >"$tsv"
	note_cmd droprate "build/bench/gen_live -i $BENCH_GEN --dst-mac RX-MAC --cpu $BENCH_CPU --frames $DROP_FRAMES ${DROP_VARIANT_ARGS[v4_syn_1]}"
	for variant in "${DROP_VARIANTS[@]}"; do
		read -ra args <<<"${DROP_VARIANT_ARGS[$variant]}"
		for round in $(seq "$DROP_ROUNDS"); do
			for contender in "${BENCH_CONTENDERS[@]}"; do
				contender_up "$contender" >/dev/null
				if [ ! -e "$RESULTS/setup-$contender.txt" ]; then
					contender_describe "$contender" >"$RESULTS/setup-$contender.txt"
				fi
				measure_flood "$tsv" "$variant" "$round" -- "$contender" "$DROP_FRAMES" "${args[@]}"
				contender_down "$contender"
			done
		done
	done
}

ensure_rules_file() {
	local count=$1
	[ -s "$RULES_FILE" ] && [ "$(wc -l <"$RULES_FILE")" -ge "$count" ] && return 0
	"$BENCH_BIN/gen_rules" "$count" >"$RULES_FILE"
}

section_rules() {
	local max=${RULE_COUNTS##*,}
	log "3/7 ns/packet with $RULE_COUNTS allow rules"
	ensure_rules_file "$max"
	note_cmd rules "build/bench/gen_rules $max > rules-mixed.txt"
	local cmd=("$BENCH_BIN/bench_rules" --file "$RULES_FILE" --counts "$RULE_COUNTS" --repeat "$RULE_REPEAT" --rounds "$RULE_ROUNDS" --cpu "$BENCH_CPU")
	note_cmd rules "${cmd[*]#"$ROOT/"}"
	"${cmd[@]}" >"$RESULTS/rules.tsv"
}

section_sources() {
	local tsv=$RESULTS/sources.tsv round contender sources
	local contenders=(shield xdp_drop xdp_filter)
	log "4/7 floods from ${SRC_COUNTS[*]} sources, the shield holding $SRC_RULES rules (bpf_stats on)"
	ensure_rules_file "$SRC_RULES"
	head -n "$SRC_RULES" "$RULES_FILE" >"$RESULTS/rules-sources.txt"
	printf 'sources\tround\tcontender\tframes\tns\tmpps\tseen\tdropped\tcheck\tprog_ns\n' >"$tsv"
	note_cmd sources "sysctl kernel.bpf_stats_enabled=1; casshield allow add -i $BENCH_RX --file rules-sources.txt ($SRC_RULES rules)"
	note_cmd sources "build/bench/gen_live -i $BENCH_GEN --dst-mac RX-MAC --cpu $BENCH_CPU --frames $SRC_FRAMES --family 4 --kind syn --src $SRC_FLOOD_BASE --sources N --random"
	sysctl -qw kernel.bpf_stats_enabled=1
	for round in $(seq "$SRC_ROUNDS"); do
		for contender in "${contenders[@]}"; do
			BENCH_SHIELD_RULES=$RESULTS/rules-sources.txt BENCH_SHIELD_MAX_RULES=$((SRC_RULES + 64)) \
				contender_up "$contender" >/dev/null
			for sources in "${SRC_COUNTS[@]}"; do
				measure_flood "$tsv" "$sources" "$round" -- "$contender" "$SRC_FRAMES" \
					--family 4 --kind syn --src "$SRC_FLOOD_BASE" --sources "$sources" --random
			done
			contender_down "$contender"
		done
	done
	sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_BEFORE"
}

# rule_maps_memlock SET PHASE: every pinned map of the shield sized by the
# rule count (max_entries == max_rules), with bpftool's memlock figure.
rule_maps_memlock() {
	local max_rules
	max_rules=$("$CASSHIELD" status -i "$BENCH_RX" --json | jq '.max_rules')
	bpftool -j map show | jq -r --argjson max "$max_rules" --arg set "$1" --arg phase "$2" \
		--argjson ids "$(for pin in /sys/fs/bpf/casshield/"$BENCH_RX"/*; do bpftool -j map show pinned "$pin" 2>/dev/null | jq '.id'; done | jq -s .)" \
		'.[] | select(.id as $id | $ids | index($id)) | select(.max_entries == $max) |
		 "map\t\($set)\t\($phase)\t\(.name)\t\(.type)\t\(.max_entries)\t\(.bytes_memlock)"'
}

section_memory() {
	local tsv=$RESULTS/memory.tsv set file
	log "5/7 memory: ${MEM_SETS[*]} rule sets of $MEM_RULES rules"
	: >"$tsv"
	contender_down shield # a section that failed may have left it
	for set in "${MEM_SETS[@]}"; do
		file=$RESULTS/rules-memory-$set.txt
		if [ "$set" = ipv4 ]; then
			"$BENCH_BIN/gen_rules" "$MEM_RULES" --ipv4-only >"$file"
		else
			"$BENCH_BIN/gen_rules" "$MEM_RULES" >"$file"
		fi
		"$CASSHIELD" load "$BENCH_RX" --ports 443 --max-rules "$MEM_RULES" >/dev/null
		rule_maps_memlock "$set" empty >>"$tsv"
		# Peak RSS of the CLI alone: the rusage of its child, from python.
		python3 - "$CASSHIELD" allow add -i "$BENCH_RX" --file "$file" <<-'PY' | sed "s/^/load\t$set\t$MEM_RULES\t/" >>"$tsv"
		import resource, subprocess, sys, time
		start = time.monotonic()
		done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
		elapsed = time.monotonic() - start
		if done.returncode:
		    sys.exit("bench: allow add --file failed with status %d" % done.returncode)
		peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
		print("%.2f\t%d" % (elapsed, peak_kib))
		PY
		rule_maps_memlock "$set" loaded >>"$tsv"
		printf 'status\t%s\t%s\n' "$set" "$("$CASSHIELD" status -i "$BENCH_RX" --json | jq -c '.rules')" >>"$tsv"
		"$CASSHIELD" unload "$BENCH_RX" >/dev/null
	done
	note_cmd memory "build/bench/gen_rules $MEM_RULES --ipv4-only > rules.txt; casshield load $BENCH_RX --ports 443 --max-rules $MEM_RULES; casshield allow add -i $BENCH_RX --file rules.txt; bpftool map show"
}

section_metrics() {
	log "6/7 exporter scrape time (scripts/bench/metrics.sh ${METRICS_ARGS[*]})"
	note_cmd metrics "scripts/bench/metrics.sh ${METRICS_ARGS[*]}"
	scripts/bench/metrics.sh "${METRICS_ARGS[@]}" >"$RESULTS/metrics.txt" 2>&1
}

# run_section NAME: one section in a subshell, so that a failure stops it
# (set -e holds there) but not the others, nor the report.
failed_sections=()
run_section() {
	want "$1" || return 0
	local began=$SECONDS status
	set +e
	(set -e; "section_$1")
	status=$?
	set -e
	printf 'seconds_%s\t%s\n' "$1" "$((SECONDS - began))" >>"$RESULTS/environment.tsv"
	if [ "$status" -ne 0 ]; then
		log "section $1 failed (status $status); the report says so"
		failed_sections+=("$1")
		printf '%s\t%s\n' "$1" "$status" >>"$RESULTS/failed.tsv"
	fi
}

# The raw results of a section in $RESULTS, as globs.
section_results() {
	case $1 in
	droprate) echo "droprate.tsv setup-*.txt" ;;
	sources) echo "sources.tsv rules-sources.txt" ;;
	memory) echo "memory.tsv rules-memory-*.txt" ;;
	metrics) echo "metrics.txt" ;;
	synproxy) echo "synproxy.tsv synproxy_paths.tsv synproxy-*" ;;
	*) echo "$1.tsv" ;;
	esac
}

# drop_rows FILE KEY: FILE without the lines whose first field is KEY.
drop_rows() {
	[ -e "$1" ] || return 0
	awk -F'\t' -v k="$2" '$1 != k' "$1" >"$1.new" && mv "$1.new" "$1"
}

all_wanted() {
	local section
	for section in ${ALL_SECTIONS//,/ }; do want "$section" || return 1; done
}

# A run of every section starts from nothing. A partial run with an
# earlier run's results at hand replaces only its sections' raw results,
# commands and timings, and keeps the earlier environment: the machine
# and commit the other sections' figures come from (record_rerun adds its
# own). Without earlier results it is a run of its sections alone.
partial=0
prepare_results() {
	local section glob
	mkdir -p "$RESULTS" "$out_dir"
	rm -rf "$RESULTS/plot"
	if all_wanted || [ ! -s "$RESULTS/environment.tsv" ]; then
		rm -rf "$RESULTS"/*.tsv "$RESULTS"/setup-*.txt "$RESULTS/metrics.txt" "$RESULTS"/synproxy-*
		return 0
	fi
	partial=1
	for section in ${sections//,/ }; do
		for glob in $(section_results "$section"); do
			# shellcheck disable=SC2086 # a glob: unquoted on purpose
			rm -f "$RESULTS"/$glob
		done
		drop_rows "$RESULTS/commands.tsv" "$section"
		drop_rows "$RESULTS/failed.tsv" "$section"
		drop_rows "$RESULTS/environment.tsv" "seconds_$section"
		drop_rows "$RESULTS/environment.tsv" "rerun_$section"
	done
}

# When, on what and by which command a partial run measured its sections.
record_rerun() {
	local section
	for section in ${sections//,/ }; do
		# shellcheck disable=SC2016 # backquotes: markdown, in the report
		printf 'rerun_%s\t%s, kernel %s, commit %s, by `%s`\n' "$section" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
			"$(uname -r)" "$(commit_text)" "$(run_line)" >>"$RESULTS/environment.tsv"
	done
}

run_line() {
	local script=scripts/bench/run.sh opts=
	[ "$smoke" -eq 0 ] || opts+=" --smoke"
	[ "$partial" -eq 0 ] || opts+=" --sections $sections"
	if [ "$smoke" -eq 1 ]; then
		echo "$script$opts"
	elif [ "$partial" -eq 1 ]; then
		echo "make bench BENCH_ARGS=\"${opts# }\"  ($script$opts)"
	else
		echo "make bench  ($script)"
	fi
}

for section in ${sections//,/ }; do
	[[ ",$ALL_SECTIONS," == *",$section,"* ]] || { echo "$0: no section $section (sections: $ALL_SECTIONS)" >&2; exit 2; }
done
preflight
prepare_results
trap cleanup EXIT
started=$(date +%s)
if [ "$partial" -eq 1 ]; then
	record_rerun
else
	record_environment
	note_cmd run "$(run_line)"
fi
bench_lab_up
for section in ${ALL_SECTIONS//,/ }; do
	run_section "$section"
done
[ "$partial" -eq 1 ] || printf 'duration_s\t%s\n' "$(($(date +%s) - started))" >>"$RESULTS/environment.tsv"
python3 scripts/bench/report.py "$RESULTS" "$out_dir/benchmarks.md" "$out_dir/benchmarks.png"
log "report: ${out_dir#"$ROOT/"}/benchmarks.md ($(($(date +%s) - started)) s)"
if [ ${#failed_sections[@]} -gt 0 ]; then
	die "failed sections: ${failed_sections[*]}"
fi
