#!/usr/bin/env bats
# The documentation's examples, run: every .Bd -literal block of every man
# page's EXAMPLES section and every ```sh block of the README's tour ("A tour
# at the terminal"), as tests/examples.py extracts them, so what the pages
# show cannot drift from what the tools do (jq runs its manual the same way).
#
# Each example runs as bash would run it typed at a terminal, in a scratch
# directory of its page's test (a page's examples build on each other), with
# `set -o pipefail` so that a failing stage of a pipeline counts: every
# command that fails is recorded with its status, and the test says which
# statuses the page leads a reader to expect (reg-check's 1 on a regression,
# diff's 1 on a difference); anything else fails the test, as does stderr
# where none is expected. The environment is what the examples assume:
# MODEL_ENDPOINT is a vllm-sim this file starts (no latency, so load tests
# take seconds, and an answer key for share/data, so scores are exact),
# CLICKHOUSE_URL a private Debian clickhouse-server 18.16, RUN_ID and
# MODEL_TAG set as a run sets them, Teams, S3 and Pushgateway stand-ins
# started by the tests that need them, HOME the scratch directory (for
# ~/.cache), and share/, data/ (the sample data), pipelines/ and bin/ (the
# build under test) linked into it. Input files an example names are made
# from share/data and tests/fixtures before it runs. The README's data
# blocks are used where its examples name them: the answer key it shows is
# the one vllm-sim is given, and the serving table it shows must be
# lat-stats's for the fixture it names.
#
# Three rules keep this honest: an example the runner has not been told
# about fails the test "every example is run here or listed as skipped"
# (ex_skips below lists those that cannot run here, with the reason); every
# change made to an example's text is in ex_substitutions below, with the
# reason, and must still match the text; and after a line that starts
# vllm-sim in the background the runner waits until it answers, as a person
# would before typing the next line.
#
# Integration tests: make test-valgrind leaves this file out (see Makefile).

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server

EX_PY="$VE_ROOT/tests/examples.py"

# Examples that cannot run here: KEY (PAGE#N), how the example begins (the
# coverage test checks it, so a renumbered page cannot skip the wrong one)
# and why, tab-separated. None today: every example runs, against stand-ins
# where it names a service (vLLM, ClickHouse, Teams, S3, a Pushgateway).
ex_skips() {
	cat <<'EOF'
EOF
}

# Every change made to an example before it runs: KEY, the text in the
# example, what runs instead (shell text, expanded when the example runs),
# and why. Tab-separated.
ex_substitutions() {
	cat <<'EOF'
ch-insert.1#1	/var/spool/vllm-eval	spool	a spool directory the test may write
ch-insert.1#2	/var/spool/vllm-eval	spool	the same spool
ds-anon.1#1	/run/secrets/anon-salt	anon-salt	a salt file made by the test
ds-synth.1#1	-n 1000	-n 10	1000 requests at 10/s take 100 s
lat-stats.1#1	-n 200	-n 20	ds-synth measures each prompt with /tokenize: 200 prompts of 512 tokens take 6 s
lat-stats.1#4	vllm bench serve ... --save-result --save-detailed --result-filename r.json	cp "$FIX/lat-stats/vllm-detailed.json" r.json	vLLM's own benchmark needs vLLM and a GPU: a result file it wrote stands in
llm-query.1#1	-n 200	-n 8	200 requests at 8/s take 25 s
vllm-sim.1#3	8001	$EX_PORT1	fixed ports would collide with other tests
vllm-sim.1#3	8002	$EX_PORT2	fixed ports would collide with other tests
vllm-sim.1#4	8000	$EX_PORT1	fixed ports would collide with other tests
vllm-sim.1#4	-n 500	-n 16	eight rounds of 64 streams at 15 ms a token take 25 s; one round shows the same
README#1	-n 200	-n 10	20 rounds of 10 streams of 128 tokens at 10 ms a token take 26 s; one round shows the same
README#4	/run/secrets/anon-salt	anon-salt	a salt file made by the test
README#5	AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…	AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret	placeholders for the credentials of the S3 stand-in
README#5	http://minio:9000	$EX_S3_URL	the S3 stand-in on 127.0.0.1
README#6	/run/secrets/anon-salt	anon-salt	a salt file made by the test
README#7	make	true	the programs are built already (bin/ is the build under test)
README#8	8001	$EX_PORT1	fixed ports would collide with other tests
README#8	8002	$EX_PORT2	fixed ports would collide with other tests
README#9	http://127.0.0.1:8000	$MODEL_ENDPOINT	the simulator this file started
README#10	-n 500	-n 8	500 requests at 8/s take 62 s
README#11	-n 1000	-n 100	ten rounds of 100 streams against a faulty server take 8 s; one shows the same
README#13	-n 200	-n 20	ds-synth measures each prompt with /tokenize: 200 prompts of 512 tokens take 6 s
README#14	vllm-sim --port 8000	vllm-sim --port $EX_PORT1 --ttft-ms 0 --itl-ms 0 --prefill-tps 1000000	a fixed port would collide with other tests; at the default latency the two scenarios take minutes
README#14	127.0.0.1:8000	127.0.0.1:$EX_PORT1	the same port
README#14	-n 50	-n 10	ten prompts a scenario show the same
README#15	http://clickhouse:8123/	$CH_URL	the ClickHouse server this file started
README#15	CLICKHOUSE_USER=vllm_eval	CLICKHOUSE_USER=writer	the test server's user with a password
README#15	CLICKHOUSE_PASSWORD=...	CLICKHOUSE_PASSWORD=s3cret	its password
README#15	/var/spool/vllm-eval	spool	a spool directory the test may write
EOF
}

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	ch_start
	# The model every example reaches through MODEL_ENDPOINT: no latency,
	# and the context of a reasoning model (40960 tokens, as Qwen3's), which
	# score-gen(1)'s AIME example asks for with --max-tokens 32768.
	# It knows the answers of the sample data (share/data) and of the judge
	# cases the test makes from it, as a good model would: scores are 1.
	local port d="$VE_ROOT/share/data"
	{
		# MMLU's loglikelihood requests continue with the letters, as lm-eval's
		jq -c '{match: .question, choices: ["A", "B", "C", "D"], gold: .answer}' "$d/mmlu.test.jsonl"
		jq -c '{match: .question, choices: [.A, .B, .C, .D], gold: (.answer - 1)}' "$d/kmmlu.test.jsonl"
		jq -c '.answerKey as $k | {match: .question, choices: .choices.text, gold: (.choices.label | index($k))}' \
			"$d/arc_challenge.test.jsonl"
		jq -c '{match: .problem, gold: .answer}' "$d/aime.jsonl"
		jq -c '{match: .expected_output, gold: "{\"verdicts\":[{\"verdict\":\"yes\",\"reason\":\"It agrees.\"}]}"}' "$d/judge.jsonl"
		# code-run(1)'s problems: two right programs and one wrong
		cat "$FIX/code-run/lcb.key.jsonl"
	} > "$BATS_FILE_TMPDIR/key.jsonl"
	port=$(ve_free_port)
	vllm-sim -q -p "$port" --ttft-ms 0 --itl-ms 0 --max-model-len 40960 --answers "$BATS_FILE_TMPDIR/key.jsonl" \
		> "$BATS_FILE_TMPDIR/sim.log" 2>&1 3>&- &
	echo $! > "$BATS_FILE_TMPDIR/sim.pid"
	export EX_SIM_URL="http://127.0.0.1:$port"
	ve_wait_http "$EX_SIM_URL/health" 10
}

teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/sim.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
	ch_stop
}

setup() {
	T="$BATS_TEST_TMPDIR"
	EXD="$T/ex"
	W="$T/w"
	mkdir -p "$EXD" "$W"
	cd "$W" || return 1
	ln -s "$VE_ROOT/share" share
	ln -s "$VE_ROOT/share/data" data
	ln -s "$VE_ROOT/pipelines" pipelines
	ln -s "$VE_BIN" bin
	export HOME="$W" MODEL_ENDPOINT="$EX_SIM_URL" CLICKHOUSE_URL="$CH_URL"
	# what a run sets (pipelines/release-eval.sh), and the run before it
	export RUN_ID=2026-11-22T10-00-00Z-ex01 MODEL_TAG=release-2.0 PREV=2026-11-21T10-00-00Z-ex00
	export ARGO_URL=https://argo.example.com/workflows/vllm-eval/ex01 ARGO_WORKFLOW_URL=https://argo.example.com/workflows/vllm-eval/ex01
	unset CLICKHOUSE_USER CLICKHOUSE_PASSWORD TEAMS_WEBHOOK_URL PUSHGATEWAY_URL
	unset S3_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	EX_PIDS=''
}

teardown() {
	local pid
	for pid in $EX_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}

# --- the runner ---------------------------------------------------------

# ex_script KEY: the example as it will run: its text with its
# substitutions made, and a wait after each line that starts vllm-sim in the
# background. Fails on a substitution that no longer matches.
ex_script() {
	local key=$1 text k from to why line logical=''
	text=$(python3 "$EX_PY" show "$key") || return 1
	while IFS=$'\t' read -r k from to why; do
		[ "$k" = "$key" ] || continue
		if [[ $text != *"$from"* ]]; then
			echo "examples.bats: $key: the substitution of '$from' no longer matches the example" >&2
			return 1
		fi
		text=${text//"$from"/"$to"}
	done < <(ex_substitutions)
	while IFS= read -r line; do
		printf '%s\n' "$line"
		logical+="$line"$'\n'
		[[ $line == *\\ ]] && continue
		if [[ $logical =~ \&[[:space:]]*(#.*)?$'\n'$ ]]; then
			if [[ $logical != *vllm-sim* ]]; then
				echo "examples.bats: $key: a background command the runner cannot wait for: $logical" >&2
				return 1
			elif [[ $logical =~ --port-file[[:space:]]+([^[:space:]]+) ]]; then
				printf 'ex_wait_port_file %s\n' "${BASH_REMATCH[1]}"
			elif [[ $logical =~ [[:space:]](-p|--port)[[:space:]]+([^[:space:]]+) ]]; then
				printf 'ex_wait_port %s\n' "${BASH_REMATCH[2]}"
			else
				printf 'ex_wait_port 8000\n' # vllm-sim's default port
			fi
		fi
		logical=''
	done <<< "$text"
}

# What runs before an example: pipefail, the record of failed commands, and
# the waits ex_script inserts (a server that never answers is a failure).
ex_prelude() {
	cat <<'EOF'
set -o pipefail
trap 'echo "$? line $LINENO: $BASH_COMMAND" >> "$EX_FAILS"' ERR
ex_wait_port() {
	local n=100
	until curl -fsS -o /dev/null "http://127.0.0.1:$1/health" 2>/dev/null; do
		n=$((n - 1)); [ $n -gt 0 ] || { echo "example runner: nothing answers on port $1" >&2; return 1; }
		sleep 0.1
	done
}
ex_wait_port_file() {
	local n=100
	until [ -s "$1" ]; do
		n=$((n - 1)); [ $n -gt 0 ] || { echo "example runner: no port in $1" >&2; return 1; }
		sleep 0.1
	done
	ex_wait_port "$(cat "$1")"
}
EOF
}

# ex_run KEY [STATUS...]: runs the example in the scratch directory, in its
# own process group (servers it leaves running are stopped after it), and
# checks that the commands that failed are exactly the ones expected: their
# statuses in order, none by default. Sets output, lines and stderr as bats's
# run does, for the assertions that follow.
ex_run() {
	local key=$1 want got pid
	shift
	want="$*"
	{ ex_prelude && ex_script "$key"; } > "$EXD/$key.sh" || return 1
	export EX_FAILS="$EXD/$key.fails"
	: > "$EX_FAILS"
	setsid bash "$EXD/$key.sh" > "$EXD/$key.out" 2> "$EXD/$key.err" < /dev/null &
	pid=$!
	wait "$pid" || true
	ex_stop_group "$pid"
	output=$(cat "$EXD/$key.out")
	stderr=$(cat "$EXD/$key.err")
	# as bats's run sets it: the lines of the output, empty ones left out
	mapfile -t lines < <(grep -v '^$' "$EXD/$key.out")
	got=$(cut -d' ' -f1 "$EX_FAILS" | paste -sd' ')
	if [ "$got" != "$want" ]; then
		echo "examples.bats: $key: failed commands of $EXD/$key.sh (want statuses '$want'):" >&2
		cat "$EX_FAILS" >&2
		echo "-- stderr:" >&2
		cat "$EXD/$key.err" >&2
		return 1
	fi
}

# ex_ok KEY: ex_run, no command failed and nothing on stderr.
ex_ok() {
	ex_run "$1" || return 1
	if [ -n "$stderr" ]; then
		echo "examples.bats: $1: stderr: $stderr" >&2
		return 1
	fi
}

# Stops what an example left running in its process group, and waits.
ex_stop_group() {
	local n=50
	kill -TERM -- "-$1" 2>/dev/null || return 0
	while kill -0 -- "-$1" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	return 0
}

# --- the environment -----------------------------------------------------

# A Teams webhook stand-in answering 200; sets TEAMS_WEBHOOK_URL. Bodies land
# in $T/hook/body.N.
ex_start_webhook() {
	local port
	port=$(ve_free_port)
	mkdir -p "$T/hook"
	python3 "$FIX/teams-card/webhook.py" "$port" "$T/hook" 200 &
	EX_PIDS+=" $!"
	ve_wait_http "http://127.0.0.1:$port/ready" 10
	export TEAMS_WEBHOOK_URL="http://127.0.0.1:$port/workflows/ex/triggers/manual/paths/invoke"
}

# The database the examples use (vllm_eval) made afresh, with the fixture
# history of tests/fixtures/reg-check (runs r1-r6 of release-1.x) and the
# item rows of $PREV and $RUN_ID: each test sees the same data.
ex_ch_reset() {
	ch_sql "DROP DATABASE IF EXISTS vllm_eval" &&
		ch_schema vllm_eval &&
		ch-insert -q "$FIX/reg-check/history.jsonl" &&
		ch-insert -q -t items --run-id "$PREV" --model-tag release-1.9 \
			--ts 2026-11-21T10:00:00Z "$FIX/reg-check/items-base.jsonl" &&
		ch-insert -q -t items --run-id "$RUN_ID" --model-tag release-2.0 \
			--ts 2026-11-22T10:00:00Z "$FIX/reg-check/items-cur.jsonl"
}

# ex_ch_rows RUN_ID [PREFIX]: how many metric rows of the run (whose metric
# starts with PREFIX) ClickHouse holds, each identity once. The count reads
# the key columns: a bare count() with FINAL on 18.16 skips the merge.
ex_ch_rows() {
	ch_sql "SELECT count() FROM (SELECT run_id, metric, labels FROM vllm_eval.results FINAL WHERE run_id = '$1' AND startsWith(metric, '${2:-}')) FORMAT TSV"
}

# ex_has_keys FILE PATH KEY...: every record of FILE has each KEY at the jq
# PATH (what a man page shows of a record is there).
ex_has_keys() {
	local file=$1 path=$2 missing
	shift 2
	missing=$(jq -c --args "$path"' | keys as $k | $ARGS.positional - $k | select(length > 0)' "$@" < "$file" | sort -u)
	if [ -n "$missing" ]; then
		echo "examples.bats: $file: records without $path keys $missing" >&2
		return 1
	fi
}

# Lines of a file, as a bare number.
ex_lines() {
	wc -l < "$1" | tr -d ' '
}

# --- coverage -------------------------------------------------------------

@test "examples: every example is run here or listed as skipped, and every list entry matches one" {
	local key first k prefix why from to missing='' stale=''
	python3 "$EX_PY" list "$VE_ROOT"/man/*.[17] "$VE_ROOT/README.md" > all.tsv
	[ -s all.tsv ]
	# the keys this file runs: the argument of each ex_ok and ex_run
	grep -oE '^[[:space:]]*ex_(ok|run) [^ ]+' "$BATS_TEST_FILENAME" | awk '{ print $2 }' | sort -u > run.keys
	ex_skips | cut -f1 > skip.keys
	while IFS=$'\t' read -r key first; do
		case $key in README.json* | README.out*) continue ;; esac # data and output, not examples
		grep -qxF "$key" run.keys skip.keys || missing+=" $key"
	done < all.tsv
	while IFS=$'\t' read -r k prefix why; do
		first=$(awk -F '\t' -v k="$k" '$1 == k { print $2 }' all.tsv)
		[[ -n $why && -n $first && $first == "$prefix"* ]] || stale+=" skip:$k"
	done < <(ex_skips)
	while IFS=$'\t' read -r k from to why; do
		cut -f1 all.tsv | grep -qxF "$k" && [ -n "$why" ] || stale+=" substitution:$k"
	done < <(ex_substitutions)
	assert_equal "neither run nor skipped:$missing" "neither run nor skipped:"
	assert_equal "stale entries:$stale" "stale entries:"
}

@test "examples: every man page and the README has its examples run here" {
	local m missing=''
	for m in "$VE_ROOT"/man/*.[17] README; do
		m=$(basename "$m")
		grep -q "^@test \"examples: $m\b" "$BATS_TEST_FILENAME" || missing+=" $m"
	done
	assert_equal "pages without a test:$missing" "pages without a test:"
}

# --- the man pages --------------------------------------------------------

# mmlu.jsonl: the MMLU sample with one question again, in other case and
# spacing, so that exact and near duplicates have something to find.
ex_make_mmlu() {
	{
		cat "$VE_ROOT/share/data/mmlu.test.jsonl"
		head -1 "$VE_ROOT/share/data/mmlu.test.jsonl" | jq -c '.question |= ascii_upcase + "  "'
	} > mmlu.jsonl
}

@test "examples: ds-hash.1" {
	ex_make_mmlu
	ex_ok ds-hash.1#1
	assert_equal "$output" ""
	assert_equal "$(ex_lines mmlu.dedup.jsonl) $(ex_lines dups.jsonl)" "8 1"
	# a regression set with one MMLU and one KMMLU question in it
	gzip -c mmlu.jsonl > mmlu.jsonl.gz
	mkdir k && cp "$VE_ROOT/share/data/kmmlu.test.jsonl" k/ && tar -czf kmmlu.tar.gz -C k .
	{
		echo '{"id":"r1","question":"How is the weather in Seoul today?"}'
		echo '{"id":"r2","question":"What  is 7 multiplied by 8?"}'
		head -1 "$VE_ROOT/share/data/kmmlu.test.jsonl" | jq -c '{id: "r3", question}'
		echo '{"id":"r4","question":"Which port does vLLM listen on by default?"}'
	} > regression.jsonl
	ex_ok ds-hash.1#2
	assert_equal "$output" ""
	assert_equal "$(jq -r .id regression.clean.jsonl | paste -sd' ')" "r1 r4"
	ex_ok ds-hash.1#3
	assert_equal "$output" "regression.jsonl: OK"
	grep -qx 'name: "regression"' regression.manifest.yaml
}

# A datasets-server stand-in (tests/hf-standin.py) serving the Hub ids the
# examples name from share/data; sets HF_DATASETS_SERVER_URL.
ex_hf_standin() {
	local d="$VE_ROOT/share/data"
	jq -n --arg d "$d" '{splits: {
		"cais/mmlu": [["all","test","\($d)/mmlu.test.jsonl"],["all","dev","\($d)/mmlu.dev.jsonl"]],
		"allenai/ai2_arc": [["ARC-Challenge","test","\($d)/arc_challenge.test.jsonl"],
			["ARC-Challenge","train","\($d)/arc_challenge.train.jsonl"]],
		"Rowan/hellaswag": [["default","validation","\($d)/hellaswag.val.jsonl"],
			["default","train","\($d)/hellaswag.train.jsonl"]],
		"openai/gsm8k": [["main","test","\($d)/gsm8k.test.jsonl"],["main","train","\($d)/gsm8k.train.jsonl"]],
		"Idavidrein/gpqa": [["gpqa_diamond","train","\($d)/gpqa_diamond.jsonl"]]}} + $ARGS.named' "$@" > "$T/hf.json"
	python3 "$VE_ROOT/tests/hf-standin.py" "$T/hf.json" "$T/hf.port" "$T/hf.log" &
	EX_PIDS+=" $!"
	local n=100
	while [ ! -s "$T/hf.port" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	export HF_DATASETS_SERVER_URL="http://127.0.0.1:$(cat "$T/hf.port")"
}

@test "examples: ds-fetch.1" {
	ex_hf_standin --arg token hf_ExAmPlE0123456789
	mkdir -p .cache/huggingface && echo hf_ExAmPlE0123456789 > .cache/huggingface/token
	export HF_TOKEN=hf_ExAmPlE0123456789
	ex_ok ds-fetch.1#1
	assert_output "mmlu.test.jsonl: OK"
	cmp mmlu/mmlu.test.jsonl "$VE_ROOT/share/data/mmlu.test.jsonl"
	ex_ok ds-fetch.1#2
	assert_equal "${lines[0]}" "arc_challenge prepared: read 8, exact duplicates 0, near duplicates 0, kept 8"
	run ls fetched/standard
	assert_output "arc_challenge.test.jsonl
arc_challenge.train.jsonl
gsm8k.test.jsonl
gsm8k.train.jsonl
hellaswag.train.jsonl
hellaswag.val.jsonl
manifest.yaml
mmlu.dev.jsonl
mmlu.test.jsonl"
	[ -s prepared/standard/manifest.yaml ]
	unset HF_TOKEN # the third reads the token from its file
	ex_ok ds-fetch.1#3
	assert_output ""
	cmp gpqa/gpqa_diamond.jsonl "$VE_ROOT/share/data/gpqa_diamond.jsonl"
}

@test "examples: ds-lsh.1" {
	ex_make_mmlu
	ex_run ds-lsh.1#1
	assert_equal "$stderr" "ds-lsh: read 8, kept 8, dropped 0 (0 near a reference record, 0 reference records); 0 of identical text, 0 pairs checked, 0 near duplicates; 17 bands x 7 rows"
	assert_equal "$output" ""
	assert_equal "$(ex_lines mmlu.dedup.jsonl)" 8
	# a snapshot of queries: one near a benchmark question, one near the
	# current regression set, one new
	mkdir benchmarks regression
	gzip -c mmlu.jsonl > benchmarks/mmlu.jsonl.gz
	echo '{"input":"How do I restart a vLLM server without dropping any requests?"}' > regression/current.jsonl
	{
		echo '{"id":"s1","input":"What is 7 multiplied by 8 ??"}'
		echo '{"id":"s2","input":"How do I restart a vLLM server without dropping requests?"}'
		echo '{"id":"s3","input":"Which port does vLLM listen on by default?"}'
	} > snapshot.jsonl
	ex_ok ds-lsh.1#2
	assert_equal "$output" ""
	assert_equal "$(jq -r .id fresh.jsonl)" "s3"
	cp "$FIX/ds-lsh/small.jsonl" small.jsonl
	jq -c '{id, question: .text}' small.jsonl > data.jsonl
	ex_ok ds-lsh.1#3
	assert_equal "$(jq -sc 'map([.a, .b])' <<< "$output")" "[[1,2],[1,4],[2,4]]"
}

# The first record of tests/fixtures/ds-anon/pii.jsonl as ds-anon --salt-file
# anon-salt writes it: HMAC-SHA256 of each value's canonical form keyed by the
# salt, from Python's hmac module.
ex_pseudonyms() {
	python3 - <<'PY'
import hashlib, hmac
def h(v):
    return hmac.new(b"a salt of the test", v.encode(), hashlib.sha256).hexdigest()[:8]
print("Contact me at <EMAIL:%s> or <PHONE:%s>, office <PHONE:%s>."
      % (h("hong.gildong@example.com"), h("01012345678"), h("021234567")))
PY
}

@test "examples: ds-anon.1" {
	echo 'a salt of the test' > anon-salt
	jq -c '{id, input: (.text // .q), output: "noted"}' "$FIX/ds-anon/pii.jsonl" | gzip > snapshot.jsonl.gz
	ex_run ds-anon.1#1
	assert_equal "$stderr" "ds-anon: read 5, changed 5; masked email 2, phone 10, rrn 2, card 3, ip 2, credentials 2, token 1, api_key 2, passport 0, license 0, account 0, address 0, name 0"
	assert_equal "$output" ""
	assert_equal "$(jq -r .input snapshot.anon.jsonl | head -1)" "$(ex_pseudonyms)"
	cp "$FIX/ds-anon/pii.jsonl" queries.jsonl
	# diff exits 1: the records differ, which is what the reader looks for
	ex_run ds-anon.1#2 1
	assert_equal "$stderr" ""
	assert_line --index 0 "1,5c1,5"
	assert_equal "$(sed -n 8p <<< "$output")" '> {"id":1,"text":"Contact me at <EMAIL> or <PHONE>, office <PHONE>.","n":9007199254740993}'
	assert_equal "$(wc -l <<< "$output" | tr -d ' ')" 10
}

@test "examples: ds-draw.1" {
	ex_ok ds-draw.1#1
	assert_equal "$output" ""
	assert_equal "$(ex_lines gpqa.requests.jsonl)" 8
	# Random(42) per question puts the correct answer fourth: gold D, but where
	# an incorrect answer is written as the correct one and comes first.
	assert_equal "$(jq -r .gold gpqa.requests.jsonl | paste -sd' ')" "D D D D D D A D"
	ex_ok ds-draw.1#2
	assert_equal "$output" ""
	# The prompts of tests/fewshot-ref.py: python3's random.Random(1234)
	# drawing 5 of the 6 training records per test record, as lm-eval does.
	jq -j '.prompt + "\u0000"' gsm8k.requests.jsonl > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" 1234 5 -1 share/data/gsm8k.train.jsonl \
		share/data/gsm8k.test.jsonl > want.bin
	cmp got.bin want.bin
	assert_equal "$(ex_lines gsm8k.requests.jsonl)" 12
	ex_ok ds-draw.1#3
	assert_equal "$output" ""
	# Each subject's own random.Random(1234) over its own 5 dev records.
	jq -j 'select(.choice == 0) | .context + "\u0000"' kmmlu.requests.jsonl > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" --task kmmlu 1234 5 -1 share/data/kmmlu.dev.jsonl \
		share/data/kmmlu.test.jsonl > want.bin
	cmp got.bin want.bin
}

@test "examples: code-run.1" {
	# Without user namespaces code-run says so on stderr, which the examples do not show.
	unshare --user --map-root-user true 2> /dev/null || skip "no user namespaces here"
	cp "$FIX/code-run/lcb.jsonl" "$FIX/code-run/humaneval.replies.jsonl" .
	# Debian's python3, which code-run's unprivileged user can run (a python3
	# under root's home is refused, exit 69).
	PATH="$VE_BIN:/usr/bin:/bin:$PATH"
	ex_ok code-run.1#1
	# the simulator's answers (tests/fixtures/code-run/lcb.key.jsonl): the third
	# passes its public test and fails its private one
	assert_output '[{"difficulty":"easy","pass_at_1":1},{"difficulty":"medium","pass_at_1":0}]'
	# (in llm-query's order, which is the order the answers came in)
	assert_equal "$(jq -c '[.question_id, .code_run.passed, .code_run.tests_run, .code_run.tests_total]' lcb.graded.jsonl | sort)" '["1",true,3,3]
["abc000_a",true,3,3]
["abc000_b",false,2,2]'
	ex_run code-run.1#2
	assert_output '{"task_id":"HumanEval/0","passed":true}
{"task_id":"HumanEval/1","passed":false}'
	assert_equal "$stderr" "code-run: humaneval.replies.jsonl:2: test 0: runtime_error: AssertionError
code-run: read 2, passed 1"
}

@test "examples: ds-synth.1" {
	ex_ok ds-synth.1#1
	assert_equal "$(ex_lines run.jsonl)" 10
	assert_equal "$(jq -s 'map(select(.response.usage.completion_tokens == 128 and .response.usage.prompt_tokens == 1024)) | length' run.jsonl)" 10
	assert_equal "$(jq -r 'select(.metric == "perf.default.completed") | .value' <<< "$output")" 10
	ex_ok ds-synth.1#2
	assert_equal "$output" ""
	assert_equal "$(ex_lines prefix.jsonl)" 200
	# without -e a token is a word: 512 shared, then 128 of each prompt's own
	assert_equal "$(jq -r '.request.prompt | split(" ") | length' prefix.jsonl | sort -u)" 640
	assert_equal "$(jq -r '.request.prompt | split(" ")[:512] | join(" ")' prefix.jsonl | sort -u | ex_lines /dev/stdin)" 1
}

@test "examples: lat-stats.1" {
	ex_ch_reset
	ex_ok lat-stats.1#1
	assert_equal "$(ex_lines raw.jsonl)" 20
	assert_line --index 0 "============ Serving Benchmark Result ============"
	assert_line --index 1 --regexp '^Successful requests: +20 *$'
	ex_ok lat-stats.1#2
	assert_equal "$output" ""
	run ex_ch_rows "$RUN_ID" perf.concurrency_test.
	assert_output "$(lat-stats -s concurrency_test -g ttft:200,tpot:50 --grade share/bench/grades.json raw.jsonl | ex_lines /dev/stdin)"
	run ex_ch_rows "$RUN_ID" perf.concurrency_test.grade
	assert_output 1
	# two runs, each with two scenarios and a model label
	mkdir -p runs/a runs/b
	jq -c '. + {scenario: (if .id % 2 == 0 then "even" else "odd" end), model: "m1"}' raw.jsonl | gzip > runs/a/raw.jsonl.gz
	jq -c '. + {scenario: "odd", model: "m2"}' raw.jsonl | gzip > runs/b/raw.jsonl.gz
	ex_ok lat-stats.1#3
	assert_equal "$(jq -c '[.labels.scenario, .labels.model, .completed]' <<< "$output" | sort | paste -sd' ')" '["even","m1",10] ["odd","m1",10] ["odd","m2",20]'
	ex_ok lat-stats.1#4
	assert_equal "$output" ""
	run ex_ch_rows "$RUN_ID" perf.upstream.
	assert_output "$(lat-stats --from vllm-json -s upstream r.json | ex_lines /dev/stdin)"
}

@test "examples: llm-query.1" {
	ex_ok llm-query.1#1
	assert_equal "$(ex_lines bench.jsonl)" 8
	assert_equal "$(jq -r 'select(.metric == "perf.default.completed") | .value' <<< "$output")" 8
	jq -nc -f share/tasks/arc.jq share/data/arc_challenge.test.jsonl > arc.requests.jsonl
	ex_ok llm-query.1#2
	assert_equal "$(ex_lines arc.out.jsonl)" "$(ex_lines arc.requests.jsonl)"
	assert_equal "$(jq -c 'select(.metric == "arc_challenge.acc") | [.value, .n]' <<< "$output")" "[1,8]"
	# a crash half-way: the first answers kept, the rest sent again
	head -16 arc.out.jsonl > kept.jsonl
	cp kept.jsonl arc.out.jsonl
	ex_ok llm-query.1#2
	assert_equal "$(head -16 arc.out.jsonl)" "$(cat kept.jsonl)"
	assert_equal "$(jq -sc 'map([.doc_id, .choice]) | unique | length' arc.out.jsonl)" "$(ex_lines arc.requests.jsonl)"
	assert_equal "$(jq -c 'select(.metric == "arc_challenge.acc") | [.value, .n]' <<< "$output")" "[1,8]"
	jq -c '{question: .problem, answer}' share/data/aime.jsonl > gsm8k.jsonl
	ex_ok llm-query.1#3
	assert_equal "$(jq -r 'select(.metric | endswith("exact_match")) | .n' <<< "$output")" "$(ex_lines gsm8k.jsonl)"
	# one answer a request, under DIR/xx/ by the key's first two hex digits: count the
	# files, not the directories, which two keys share one time in about forty
	assert_equal "$(find .cache/vllm-eval -type f | ex_lines /dev/stdin)" "$(ex_lines gsm8k.jsonl)"
}

@test "examples: score-mcq.1" {
	mkdir -p "runs/$RUN_ID"
	ex_ok score-mcq.1#1
	assert_equal "$output" ""
	# the model knows every answer
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc" and .labels.subset == "all") | [.value, .n]' "runs/$RUN_ID/mmlu.metrics.jsonl")" "[1,8]"
	assert_equal "$(ex_lines "runs/$RUN_ID/mmlu.items.jsonl")" 8
	ex_ok score-mcq.1#2
	assert_equal "$(jq -c 'select(.metric == "kmmlu.acc" and .labels.subset == "all") | [.value, .n]' <<< "$output")" "[1,8]"
	# every letter was in the top 20: nothing to ask again
	assert_equal "$(cat again.jsonl)" ""
}

@test "examples: score-gen.1" {
	ex_ok score-gen.1#1
	assert_equal "$(jq -c 'select(.metric == "aime.numeric_match") | [.value, .n]' <<< "$output")" "[1,4]"
	assert_equal "$(ex_lines aime.items.jsonl)" 4
	# the judge's cases: the reference answers given as the system's output
	jq -c '. + {actual_output: .expected_output}' share/data/judge.jsonl > cases.jsonl
	ex_ok score-gen.1#2
	assert_equal "$(jq -c '[.metric, .value, .n]' <<< "$output" | paste -sd' ')" \
		'["judge.hallucination.unparsed",0,8] ["judge.hallucination.mean",0,8] ["judge.hallucination.pass_rate",1,8] ["judge.hallucination.pass_rate_all",1,8]'
}

@test "examples: ch-insert.1" {
	ex_ch_reset
	mkdir -p "runs/$RUN_ID"
	cp "$FIX/score-mcq/ll.jsonl" "runs/$RUN_ID/responses.jsonl"
	ex_ok ch-insert.1#1
	# --tee passes the rows on as they came
	assert_equal "$(jq -c 'del(.ts)' metrics.jsonl)" "$(score-mcq "runs/$RUN_ID/responses.jsonl" | jq -c 'del(.ts)')"
	run ex_ch_rows "$RUN_ID"
	assert_output "$(ex_lines metrics.jsonl)"
	# ClickHouse out of reach: a later run's batch waits in the spool for cron
	jq -c '.run_id = "later"' metrics.jsonl > later.jsonl
	run ch-insert -q --url "http://127.0.0.1:$(ve_free_port)/" --backoff 0.01 --max-wait 0.01 \
		--spool spool later.jsonl
	assert_failure 75
	[ -n "$(ls spool)" ]
	ex_ok ch-insert.1#2
	[ -z "$(ls spool)" ]
	assert_equal "$output" ""
	run ex_ch_rows later
	assert_output "$(ex_lines metrics.jsonl)"
}

@test "examples: ch-query.1" {
	ex_ch_reset
	mkdir -p "runs/$RUN_ID"
	cp "$FIX/reg-check/current.jsonl" "runs/$RUN_ID/metrics.jsonl"
	# reg-check exits 1: the fixture's release regressed
	ex_run ch-query.1#1 1
	assert_equal "$stderr" ""
	# the five newest runs of release-*: cur, r6 ... r3
	assert_equal "$(jq -r .run_id history.jsonl | uniq | paste -sd' ')" "cur r6 r5 r4 r3"
	assert_equal "$(jq -c '[.metric, .status]' <<< "$output" | paste -sd' ')" \
		'["release","regression"] ["mmlu.acc","regression"] ["perf.basic.ttft_ms.p95","ok"] ["gsm8k.exact_match","regression"] ["perf.basic.output_throughput","improvement"] ["arc_challenge.acc","insufficient_history"] ["hellaswag.acc","new"]'
	ex_ok ch-query.1#2
	assert_equal "$(ex_lines base.jsonl) $(ex_lines cur.jsonl)" "$(ex_lines "$FIX/reg-check/items-base.jsonl") $(ex_lines "$FIX/reg-check/items-cur.jsonl")"
	assert_equal "$(jq -r .run_id base.jsonl | sort -u)" "$PREV"
	assert_equal "$(jq -r .run_id cur.jsonl | sort -u)" "$RUN_ID"
}

@test "examples: reg-check.1" {
	ex_ch_reset
	ex_start_webhook
	mkdir -p "runs/$RUN_ID" "runs/$PREV"
	cp "$FIX/reg-check/current.jsonl" "runs/$RUN_ID/metrics.jsonl"
	cp "$FIX/reg-check/items-cur.jsonl" "runs/$RUN_ID/items.jsonl"
	# The release regressed (gsm8k, against five runs of the same figure);
	# mmlu's drop is beyond chance on its 40 paired items (one-sided McNemar,
	# P(X <= 2) of 11 flips = 67/2048) but too few to alert: detail. The card
	# is posted.
	ex_run reg-check.1#1 1
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	assert_equal "$(ex_lines items.prev.jsonl)" "$(ex_lines "$FIX/reg-check/items-base.jsonl")"
	assert_equal "$(jq -r .status verdicts.jsonl | paste -sd' ')" "regression regression ok regression improvement insufficient_history new"
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.test, .n, .p_value, .gates, .note]' verdicts.jsonl)" '["mcnemar",40,0.0654297,false,"n 40 is below 100"]'
	[ -s "$T/hook/body.0" ]
	ex_ok reg-check.1#2
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.status, [.findings[].metric]]' <<< "$output")" '["regression",["gsm8k.exact_match"]]'
	# The plain rule on the one figure: 10.77 % below its mean, a regression.
	jq -c 'select(.metric == "mmlu.acc")' "runs/$RUN_ID/metrics.jsonl" > mmlu.metrics.jsonl
	cp "$FIX/reg-check/history.jsonl" history.jsonl
	ex_run reg-check.1#3 1
	assert_equal "$stderr" ""
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .delta_pct, .threshold_pct]' <<< "$output")" '["regression",-10.77,10]'
}

@test "examples: teams-card.1" {
	ex_start_webhook
	cp "$FIX/reg-check/history.jsonl" history.jsonl
	cp "$FIX/reg-check/current.jsonl" metrics.jsonl
	# reg-check exits 1 on the regressions; teams-card posts them
	ex_run teams-card.1#1 1
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	run jq -c '.attachments[0].content.msteams.entities[0] | [.text, .mentioned.id]' "$T/hook/body.0"
	assert_output '["<at>LLM-Ops</at>","llm-ops@example.com"]'
	run jq -c '[.attachments[0].content.actions[] | .url]' "$T/hook/body.0"
	assert_output "[\"https://grafana.example.com/d/llm-quality\",\"$ARGO_URL\"]"
	[ ! -e "$T/hook/body.1" ]
}

@test "examples: vllm-sim.1" {
	ex_ok vllm-sim.1#1
	assert_equal "$(jq -c '[.object, (.choices | length), .usage.completion_tokens <= 4]' <<< "$output")" '["text_completion",1,true]'
	jq -nc -f share/tasks/arc.jq share/data/arc_challenge.test.jsonl > arc.jsonl
	ex_ok vllm-sim.1#2
	assert_equal "$(ex_lines key.jsonl)" 8
	assert_equal "$(head -1 key.jsonl)" '{"id":"arc_challenge/VE-ARC-001","match":"Question: Which instrument is used to measure air pressure?\nAnswer:","choices":["thermometer","barometer","anemometer","hygrometer"],"gold":1}'
	export EX_PORT1 EX_PORT2
	EX_PORT1=$(ve_free_port) EX_PORT2=$(ve_free_port)
	ex_run vllm-sim.1#3
	assert_equal "$stderr" ""
	# one draw per item: of eight items, the same seven fall below 0.65 and 0.80
	assert_equal "$(jq -r 'select(.metric == "arc_challenge.acc") | .value' good.jsonl degraded.jsonl | paste -sd' ')" "0.875 0.875"
	EX_PORT1=$(ve_free_port)
	ex_run vllm-sim.1#4
	assert_equal "$stderr" ""
	assert_line --index 0 "http://127.0.0.1:$EX_PORT1"
	assert_equal "$(grep '^{' <<< "$output" | jq -r 'select(.metric == "perf.default.completed") | .value')" 16
	assert_line --regexp '^vllm:num_requests_running\{engine="0",model_name="sim-model"\} 0$'
}

@test "examples: vllm-eval.7" {
	# five earlier runs, arc_challenge.acc about 0.95
	for i in 1 2 3 4 5; do
		printf '{"metric":"arc_challenge.acc","value":0.9%d,"n":8,"stderr":0.05,"unit":"ratio","labels":{"task":"arc_challenge","subset":"all"},"run_id":"r%d","model_tag":"release-1.%d","ts":"2026-11-0%dT10:00:00Z"}\n' "$i" "$i" "$i" "$i"
	done > history.jsonl
	ex_ok vllm-eval.7#1
	assert_equal "$output" ""
	# each stage's records have the fields the page's RECORDS section shows
	ex_has_keys requests.jsonl . task doc_id subset choice gold context continuation
	ex_has_keys answers.jsonl . task doc_id choice context continuation response timing
	ex_has_keys answers.jsonl .response status usage loglikelihood
	ex_has_keys answers.jsonl .response.loglikelihood sum n_tokens greedy
	ex_has_keys answers.jsonl .timing start e2el_ms attempts
	ex_has_keys items.jsonl . task doc_id subset pred gold correct score
	ex_has_keys metrics.jsonl . metric value n stderr unit labels run_id model_tag ts
	# the release row first, then the metrics' verdicts; eight questions are
	# too few to decide a release (--min-n 100): nothing gates
	run jq -c 'select(.metric == "release") | [.status, .rule, .gated]' verdicts.jsonl
	assert_output '["ok","stat",0]'
	jq -c 'select(.metric != "release")' verdicts.jsonl >metric-verdicts.jsonl
	ex_has_keys metric-verdicts.jsonl . metric value baseline window delta delta_pct direction status p_value test n p_adjusted gates
	assert_equal "$(ex_lines requests.jsonl) $(ex_lines answers.jsonl) $(ex_lines items.jsonl)" "31 31 8"
	# the model knows every answer: acc 1 against a baseline of 0.93, stderr
	# 0 against five of 0.05: z = 0.07 / (0.05 sqrt(5) / 5) = 3.13, beyond
	# chance; an improvement, shown as detail
	run jq -c '[.metric, .value, .baseline, .status]' metric-verdicts.jsonl
	assert_line --index 0 '["arc_challenge.acc",1,0.93,"improvement"]'
	assert_equal "$(jq -r 'select(.status | IN("ok", "regression", "improvement", "new", "insufficient_history") | not)' verdicts.jsonl)" ""
}

# --- the README's tour ------------------------------------------------------

@test "examples: README, the tour at the terminal" {
	mkdir runs
	cp "$FIX/reg-check/history.jsonl" runs/history.jsonl
	ex_ok README#1
	assert_line --index 0 --regexp '^http://127\.0\.0\.1:[0-9]+$'
	assert_line --index 1 "============ Serving Benchmark Result ============"
	assert_line --index 2 --regexp '^Successful requests: +10 +$'
	assert_equal "$(ex_lines items.jsonl) $(ex_lines raw.jsonl)" "8 10"
	assert_equal "$(jq -r 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .n' metrics.jsonl)" 8
	# the card, as jq prints it: the simulator without an answer key is a
	# model at chance, which this history does not flag
	assert_equal "$(sed -n '/^{$/,$p' <<< "$output" | jq -r '.attachments[0].content.body[0].text')" "release-2.0: passed"
}

# The S3 stand-in of tests/fixtures/pipelines-dataset on a free port, its
# buckets under $T/s3; sets EX_S3_URL.
ex_start_s3() {
	local port
	port=$(ve_free_port)
	mkdir -p "$T/s3"
	python3 "$FIX/pipelines-dataset/s3server.py" "$port" "$T/s3" "$T/s3.log" AKIDTEST &
	EX_PIDS+=" $!"
	ve_wait_http "http://127.0.0.1:$port/_health" 10
	export EX_S3_URL="http://127.0.0.1:$port"
}

@test "examples: README, datasets" {
	ex_make_mmlu
	gzip -c mmlu.jsonl > mmlu.jsonl.gz
	{
		echo '{"id":"r1","question":"How is the weather in Seoul today?"}'
		echo '{"id":"r2","question":"What  is 7 multiplied by 8?"}'
	} > regression.jsonl
	ex_ok README#2
	assert_output "clean.jsonl: OK"
	assert_equal "$(ex_lines mmlu.dedup.jsonl) $(ex_lines dropped.jsonl)" "8 1"
	assert_equal "$(jq -r .id clean.jsonl)" "r1"
	mkdir benchmarks
	gzip -c mmlu.jsonl > benchmarks/mmlu.jsonl.gz
	{
		echo '{"id":"q1","input":"What is 7 multiplied by 8 ??"}'
		echo '{"id":"q2","input":"Which port does vLLM listen on by default?"}'
	} > queries.jsonl
	jq -c '{id, question: .text}' "$FIX/ds-lsh/small.jsonl" > data.jsonl
	ex_run README#3
	assert_equal "$stderr" "ds-lsh: read 8, kept 8, dropped 0 (0 near a reference record, 0 reference records); 0 of identical text, 0 pairs checked, 0 near duplicates; 17 bands x 7 rows"
	assert_equal "$(jq -r .id fresh.jsonl)" "q2"
	assert_equal "$(jq -sc 'map([.a, .b])' <<< "$output")" "[[1,2],[1,4],[2,4]]"
	echo 'a salt of the test' > anon-salt
	jq -c '{id, input: (.text // .q), output: "noted"}' "$FIX/ds-anon/pii.jsonl" | gzip > snapshot.jsonl.gz
	ex_run README#4
	assert_equal "$stderr" "ds-anon: read 5, changed 5; masked email 2, phone 10, rrn 2, card 3, ip 2, credentials 2, token 1, api_key 2, passport 0, license 0, account 0, address 0, name 0"
	assert_equal "$(ex_lines snapshot.anon.jsonl)" 5
	# two local datasets with their manifests, and the first one on S3
	mkdir -p datasets/mmlu datasets/arc
	cp mmlu.jsonl datasets/mmlu/
	cp share/data/arc_challenge.test.jsonl datasets/arc/arc.jsonl
	(cd datasets/mmlu && ds-hash --manifest --name mmlu --version 1 mmlu.jsonl > manifest.yaml)
	(cd datasets/arc && ds-hash --manifest --name arc --version 1 arc.jsonl > manifest.yaml)
	ex_start_s3
	mkdir -p "$T/s3/datasets/raw"
	cp -r datasets/mmlu "$T/s3/datasets/raw/"
	ex_ok README#5
	assert_output "mmlu 1: read 9, exact duplicates 1, near duplicates 0, kept 8
mmlu 1: read 9, exact duplicates 1, near duplicates 0, kept 8"
	assert_equal "$(cat prepared/mmlu/mmlu.jsonl)" "$(cat "$T/s3/datasets/prepared/mmlu/mmlu.jsonl")"
	assert_equal "$(ex_lines prepared/mmlu/mmlu.jsonl)" 8
	# the day's snapshot (for tomorrow's date too, should the day end now)
	mkdir -p "$T/s3/queries/daily"
	cp "$FIX/pipelines-dataset/snap1.jsonl" "$T/s3/queries/daily/$(date -u +%F).jsonl"
	cp "$FIX/pipelines-dataset/snap1.jsonl" "$T/s3/queries/daily/$(date -u -d tomorrow +%F).jsonl"
	export S3_ENDPOINT_URL=$EX_S3_URL AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret
	ex_ok README#6
	d=$(cat "$T/s3/datasets/regression/index.txt")
	assert_output "regression $d: read 3 (1 anonymised), exact duplicates 0, near duplicates 0, fresh 3, sampled 3 of 1000; published to s3://datasets/regression/$d"
	assert_equal "$(ex_lines "$T/s3/datasets/regression/$d/regression.jsonl")" 3
	# the address is a salted pseudonym
	grep -q '<EMAIL:[0-9a-f]\{8\}>' "$T/s3/datasets/regression/$d/regression.jsonl"
	assert_equal "$(grep -c ' 403$' "$T/s3.log")" 0
}

@test "examples: README, vllm-sim" {
	ex_ok README#7
	assert_equal "$(cat url)" "http://127.0.0.1:$(cat port)"
	# the completion (no newline after it), then the stream
	assert_equal "$(jq -r .object <<< "${lines[0]%%data: *}")" text_completion
	assert_equal "$(jq -r '.choices[0].delta.role' <<< "${lines[0]#*data: }")" assistant
	assert_equal "${lines[-1]}" "data: [DONE]"
	assert_line --regexp '^data: \{.*"choices":\[\],"usage":\{"prompt_tokens":'

	# the answer key the README shows, as the simulator takes it
	python3 "$EX_PY" show README.json#1 > key.jsonl
	export EX_PORT1 EX_PORT2
	EX_PORT1=$(ve_free_port) EX_PORT2=$(ve_free_port)
	ex_ok README#8
	assert_equal "$(sort <<< "$output")" "$(printf 'http://127.0.0.1:%s\n' "$EX_PORT1" "$EX_PORT2" | sort)"
}

@test "examples: README, llm-query" {
	jq -c '{question: .problem, answer}' share/data/aime.jsonl > gsm8k.jsonl
	cp gsm8k.jsonl q.jsonl
	jq -nc -f share/tasks/arc.jq share/data/arc_challenge.test.jsonl > arc.req.jsonl
	ex_ok README#9
	# the simulator answers as its key says; the chat answer has no leading space
	assert_equal "$(jq -r .response.text gsm8k.out.jsonl | sort)" "$(jq -r '" The answer is \(.answer)."' gsm8k.jsonl | sort)"
	assert_equal "$(jq -r .response.text <<< "$output" | sort)" "$(jq -r '"The answer is \(.answer)."' q.jsonl | sort)"
	assert_equal "$(jq -sc 'map([.doc_id, .choice]) | unique | length' arc.out.jsonl)" "$(ex_lines arc.req.jsonl)"
	ex_ok README#10
	assert_equal "$(ex_lines bench.jsonl)" 8
	assert_equal "$(jq -r 'select(.metric == "perf.default.completed") | .value' <<< "$output")" 8
	ex_ok README#11
	assert_equal "$(tail -n +2 <<< "$output")" "$(jq -n '[100, 100, 0]')"
}

@test "examples: README, scoring and serving latency" {
	mkdir -p "runs/$RUN_ID"
	ex_ok README#12
	assert_equal "$(jq -r 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .value' "runs/$RUN_ID/mmlu.metrics.jsonl")" 1
	assert_equal "$(ex_lines "runs/$RUN_ID/mmlu.items.jsonl")" 8
	ex_ok README#13
	assert_line --index 0 "============ Serving Benchmark Result ============"
	assert_line --index 1 --regexp '^Successful requests: +20 +$'
	assert_line --regexp '^Maximum request concurrency: +10 +$'
	assert_line --regexp '^P99 TTFT \(ms\): +[0-9.]+ +$'
	refute_line --regexp '^P50 TTFT'
	# the table the README shows is lat-stats's for the fixture it names
	run lat-stats -f table -p 99 --max-concurrency 2 "$FIX/lat-stats/basic.jsonl"
	assert_output "$(python3 "$EX_PY" show README.out#1)"
	export EX_PORT1
	EX_PORT1=$(ve_free_port)
	ex_ok README#14
	assert_line --index 0 "http://127.0.0.1:$EX_PORT1"
	assert_line --index 1 "== basic_performance"
	assert_line --index 2 "============ Serving Benchmark Result ============"
	assert_line "== stress_test"
	assert_equal "$(grep -c '^Successful requests: *10 *$' <<< "$output")" 2
	for s in basic_performance stress_test; do
		assert_equal "$(ex_lines "runs/$RUN_ID/perf/$s/raw.jsonl")" 10
		[ -s "runs/$RUN_ID/perf/$s/metrics.jsonl" ] && [ -s "runs/$RUN_ID/perf/$s/server.jsonl" ]
		assert_equal "$(cat "runs/$RUN_ID/perf/$s/table.txt")" "$(sed -n "/^== $s\$/,/^=*\$/p" <<< "$output" | sed 1d)"
	done
}

# Debian's prometheus-pushgateway on a free port; sets PUSHGATEWAY_URL.
# --persistence.file=: none of the series an earlier run left in Debian's
# default file (/var/lib/prometheus).
ex_start_pushgateway() {
	local port
	port=$(ve_free_port)
	prometheus-pushgateway --web.listen-address="127.0.0.1:$port" --persistence.file= > "$T/pushgateway.log" 2>&1 &
	EX_PIDS+=" $!"
	ve_wait_http "http://127.0.0.1:$port/-/ready" 10
	export PUSHGATEWAY_URL="http://127.0.0.1:$port"
}

@test "examples: README, results, regressions and alerts" {
	ex_ch_reset
	ex_start_webhook
	ex_start_pushgateway
	mkdir -p "runs/$RUN_ID"
	jq -c '.run_id = env.RUN_ID' "$FIX/reg-check/current.jsonl" > "runs/$RUN_ID/metrics.jsonl"
	# reg-check exits 1: the release regressed (gsm8k, against five runs of
	# the same figure); the card leads with that, the status is pushed
	ex_run README#15 1
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	run ex_ch_rows "$RUN_ID"
	assert_output "$(ex_lines "runs/$RUN_ID/metrics.jsonl")"
	assert_equal "$(jq -r .status "runs/$RUN_ID/verdicts.jsonl" | paste -sd' ')" "regression ok ok regression improvement insufficient_history new"
	run jq -r '.attachments[0].content | .body[0].text, .body[3].items[2].facts[0].title, .msteams.entities[0].mentioned.id, (.actions | map(.url) | join(" "))' "$T/hook/body.0"
	assert_output "release-2.0: regression
gsm8k.exact\_match
llm-ops@example.com
https://grafana.example.com/d/llm-quality-overview $ARGO_WORKFLOW_URL"
	run curl -fsS "$PUSHGATEWAY_URL/metrics"
	assert_line 'vllm_eval_regressions{instance="",job="vllm_eval",model_tag="release-2.0"} 1'
	assert_line 'vllm_eval_release_regression{instance="",job="vllm_eval",model_tag="release-2.0"} 1'
	assert_line 'vllm_eval_run_status{instance="",job="vllm_eval",model_tag="release-2.0",status="succeeded"} 1'
	assert_line 'vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset=""} 0.58'
}

# A reasoning model on a free port, as vllm-sim(1) plays one: every chat
# answer thinks 20 tokens first (the thought apart, as vLLM's reasoning
# parser returns it), no latency, Evalchemy's context; its key answers the
# README's questions (AIME problems asked as "question") and the reasoning
# suite's sample data, each in the format its task reads, GPQA-Diamond's in
# the option order its draw gives (as pipelines/demo.sh builds it). Sets
# MODEL_ENDPOINT.
ex_start_reasoning_sim() {
	local port d="$VE_ROOT/share/data"
	{
		jq -c '{match: .problem, gold: .answer}' "$d/aime.jsonl"
		jq -c '{match: ("Problem: " + .problem), gold: (.expected_answer // .answer), format: "boxed"}' \
			"$d/aime24.jsonl" "$d/aime25.jsonl" "$d/math500.test.jsonl"
		ds-draw -q --shuffle 4 --seed 42 --reseed "$d/gpqa_diamond.jsonl" | jq -nc -f share/tasks/gpqa_diamond.jq |
			jq -c '{match: .prompt, choices: ["A", "B", "C", "D"], gold, format: "letter"}'
	} > reasoning-key.jsonl
	port=$(ve_free_port)
	vllm-sim -q -p "$port" --ttft-ms 0 --itl-ms 0 --max-model-len 40960 --reasoning-tokens 20 \
		--answers reasoning-key.jsonl > "$T/reasoning-sim.log" 2>&1 &
	EX_PIDS+=" $!"
	ve_wait_http "http://127.0.0.1:$port/health" 10
	export MODEL_ENDPOINT="http://127.0.0.1:$port"
}

@test "examples: README, reasoning models" {
	ex_start_reasoning_sim
	jq -c '{question: .problem, answer}' share/data/aime.jsonl > q.jsonl
	ex_ok README#16
	local out=$output
	# the answers (in the order they came), each thought apart (20 tokens of
	# it), then no thought at all
	assert_equal "$(head -4 <<< "$out" | jq -sc 'map(.answer) | sort')" "$(jq -sc 'map("The answer is \(.answer).") | sort' q.jsonl)"
	assert_equal "$(head -4 <<< "$out" | jq -r '.thought > 0' | sort -u)" true
	assert_equal "$(sed -n 5,8p <<< "$out" | sort -u)" null
	# every headline row of the four tasks, each answered right; 20 tokens of
	# thought and the answer ("The final answer is $\boxed{9}$.", "Answer: D")
	run sed '1,8d' <<< "$out"
	assert_output - <<-'EOF'
	aime24.output_tokens 38
	aime24.accuracy 1
	aime24.pass_at_8 1
	aime25.output_tokens 38
	aime25.accuracy 1
	aime25.pass_at_8 1
	gpqa_diamond.output_tokens 25
	gpqa_diamond.regex_match 1
	math500.accuracy 1
	math500.output_tokens 49
	EOF
}

@test "examples: README, code benchmarks" {
	# The simulated model answers with each problem's right program
	# (share/data/livecodebench.programs.jsonl; HumanEval's canonical body).
	local port d="$VE_ROOT/share/data"
	{
		cat "$d/livecodebench.programs.jsonl"
		jq -c '{id: .task_id, match: .prompt, gold: .canonical_solution, format: "text"}' "$d/humaneval.jsonl"
	} > code-key.jsonl
	port=$(ve_free_port)
	vllm-sim -q -p "$port" --ttft-ms 0 --itl-ms 0 --answers code-key.jsonl > "$T/code-sim.log" 2>&1 &
	EX_PIDS+=" $!"
	ve_wait_http "http://127.0.0.1:$port/health" 10
	export MODEL_ENDPOINT="http://127.0.0.1:$port" RUN_ID=x MODEL_TAG=release-1
	ex_ok README#17
	# every program passes: pass@1, @5, @10 of the ten samples of each of the
	# 7 problems (by difficulty, and their macro mean), HumanEval's 6 (the
	# output tokens, the simulator's count of the programs, left aside)
	run grep -v output_tokens <<< "$output"
	assert_output - <<-'EOF'
	["humaneval.accuracy",1,6]
	["livecodebench.accuracy",1,7]
	["livecodebench.accuracy_macro",1,7]
	["livecodebench.pass_at_5",1,7]
	["livecodebench.pass_at_5_macro",1,7]
	["livecodebench.pass_at_10",1,7]
	["livecodebench.pass_at_10_macro",1,7]
	["livecodebench.accuracy_avg",1,10]
	EOF
}
