#!/bin/sh
# reg-check benchmark (make bench): simulated releases through the whole chain,
# vllm-sim -> llm-query -> score-mcq or lat-stats -> reg-check. It prints how
# many bad releases are caught and how many unchanged ones raise an alert;
# nothing passes or fails on these figures. It exits non-zero only when the
# chain itself fails (a program exits with a status it should not have).
#
# Quality. Synthetic multiple-choice questions (tests/bench/gen-mcq.py) go
# through the task templates (share/tasks/arc.jq, hellaswag.jq, mmlu.jq) into
# loglikelihood request records, one per choice; an answer key for vllm-sim
# is built from them as pipelines/demo.sh builds one. Two sizes:
#   quick suite:  arc_challenge 100, hellaswag 100, mmlu 200 (the first 200
#                 of the test split, which is ordered by subject);
#   full size:    the standard suite's tasks, arc_challenge 1172, hellaswag
#                 10042, mmlu 14042 over its 57 subjects, with BENCH_FULL=1;
#                 by default a tenth of each (117, 1004, 1404, each subject a
#                 tenth of its size).
# A release is served by vllm-sim --answers KEY --accuracy P and seeds that
# decide which items it answers right (vllm-sim(1), Quality model), in two
# regimes, each run over the same candidates (the plan below is drawn per
# size, not per regime) and seeds S (history 1-5, candidates 101 on):
#   independent: every release, history or candidate, with its own --seed S;
#                an item is right iff a draw from (S, item) is below P, so
#                two releases at one P agree on an item only by chance and
#                differ on about 2P(1 - P) of the items (45 % at P 0.65);
#   correlated:  every release with the model's --seed 7 and its own
#                --churn-seed S, with --churn CHURN (default 0.1): the items
#                that a draw from (S, item) puts in the churn share CHURN
#                take their right-or-wrong draw from S, the others from 7.
#                A release re-answers that share of the items, so two releases
#                at one P differ on about (2 CHURN - CHURN^2) x 2P(1 - P) of
#                them (8.6 % at P 0.65, CHURN 0.1), and a release at a lower
#                P loses, on the items neither re-answers, only items the
#                other had right.
# Why two: given the item rows of the candidate and of the history's runs,
# the default rule tests accuracy with the paired z-test (reg-check(1), The
# tests), whose power depends on how many answers a release keeps (items
# every run answers alike weigh nothing); real releases of one model keep
# most of theirs, and the independent regime is the test's worst case. Under
# each regime's table, "differ" is the share of items on which the history's
# two newest runs disagree.
# Why every history run's items: against one run's items alone (McNemar's
# test) a regime's candidates share that run's luck: where few items differ,
# a run that gained items by chance on its own churn share (churn-seed 5
# gains 8 of the quick suite's 100 arc_challenge items and loses none) makes
# unchanged candidates alert together (8 of 20 did at the quick size), and
# the alert rate reflects that one run more than the test's level. Against
# each item's share right across the 5 runs, one lucky run weighs a fifth.
# A task's accuracy P is its base (arc_challenge 0.55, hellaswag 0.80,
# mmlu 0.65) or lower; one vllm-sim is started per distinct accuracy of the
# release and sent the requests of its tasks (llm-query --loglikelihood -c 64).
# score-mcq writes the metric rows and item rows. The history is 5 unchanged
# releases (seeds 1-5, a day apart); its file holds their metric rows, and the
# item rows of each of them are an --items-baseline. Each candidate release is
# checked with
#   reg-check -H HISTORY --items-baseline ITEMS_1 ... --items-baseline ITEMS_5
#             --items-current ITEMS
# and, beside it, the plain rule (reg-check --rule prd, same inputs; its
# verdict ignores the test). A release is caught (or, when unchanged, raises
# an alert) when reg-check exits 1. Candidates, RELEASES of each (default
# 20), drawn from a fixed seed:
#   every task lower: one d uniform in [10 %, 30 %] per release, every task at
#                     base x (1 - d);
#   one task lower:   one task drawn uniformly at base x 0.85, the others at
#                     their base;
#   unchanged:        every task at its base.
#
# Serving. vllm-sim --ttft-ms 50 --itl-ms 10 --jitter 0.2, each release with
# its own seed; 200 ds-synth prompts (128 words in, 16 tokens out, ignore_eos)
# sent by llm-query --stream -c 16; lat-stats -s serving writes the rows
# (perf.serving.ttft_ms.p95, perf.serving.tpot_ms.mean, ...). The history is 5
# unchanged runs; candidates, RELEASES of each: TTFT 20 % slower (--ttft-ms
# 60), TPOT 20 % slower (--itl-ms 12), unchanged. Caught or alerted as above,
# reg-check -H HISTORY ROWS and the plain rule.
#
# Under a row, "red by" counts the rows that turned its releases red under
# the default rule (the findings of reg-check's release row), and for the
# one-task scenario how many releases were caught by the task lowered.
# Until reg-check has --rule, it is the plain rule itself, and both columns
# show it. Last, as before: reg-check's speed over a 200-metric x 1000-run
# history, against jq computing the same rolling means.
#
# The default run takes 12 to 14 minutes on a 2-core machine (691 s and
# 811 s measured).
# Environment: RELEASES (default 20), CHURN (default 0.1, the correlated
# regime's --churn), REGIMES (default "independent correlated"; one of them
# alone halves the quality part, none leaves the serving part), BENCH_FULL=1
# (full size), VE_BIN.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
BIN=${VE_BIN:-$root/bin}
VLLM_EVAL_SHARE=$root/share
export VLLM_EVAL_SHARE
RELEASES=${RELEASES:-20}
# The quality regimes to run: independent, correlated or both (the default).
REGIMES=${REGIMES-independent correlated}
BENCH_FULL=${BENCH_FULL:-0}
CHURN=${CHURN:-0.1}
model_seed=7
prog=reg-check.sh
t0=$(date +%s)
tmp=$(mktemp -d)
sim_pid=
cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "$prog: $*" >&2
	exit 70
}

case $RELEASES in '' | *[!0-9]* | 0) die "RELEASES must be a whole number above 0, got '$RELEASES'" ;; esac
case $CHURN in
'' | *[!0-9.]* | *.*.* | .) die "CHURN must be a share from 0 to 1, got '$CHURN'" ;;
esac
awk -v f="$CHURN" 'BEGIN { exit !(f <= 1) }' || die "CHURN must be a share from 0 to 1, got '$CHURN'"
if "$BIN/reg-check" --help 2>&1 | grep -q -- --rule; then
	plain='--rule prd'
	note=
else
	plain=
	note='this reg-check has no --rule: it is the plain rule, and both columns show it'
fi

# start_sim OPTIONS...: a vllm-sim on a free loopback port; sets url.
start_sim() {
	rm -f "$tmp/port"
	"$BIN/vllm-sim" -q -p 0 --port-file "$tmp/port" "$@" > /dev/null 2> "$tmp/sim.err" &
	sim_pid=$!
	n=200
	while [ ! -s "$tmp/port" ]; do
		kill -0 "$sim_pid" 2> /dev/null || die "vllm-sim did not start: $(cat "$tmp/sim.err")"
		n=$((n - 1))
		[ $n -gt 0 ] || die "vllm-sim did not start within 10 s"
		sleep 0.05
	done
	url=http://127.0.0.1:$(cat "$tmp/port")
}

stop_sim() {
	kill "$sim_pid"
	wait "$sim_pid" || die "vllm-sim exited $? when stopped"
	sim_pid=
}

# verdict NAME ARGS...: reg-check ARGS; prints 1 for an alert, 0 for none.
verdict() {
	name=$1
	shift
	rc=0
	"$BIN/reg-check" -q "$@" < /dev/null > "$tmp/verdicts.jsonl" || rc=$?
	[ $rc -le 1 ] || die "$name: reg-check exited $rc: the benchmark stops"
	echo $rc
}

# red_by KIND: the rows that turned the release red under the default rule
# (its release row's findings, where reg-check writes one), to red.KIND.
red_by() {
	head -n 1 "$tmp/verdicts.jsonl" | jq -r 'select(.metric == "release") | .findings[]
		| .metric + ((.labels // {}) | del(.task, .scenario) | with_entries(select(.value != "all"))
		| if length > 0 then "{" + (to_entries | map("\(.key)=\(.value)") | join(",")) + "}" else "" end)' \
		>> "$tmp/red.$1" || die "jq cannot read the release row of $tmp/verdicts.jsonl"
}

# red_line KIND: the rows that turned releases red, most frequent first.
red_line() {
	[ -s "$tmp/red.$1" ] || return 0
	printf '    red by (default rule):'
	sort "$tmp/red.$1" | uniq -c | sort -k1,1nr -k2 | head -n 8 |
		awk '{ printf "%s %s x%d", sep, $2, $1; sep = "," } END { print "" }'
}

pct() { awk -v k="$1" -v n="$2" 'BEGIN { printf "%d/%d = %5.1f %%", k, n, k * 100 / n }'; }

# plan SIZE: one line per release, "KIND SEED ACC_ARC ACC_HELLASWAG ACC_MMLU
# DROPPED": the 5 history runs (kind history), then RELEASES of each scenario.
plan() {
	python3 - "$1" "$RELEASES" <<'PY'
import random, sys
size, n = sys.argv[1], int(sys.argv[2])
base = (0.55, 0.80, 0.65)  # arc_challenge, hellaswag, mmlu
tasks = ("arc_challenge", "hellaswag", "mmlu")
rng = random.Random("reg-check bench " + size)
def line(kind, seed, accs, dropped="-"):
    print(kind, seed, " ".join("%.6f" % a for a in accs), dropped)
for i in range(5):
    line("history", i + 1, base)
seed = 100
for kind in ("all", "one", "same"):
    for i in range(n):
        seed += 1
        if kind == "all":
            d = rng.uniform(0.10, 0.30)
            line(kind, seed, [b * (1 - d) for b in base])
        elif kind == "one":
            t = rng.randrange(3)
            line(kind, seed, [b * (0.85 if j == t else 1) for j, b in enumerate(base)], tasks[t])
        else:
            line(kind, seed, base)
PY
}

# mcq_data DIR ARC HELLASWAG MMLU: request records per task and the answer key.
mcq_data() {
	python3 tests/bench/gen-mcq.py "$@"
	jq -nc -f share/tasks/arc.jq "$1/arc.jsonl" > "$1/arc_challenge.req"
	jq -nc -f share/tasks/hellaswag.jq "$1/hellaswag.jsonl" > "$1/hellaswag.req"
	jq -nc -f share/tasks/mmlu.jq "$1/mmlu.jsonl" > "$1/mmlu.req"
	cat "$1"/*.req | jq -sc 'group_by(.doc_id)[] | {id: .[0].doc_id,
		match: (.[0].context | split("\n\n") | last),
		choices: map(.continuation[1:]), gold: .[0].gold}' > "$1/key.jsonl"
}

# mcq_release DATA RUN_DIR SEED TS ACC_ARC ACC_HELLASWAG ACC_MMLU: one release
# through vllm-sim, llm-query and score-mcq; RUN_DIR gets metrics.jsonl and
# items.jsonl. SEED is the release's --seed in the independent regime, its
# --churn-seed beside the model's --seed in the correlated one ($regime).
mcq_release() {
	kd=$1 rd=$2 rts=$4
	case $regime in
	independent) seeds="--seed $3" ;;
	correlated) seeds="--seed $model_seed --churn $CHURN --churn-seed $3" ;;
	*) die "no regime '$regime'" ;;
	esac
	shift 4
	set -- "arc_challenge=$1" "hellaswag=$2" "mmlu=$3"
	mkdir -p "$rd"
	for acc in $(for a; do echo "${a#*=}"; done | sort -u); do
		reqs=
		for a; do
			[ "${a#*=}" = "$acc" ] && reqs="$reqs $kd/${a%%=*}.req"
		done
		# shellcheck disable=SC2086 # $seeds is options and their values
		start_sim --answers "$kd/key.jsonl" --accuracy "$acc" $seeds --ttft-ms 0 --itl-ms 0
		# shellcheck disable=SC2086 # the request files, one word each
		cat $reqs | "$BIN/llm-query" -q -e "$url" -m sim-model --loglikelihood -c 64 \
			> "$rd/out.$acc.jsonl" || die "$rd: llm-query exited $?"
		stop_sim
	done
	SOURCE_DATE_EPOCH=$rts "$BIN/score-mcq" -q --run-id "$(basename "$rd")" -i "$rd/items.jsonl" \
		"$rd"/out.*.jsonl < /dev/null > "$rd/metrics.jsonl" || die "$rd: score-mcq exited $?"
	rm -f "$rd"/out.*.jsonl
}

# table_row LABEL KIND: the counts of one scenario, default rule and plain.
table_row() {
	n=$(grep -c "^$2 " "$tmp/results" || true)
	a=$(grep -c "^$2 1 " "$tmp/results" || true)
	b=$(grep -c "^$2 [01] 1" "$tmp/results" || true)
	printf '  %-34s %3d   %16s     %16s\n' "$1" "$n" "$(pct "$a" "$n")" "$(pct "$b" "$n")"
}

table_head() {
	printf '  %-34s %3s   %16s     %s\n' scenario n "default rule" "plain rule (--rule prd)"
}

# differ A B: how many of the items in item rows A and B one answers right and
# the other wrong, "K/N = X %".
differ() {
	jq -r '[.task, .doc_id, .correct] | @tsv' "$1" "$2" |
		awk -F '\t' -v n1="$(wc -l < "$1")" '
			NR <= n1 { right[$1 FS $2] = $3; next }
			($1 FS $2) in right { n++; if (right[$1 FS $2] != $3) k++ }
			END { printf "%d/%d = %.1f %%", k, n, n ? k * 100 / n : 0 }'
}

# quality SIZE_LABEL ARC HELLASWAG MMLU_SPEC: the data of one size, then its
# history, candidates and table in each regime.
quality() {
	label=$1
	data=$tmp/data
	rm -rf "$data"
	mkdir -p "$data"
	mcq_data "$data" "$2" "$3" "$4"
	sizes=$(for t in arc_challenge hellaswag mmlu; do
		printf '%s %s, ' "$t" "$(jq -r .doc_id "$data/$t.req" | uniq | wc -l)"
	done)
	plan "$label" > "$tmp/plan"
	echo "$label: ${sizes%, } items; a history of 5 runs; $RELEASES releases per scenario"
	for regime in $REGIMES; do
		quality_regime
	done
}

# quality_regime: the history and candidates of $tmp/plan in $regime, and
# their table.
quality_regime() {
	ts0=$(date +%s)
	rm -rf "$tmp/runs"
	mkdir -p "$tmp/runs"
	: > "$tmp/history.jsonl"
	: > "$tmp/results"
	rm -f "$tmp"/red.*
	h=0
	while read -r kind seed a1 a2 a3 dropped; do
		if [ "$kind" = history ]; then
			h=$((h + 1))
			mcq_release "$data" "$tmp/runs/h$h" "$seed" $((1767225600 + h * 86400)) "$a1" "$a2" "$a3"
			cat "$tmp/runs/h$h/metrics.jsonl" >> "$tmp/history.jsonl"
			continue
		fi
		d=$tmp/runs/$kind-$seed
		mcq_release "$data" "$d" "$seed" 1769904000 "$a1" "$a2" "$a3"
		# every history run's items, so that no one run's luck decides the test
		set -- -H "$tmp/history.jsonl"
		for i in 1 2 3 4 5; do
			set -- "$@" --items-baseline "$tmp/runs/h$i/items.jsonl"
		done
		set -- "$@" --items-current "$d/items.jsonl" "$d/metrics.jsonl"
		v=$(verdict "$label $regime $kind-$seed" "$@")
		[ "$v" = 0 ] || red_by "$kind"
		# shellcheck disable=SC2086 # $plain is one option and its value, or nothing
		p=$(verdict "$label $regime $kind-$seed (plain rule)" $plain "$@")
		echo "$kind $v $p $dropped" >> "$tmp/results"
		rm -rf "$d"
	done < "$tmp/plan"
	case $regime in
	independent) echo "  independent releases (each its own --seed):" ;;
	correlated) echo "  correlated releases (--seed $model_seed, each its own --churn-seed, --churn $CHURN):" ;;
	esac
	echo "  the history's two newest runs differ on $(differ "$tmp/runs/h4/items.jsonl" \
		"$tmp/runs/h5/items.jsonl") of the items ($(($(date +%s) - ts0)) s)"
	table_head
	table_row "every task 10-30 % lower: caught" all
	red_line all
	table_row "one task 15 % lower: caught" one
	red_line one
	printf '    by the task lowered (default rule):'
	for t in arc_challenge hellaswag mmlu; do
		k=$(grep -c "^one 1 [01] $t\$" "$tmp/results" || true)
		m=$(grep -c "^one [01] [01] $t\$" "$tmp/results" || true)
		printf ' %s %d/%d' "$t" "$k" "$m"
	done
	echo
	table_row "unchanged: alerted" same
	red_line same
}

# serve_run RUN_ID SEED TTFT_MS ITL_MS: one serving run; its rows to stdout.
serve_run() {
	start_sim --seed "$2" --ttft-ms "$3" --itl-ms "$4" --jitter 0.2
	"$BIN/llm-query" -q -e "$url" -m sim-model --stream -c 16 "$tmp/prompts.jsonl" \
		> "$tmp/serve.jsonl" || die "$1: llm-query exited $?"
	stop_sim
	"$BIN/lat-stats" -q -f rows -s serving --run-id "$1" "$tmp/serve.jsonl" < /dev/null ||
		die "$1: lat-stats exited $?"
}

# serving: the latency scenarios, history and candidates, and their table.
serving() {
	ts0=$(date +%s)
	"$BIN/ds-synth" -n 200 --input-len 128 --output-len 16 --seed 1 > "$tmp/prompts.jsonl" ||
		die "ds-synth exited $?"
	: > "$tmp/history.jsonl"
	: > "$tmp/results"
	rm -f "$tmp"/red.*
	for h in 1 2 3 4 5; do
		serve_run "serve-h$h" "$h" 50 10 >> "$tmp/history.jsonl"
	done
	seed=100
	for kind in ttft tpot same; do
		case $kind in
		ttft) ttft=60 itl=10 ;;
		tpot) ttft=50 itl=12 ;;
		same) ttft=50 itl=10 ;;
		esac
		i=0
		while [ $i -lt "$RELEASES" ]; do
			i=$((i + 1))
			seed=$((seed + 1))
			serve_run "serve-$kind-$seed" "$seed" "$ttft" "$itl" > "$tmp/rows.jsonl"
			v=$(verdict "serving $kind-$seed" -H "$tmp/history.jsonl" "$tmp/rows.jsonl")
			[ "$v" = 0 ] || red_by "$kind"
			# shellcheck disable=SC2086 # $plain is one option and its value, or nothing
			p=$(verdict "serving $kind-$seed (plain rule)" $plain -H "$tmp/history.jsonl" "$tmp/rows.jsonl")
			echo "$kind $v $p -" >> "$tmp/results"
		done
	done
	echo "serving: vllm-sim --ttft-ms 50 --itl-ms 10 --jitter 0.2, 200 requests of 16 tokens at"
	echo "concurrency 16 per run; a history of 5 runs; $RELEASES releases per scenario" \
		"($(($(date +%s) - ts0)) s)"
	table_head
	table_row "TTFT 20 % slower: caught" ttft
	red_line ttft
	table_row "TPOT 20 % slower: caught" tpot
	red_line tpot
	table_row "unchanged (jitter only): alerted" same
	red_line same
}

echo "simulated releases through vllm-sim, llm-query, score-mcq or lat-stats and reg-check;"
echo "an alert is reg-check's exit status 1"
[ -z "$note" ] || echo "$note"
echo
quality "quick suite" 100 100 first:200
echo
if [ "$BENCH_FULL" = 1 ]; then
	quality "full size" 1172 10042 scale:1
else
	quality "full size at a tenth (BENCH_FULL=1 for the real counts)" 117 1004 scale:0.1
fi
echo
serving
echo
echo "wall time of the simulated releases: $(($(date +%s) - t0)) s"
echo

# Speed: reg-check over a 200-metric x 1000-run history, against jq.
python3 - "$tmp" <<'PY'
import json, random, sys
out = sys.argv[1]
rng = random.Random(20261122)
# speed: 200 metrics x 1000 runs
with open(out + "/big-history.jsonl", "w") as f:
    for r in range(1000):
        for m in range(200):
            f.write(json.dumps({"metric": "t%03d.acc" % m, "value": rng.random(), "run_id": "r%04d" % r,
                                "ts": "2026-01-01T00:00:00Z#%04d" % r}) + "\n")
with open(out + "/big-current.jsonl", "w") as f:
    for m in range(200):
        f.write(json.dumps({"metric": "t%03d.acc" % m, "value": 0.5, "run_id": "now"}) + "\n")
PY
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timeit() {
	python3 -c 'import subprocess, sys, time
t = time.monotonic(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False); print("%.3f" % (time.monotonic() - t))' "$@"
}
echo "speed: 200 metrics x 1000 runs of history (200000 rows), baseline over the last 5 runs; 5 runs each, median seconds"
r=$(for i in 1 2 3 4 5; do timeit "$BIN/reg-check" -H "$tmp/big-history.jsonl" "$tmp/big-current.jsonl"; done | median)
echo "  reg-check: $r s"
# shellcheck disable=SC2016 # a jq program, not shell
r=$(for i in 1 2 3 4 5; do timeit jq -cn --slurpfile h "$tmp/big-history.jsonl" '[inputs] as $c | ($h | group_by(.metric) | map({key: .[0].metric, value: (sort_by(.ts) | .[-5:] | map(.value) | add / length)}) | from_entries) as $b | $c[] | {metric, value, baseline: $b[.metric]}' "$tmp/big-current.jsonl"; done | median)
echo "  reference, jq 1.6 (the same means): $r s"
