# shellcheck shell=sh
# Shared by the pipeline scripts (sourced, not run): where things are, the
# run directory, the audit log, and failing with a message and a status.
#
# VLLM_EVAL_SHARE    share/ of the installation or the checkout
# RUN_ID      the run (default: UTC time and 4 random hex digits)
# RUNS_DIR    where run directories go (default ./runs)
# RUN_DIR     this run's directory (default RUNS_DIR/RUN_ID)
# AUDIT_LOG   where this process's audit lines go (default RUN_DIR/audit.jsonl).
#             An Argo pod sets it to a file of its own, RUN_DIR/audit/NAME.jsonl
#             on the shared volume: appends of many pods (NFS clients) to one
#             file can interleave or be lost. aggregate.sh merges the files
#             into RUN_DIR/audit.jsonl. With it set, a script is a step of its
#             own: its start (argv, versions) and end (status, seconds) go
#             there too (ve_own_step).
# ENDPOINT_WAIT  seconds to wait for the endpoint's /health before the first
#             request (default 0: not waiting; ve_wait_endpoint)
#
# RUN_ID and MODEL_TAG name directories and go into JSON and SQL: they are
# 1 to 128 letters, digits, '.', '_' and '-', not starting with '.' or '-'
# (what a container image tag allows), or the run stops with exit 64.

ve_here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${VLLM_EVAL_SHARE:-}" ]; then
	if [ -d "$ve_here/../share/tasks" ]; then
		VLLM_EVAL_SHARE=$(cd "$ve_here/../share" && pwd)
	else
		VLLM_EVAL_SHARE=/usr/local/share/vllm-eval
	fi
fi
# The checkout's programs come first when run from one.
[ -x "$ve_here/../bin/llm-query" ] && PATH="$(cd "$ve_here/../bin" && pwd):$PATH"
export VLLM_EVAL_SHARE PATH

ve_die() {
	ve_code=$1
	shift
	echo "${prog:-vllm-eval}: $*" >&2
	ve_audit "${prog:-vllm-eval}" failed "$(jq -nc --argjson s "$ve_code" --arg m "$*" \
		"$ve_jq_redact"'{status: $s, message: ($m | redact)}')"
	exit "$ve_code"
}

# A jq definition: `redact` hides the user:password@ and the query string
# of every URL in a string, as the tools print URLs, so that what the audit
# log keeps (for 90 days, in S3) holds no credentials or tokens.
# shellcheck disable=SC2016
ve_jq_redact='def redact: gsub("(?<s>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s]*@"; "\(.s)***@")
	| gsub("(?<u>[A-Za-z][A-Za-z0-9+.-]*://[^?#\\s]*)[?#][^\\s]*"; "\(.u)?***"); '

# A jq definition: `headline` keeps the rows (metric or verdict rows) that
# stand for a task, a judge metric or a serving scenario: a task's
# acc (multiple choice), exact_match.strict_match (GSM8K), accuracy (AIME's
# avg@n, MATH-500, code's pass@1) or regex_match (GPQA), and its output_tokens;
# each judge metric's mean; a scenario's TTFT p95, mean TPOT, output
# throughput and success rate. release-eval.sh's summary and report.sh's
# trend charts show these. Their names hold only [a-z0-9_.].
# shellcheck disable=SC2016,SC2034 # (used by the scripts that source this file)
ve_jq_headline='def headline: select((.labels.subset // "all") == "all")
	| select(.metric | test("^[a-z0-9_]+\\.(acc|exact_match\\.strict_match|accuracy|regex_match|output_tokens)$"
		+ "|^judge\\.[a-z_]+\\.mean$|^perf\\.[a-z_]+\\.(ttft_ms\\.p95|tpot_ms\\.mean|output_throughput|success_rate)$")); '

# ve_check_name VARIABLE VALUE: exit 64 unless VALUE is a safe name (above).
ve_check_name() {
	case $2 in
	'' | .* | -* | *[!A-Za-z0-9._-]*)
		echo "${prog:-vllm-eval}: $1 '$2' is not a valid name (letters, digits, '.', '_', '-'; not starting with '.' or '-')" >&2
		exit 64
		;;
	esac
	if [ "${#2}" -gt 128 ]; then
		echo "${prog:-vllm-eval}: $1 is longer than 128 characters" >&2
		exit 64
	fi
}

ve_run_id() {
	printf '%s-%s' "$(date -u +%Y-%m-%dT%H-%M-%SZ)" "$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')"
}

ve_init_run() {
	RUN_ID=${RUN_ID:-$(ve_run_id)}
	ve_check_name RUN_ID "$RUN_ID"
	[ -z "${MODEL_TAG:-}" ] || ve_check_name MODEL_TAG "$MODEL_TAG"
	RUNS_DIR=${RUNS_DIR:-runs}
	RUN_DIR=${RUN_DIR:-$RUNS_DIR/$RUN_ID}
	mkdir -p "$RUN_DIR" || exit 74
	export RUN_ID RUNS_DIR RUN_DIR
}

# ve_audit STAGE EVENT [JSON-OBJECT]: one line of the run's audit log: when,
# which stage, what happened, with which programs' versions. One process
# writes AUDIT_LOG; RUN_DIR/audit.jsonl is written by one machine's steps in
# turn (a local run) or by aggregate.sh alone (Argo's, merged).
ve_audit() {
	if [ -n "${AUDIT_LOG:-}" ]; then
		mkdir -p "$(dirname "$AUDIT_LOG")" 2>/dev/null || return 0
	else
		[ -n "${RUN_DIR:-}" ] && [ -d "$RUN_DIR" ] || return 0
	fi
	jq -nc --arg ts "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg run "${RUN_ID:-}" \
		--arg tag "${MODEL_TAG:-}" --arg stage "$1" --arg event "$2" \
		--argjson extra "${3:-{\}}" \
		'{ts: $ts, run_id: $run, model_tag: $tag, stage: $stage, event: $event} + $extra' \
		>> "${AUDIT_LOG:-$RUN_DIR/audit.jsonl}"
}

# The versions of the programs a run used, as one JSON object.
ve_versions() {
	for t in ds-hash ds-lsh ds-anon ds-synth llm-query score-mcq score-gen lat-stats \
		ch-insert ch-query reg-check teams-card vllm-sim; do
		command -v "$t" >/dev/null 2>&1 && printf '%s\t%s\n' "$t" "$("$t" --version 2>/dev/null | cut -d' ' -f2)"
	done | jq -Rn '[inputs | split("\t") | {(.[0]): .[1]}] | add // {}'
}

# ve_argv_json ARG...: the arguments as a JSON array, every URL in them
# redacted.
ve_argv_json() {
	if [ $# -eq 0 ]; then
		echo '[]'
	else
		printf '%s\n' "$@" | jq -Rnc "$ve_jq_redact"'[inputs | redact]'
	fi
}

# ve_step NAME CMD...: runs a step, noting its start, end and status in the
# audit log; returns the command's status.
ve_step() {
	ve_name=$1
	shift
	ve_audit "$ve_name" start "{\"argv\":$(ve_argv_json "$@")}"
	ve_t0=$(date +%s)
	"$@"
	ve_rc=$?
	ve_audit "$ve_name" end "{\"status\":$ve_rc,\"seconds\":$(($(date +%s) - ve_t0))}"
	return $ve_rc
}

# ve_own_step "$@": a script an Argo pod runs (AUDIT_LOG set) is a step of
# its own, as release-eval.sh's ve_step makes it on one machine: it runs
# itself again, noting its start (its arguments and the programs' versions)
# and its end (status, seconds, whatever way it exits) in its audit file.
# Without AUDIT_LOG, and in the second run, nothing.
ve_own_step() {
	[ -n "${AUDIT_LOG:-}" ] && [ -z "${VE_OWN_STEP:-}" ] || return 0
	VE_OWN_STEP=1
	export VE_OWN_STEP
	ve_audit "${prog:-vllm-eval}" start "{\"argv\":$(ve_argv_json "${prog:-vllm-eval}" "$@"),\"versions\":$(ve_versions)}"
	ve_t0=$(date +%s)
	sh "$ve_here/${0##*/}" "$@"
	ve_rc=$?
	ve_audit "${prog:-vllm-eval}" end "{\"status\":$ve_rc,\"seconds\":$(($(date +%s) - ve_t0))}"
	exit $ve_rc
}

# ve_wait_endpoint URL: waits up to ENDPOINT_WAIT seconds (0: not at all)
# for the /health of URL's server (URL less any /v1...) to answer, as vLLM's
# does once the model is loaded: an Argo pod's vLLM sidecar starts with the
# step and loads the model for minutes. Exit 69 when it does not answer in
# time, 64 when ENDPOINT_WAIT is not a whole number.
ve_wait_endpoint() {
	case ${ENDPOINT_WAIT:-0} in
	*[!0-9]*) ve_die 64 "ENDPOINT_WAIT takes a whole number of seconds, got '$ENDPOINT_WAIT'" ;;
	esac
	[ "${ENDPOINT_WAIT:-0}" -gt 0 ] || return 0
	ve_health=$(printf '%s\n' "$1" | sed -E 's#/+$##; s#/v1(/.*)?$##')/health
	ve_until=$(($(date +%s) + ENDPOINT_WAIT))
	until curl -fsS -o /dev/null --max-time 5 "$ve_health" 2>/dev/null; do
		[ "$(date +%s)" -lt "$ve_until" ] || ve_die 69 "the endpoint's /health did not answer within $ENDPOINT_WAIT s"
		sleep 1
	done
}
