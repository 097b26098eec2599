#!/bin/sh
# prepare-dataset.sh — the prepare-dataset step: fetch a dataset, verify its
# manifest, drop exact duplicates (ds-hash, normalised text) and near
# duplicates (ds-lsh) within it and against other datasets, and write the
# prepared JSONL with a new manifest. Prints a summary line:
#   NAME VERSION: read R, exact duplicates E, near duplicates N, kept K
# and writes the same figures to OUT/summary.json.
#
# A dataset is a directory or an s3:// prefix holding manifest.yaml (as
# `ds-hash --manifest` writes it, paths relative to it) and its files.
#
# With --suite NAME it prepares the task data of a benchmark suite of
# share/suites.json instead (what the Argo prepare-dataset step runs): each
# task's data file, deduplicated within itself and against its few-shot pool
# and the -a datasets, is written to OUT under its own name, next to an
# unchanged copy of the pool, for run-benchmarks.sh --data OUT.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=pipelines/dataset-lib.sh
. "$here/dataset-lib.sh"

usage() {
	cat <<USAGE
usage: $prog [-q] [-o DIR] [-t EXPR] [-a DATASET]... [-n NAME] [-V VERSION]
                          [-j J] [-d D] DATASET
       $prog [-q] [-o DIR] [-t EXPR] [-a DATASET]... [-V VERSION] [-j J] [-d D]
                          --suite NAME [--suites FILE] [--data DIR]

Fetch DATASET (a directory or s3://BUCKET/PREFIX with manifest.yaml), verify it,
drop exact and near duplicates within it and against the -a datasets, and write
OUT/NAME.jsonl, OUT/manifest.yaml and OUT/summary.json.

  -o, --out DIR           output directory or s3:// prefix (default: prepared/NAME)
  -t, --text EXPR         jq expression for the text compared
                          (default: .text // .input // .question // .prompt // tojson)
  -a, --against DATASET   drop records duplicating one in DATASET (repeatable)
  -n, --name NAME         name in the new manifest (default: the source's)
  -V, --version VERSION   version in the new manifest (default: the source's)
  -j, --threshold J       ds-lsh --threshold (default 0.8)
  -d, --max-distance D    ds-lsh --max-distance (default 0.2)
  -s, --suite NAME        prepare the task data of suite NAME of --suites
      --suites FILE       suites and tasks (default: share/suites.json)
      --data DIR          the suites' data files (default: share/data)
  -q, --quiet             no summary on stdout
  -h, --help              this help

S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or S3_ACCESS_KEY_ID and
S3_SECRET_ACCESS_KEY), AWS_SESSION_TOKEN, AWS_REGION, S3_ENDPOINT_URL (MinIO). Exit: 0 ok, 64 usage, 65 bad data or a manifest
mismatch, 66 missing input, 74 I/O error, 75 S3 unavailable (retry).
USAGE
}

out='' text='.text // .input // .question // .prompt // tojson' name='' version='' quiet=''
suite='' suites='' data=''
lsh_opts=''
against=''
while [ $# -gt 0 ]; do
	case $1 in
	-o | --out) out=${2?}; shift ;;
	-t | --text) text=${2?}; shift ;;
	-a | --against) against="$against ${2?}"; shift ;;
	-n | --name) name=${2?}; shift ;;
	-V | --version) version=${2?}; shift ;;
	-j | --threshold) lsh_opts="$lsh_opts --threshold ${2?}"; shift ;;
	-d | --max-distance) lsh_opts="$lsh_opts --max-distance ${2?}"; shift ;;
	-s | --suite) suite=${2?}; shift ;;
	--suites) suites=${2?}; shift ;;
	--data) data=${2?}; shift ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "$prog: unknown option '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	*) break ;;
	esac
	shift
done
usage_error() {
	echo "$prog: $*" >&2
	echo "Try '$prog --help' for more information." >&2
	exit 64
}

if [ -n "$suite" ]; then
	[ $# -eq 0 ] || usage_error "--suite takes no DATASET"
else
	[ $# -eq 1 ] || usage_error "expected one DATASET"
	[ -z "$suites$data" ] || usage_error "--suites and --data go with --suite"
fi
set -f

work=$(mktemp -d)
# EXIT cleans up; INT and TERM exit with 128 + the signal (an action
# other than exit would let the script go on), and EXIT cleans up then.
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The -a datasets, fetched and checked once.
ref_files='' i=0
for a in $against; do
	i=$((i + 1))
	refs=$(get_dataset "$a" "$work/ref$i") || exit $?
	ref_files="$ref_files $refs"
done

# dedup OUT FILE... [-- REF...]: exact then near duplicates of FILEs dropped,
# within them and against the REFs; sets read, exact, near and kept.
dedup() {
	dout=$1
	shift
	dfiles='' drefs='' past=''
	for f in "$@"; do
		if [ "$f" = -- ]; then
			past=1
		elif [ -n "$past" ]; then
			drefs="$drefs -a $f"
		else
			dfiles="$dfiles $f"
		fi
	done
	rc=0
	# shellcheck disable=SC2086 # option lists split on purpose (set -f: no globbing)
	ds-hash -v -k "$text" -n all $drefs $dfiles > "$work/exact.jsonl" 2> "$work/hash.err" || rc=$?
	[ $rc = 0 ] || step_failed "$work/hash.err" $rc
	# shellcheck disable=SC2086
	ds-lsh -v -t "$text" $lsh_opts $drefs "$work/exact.jsonl" > "$dout" 2> "$work/lsh.err" || rc=$?
	[ $rc = 0 ] || step_failed "$work/lsh.err" $rc
	# shellcheck disable=SC2046 # four numbers
	set -- $(vcounts "$work/hash.err")
	read=$1 exact=$3
	# shellcheck disable=SC2046 # four numbers
	set -- $(vcounts "$work/lsh.err")
	kept=$2 near=$3
}

# summary NAME: one line of figures, as JSON.
summary() {
	jq -nc --arg d "$1" --arg v "$version" --argjson r "$read" --argjson e "$exact" \
		--argjson n "$near" --argjson k "$kept" \
		'{dataset:$d,version:$v,read:$r,exact_duplicates:$e,near_duplicates:$n,kept:$k}'
}

say() {
	[ -n "$quiet" ] || printf '%s %s: read %s, exact duplicates %s, near duplicates %s, kept %s\n' \
		"$1" "$version" "$read" "$exact" "$near" "$kept"
}

if [ -z "$suite" ]; then
	src=$1
	files=$(get_dataset "$src" "$work/src") || exit $?
	name=${name:-$(manifest_field "$work/src/manifest.yaml" name)}
	version=${version:-$(manifest_field "$work/src/manifest.yaml" version)}
	[ -n "$name" ] || die 65 "$src/manifest.yaml: no name (give --name)"
	case $name in */* | .* | *[[:space:]]*) die 64 "--name: '$name' is not a file name" ;; esac
	out=${out:-prepared/$name}
	# shellcheck disable=SC2086
	dedup "$work/$name.jsonl" $files -- $ref_files
	(cd "$work" && ds-hash --manifest --name "$name" --dataset-version "$version" "$name.jsonl" > manifest.yaml) ||
		die 74 "cannot write the manifest"
	summary "$name" > "$work/summary.json"
	for f in "$name.jsonl" manifest.yaml summary.json; do
		publish "$work/$f" "$out/$f"
	done
	say "$name"
	exit 0
fi

# Suite mode: share/ as the other pipeline scripts find it.
if [ -z "${VLLM_EVAL_SHARE:-}" ]; then
	if [ -d "$here/../share" ]; then
		VLLM_EVAL_SHARE=$(cd "$here/../share" && pwd)
	else
		VLLM_EVAL_SHARE=/usr/local/share/vllm-eval
	fi
fi
suites=${suites:-$VLLM_EVAL_SHARE/suites.json}
data=${data:-$VLLM_EVAL_SHARE/data}
version=${version:-prepared}
out=${out:-prepared/$suite}
[ -r "$suites" ] || die 66 "$suites: cannot read"
jq -e --arg s "$suite" '.suites[$s] | arrays' "$suites" > /dev/null ||
	die 64 "--suite: no suite '$suite' in $suites"
if [ -f "$data/manifest.yaml" ]; then
	(cd "$data" && ds-hash -q --check manifest.yaml > "$work/check.out") ||
		die 65 "$data: does not match its manifest: $(grep -v ': OK$' "$work/check.out" |
			awk 'NR > 1 { printf "; " } { printf "%s", $0 }')"
fi
mkdir -p "$work/out"
: > "$work/out/summary.jsonl"
made=''
for task in $(jq -r --arg s "$suite" '[.suites[$s][].task] | unique[]' "$suites"); do
	spec=$(jq -c --arg t "$task" '.tasks[$t] // empty' "$suites")
	[ -n "$spec" ] || die 65 "$suites: suite '$suite' names task '$task', which it does not define"
	datafile=$(printf '%s' "$spec" | jq -r '.data // empty')
	fewshot=$(printf '%s' "$spec" | jq -r '.fewshot // empty')
	[ -n "$datafile" ] || die 65 "$suites: task '$task' has no data"
	datafile=${datafile##*/} fewshot=${fewshot##*/}
	[ -r "$data/$datafile" ] || die 66 "$task: $data/$datafile: cannot read"
	pool=''
	if [ -n "$fewshot" ]; then
		[ -r "$data/$fewshot" ] || die 66 "$task: $data/$fewshot: cannot read"
		pool=$data/$fewshot
		cp "$data/$fewshot" "$work/out/$fewshot" || die 74 "$fewshot: cannot copy"
		made="$made $fewshot"
	fi
	# shellcheck disable=SC2086
	dedup "$work/out/$datafile" "$data/$datafile" -- $pool $ref_files
	made="$made $datafile"
	summary "$task" >> "$work/out/summary.jsonl"
	say "$task"
done
# shellcheck disable=SC2086 # the file names (set -f: no globbing)
(cd "$work/out" && ds-hash --manifest --name "$suite" --dataset-version "$version" $made > manifest.yaml) ||
	die 74 "cannot write the manifest"
for f in $made summary.jsonl manifest.yaml; do
	publish "$work/out/$f" "$out/$f"
done
