#!/bin/sh
# refresh-regression-set.sh — the daily job that refreshes the regression set
# from a snapshot of service queries:
#   snapshot -> ds-anon -> ds-hash -> ds-lsh (against the current set and the
#   benchmarks) -> seeded sample of the target size -> manifest -> publish
# It publishes DEST/DATE/{regression.jsonl,manifest.yaml,summary.json} and
# then adds DATE to DEST/index.txt. The current set is the one of the latest
# date in the index before DATE, so running again the same day compares with
# the same set, draws the same sample and writes the same bytes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=pipelines/dataset-lib.sh
. "$here/dataset-lib.sh"

usage() {
	cat <<USAGE
usage: $prog [-q] -s SNAPSHOT -p DEST [-b DATASET]... [-n SIZE] [--seed SEED]
                                  [--date YYYY-MM-DD] [-t EXPR] [-f EXPR]... [--salt-file FILE]

Build today's regression set from a snapshot of service queries (a JSONL file,
local or s3://), anonymised and without duplicates of the current set or the
benchmarks, and publish it under DEST (a directory or s3://BUCKET/PREFIX).

  -s, --snapshot SRC      the day's query snapshot (JSONL, may be compressed);
                          one ending in / holds them as DATE.jsonl
  -p, --publish DEST      where sets are published: DEST/DATE/ and DEST/index.txt
  -b, --benchmark DATASET a benchmark dataset to keep apart from (repeatable)
  -n, --size N            items in the set (default 1000)
      --seed SEED         sample seed (default: the date)
      --date DATE         the set's date (default: today, UTC)
  -t, --text EXPR         jq expression for the text compared
                          (default: .text // .input // .question // .prompt // tojson)
  -f, --field EXPR        ds-anon --field (repeatable; default every string)
      --salt-file FILE    ds-anon pseudonyms (default: \$ANON_SALT_FILE, if set)
  -q, --quiet             no summary on stdout
  -h, --help              this help

Defaults from the environment (an Argo step sets these): SNAPSHOT_URL,
PUBLISH_URL, BENCHMARKS (space-separated), TARGET_SIZE, ANON_SALT_FILE.
S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or S3_ACCESS_KEY_ID and
S3_SECRET_ACCESS_KEY), AWS_SESSION_TOKEN, AWS_REGION, S3_ENDPOINT_URL (MinIO).
Exit: 0 ok, 64 usage, 65 bad data, 66 missing input, 74 I/O error,
75 S3 unavailable (retry).
USAGE
}

usage_error() {
	echo "$prog: $*" >&2
	echo "Try '$prog --help' for more information." >&2
	exit 64
}

snapshot=${SNAPSHOT_URL:-} dest=${PUBLISH_URL:-} benchmarks=${BENCHMARKS:-}
size=${TARGET_SIZE:-1000} seed='' date='' quiet=''
text='.text // .input // .question // .prompt // tojson'
anon_opts=''
salt=${ANON_SALT_FILE:-}
while [ $# -gt 0 ]; do
	case $1 in
	-s | --snapshot) snapshot=${2?}; shift ;;
	-p | --publish) dest=${2?}; shift ;;
	-b | --benchmark) benchmarks="$benchmarks ${2?}"; shift ;;
	-n | --size) size=${2?}; shift ;;
	--seed) seed=${2?}; shift ;;
	--date) date=${2?}; shift ;;
	-t | --text) text=${2?}; shift ;;
	-f | --field) anon_opts="$anon_opts -f ${2?}"; shift ;;
	--salt-file) salt=${2?}; shift ;;
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
	shift
done
[ -n "$snapshot" ] || usage_error "--snapshot is required"
[ -n "$dest" ] || usage_error "--publish is required"
case $size in '' | *[!0-9]* | 0*) usage_error "--size: expected a positive integer, got '$size'" ;; esac
date=${date:-$(date -u +%F)}
if ! printf '%s\n' "$date" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' ||
	! epoch=$(date -u -d "$date" +%s 2>/dev/null); then
	usage_error "--date: expected YYYY-MM-DD, got '$date'"
fi
seed=${seed:-$date}
# A snapshot ending in / is a directory or prefix of daily files: DATE.jsonl in it.
case $snapshot in */) snapshot="${snapshot}$date.jsonl" ;; esac
printf '%s\n' "$seed" | grep -Eq '^[A-Za-z0-9._:-]+$' ||
	usage_error "--seed: letters, digits and . _ : - only, got '$seed'"
[ -z "$salt" ] || anon_opts="$anon_opts --salt-file $salt"
dest=${dest%/}
set -f

work=$(mktemp -d)
# EXIT cleans up; INT and TERM exit with 128 + the signal (an action
# other than exit would let the script go on), and EXIT cleans up then.
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The current set: the latest one published before today.
refs=''
if fetch_if_any "$dest/index.txt" "$work/index.txt"; then
	prev=$(grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' "$work/index.txt" | LC_ALL=C sort -u |
		awk -v d="$date" '$0 < d' | tail -1)
	if [ -n "$prev" ]; then
		current=$(get_dataset "$dest/$prev" "$work/current") || exit $?
		refs="$refs $current"
	fi
else
	: > "$work/index.txt"
fi
i=0
for b in $benchmarks; do
	i=$((i + 1))
	files=$(get_dataset "$b" "$work/bench$i") || exit $?
	refs="$refs $files"
done
against=''
for f in $refs; do
	against="$against -a $f"
done

if is_s3 "$snapshot"; then
	case $snapshot in
	*.gz | *.zst | *.xz | *.bz2 | *.tar | *.tgz | *.zip) snap="$work/snapshot.${snapshot##*.}" ;;
	*) snap="$work/snapshot.jsonl" ;;
	esac
	fetch "$snapshot" "$snap"
else
	[ -f "$snapshot" ] || die 66 "$snapshot: no such file"
	snap=$snapshot
fi

rc=0
# shellcheck disable=SC2086 # option lists split on purpose (set -f: no globbing)
ds-anon -v $anon_opts "$snap" 2> "$work/anon.err" > "$work/anon.jsonl" || rc=$?
[ $rc = 0 ] || step_failed "$work/anon.err" $rc
# shellcheck disable=SC2086
ds-hash -v -k "$text" -n all $against "$work/anon.jsonl" 2> "$work/hash.err" > "$work/exact.jsonl" || rc=$?
[ $rc = 0 ] || step_failed "$work/hash.err" $rc
# shellcheck disable=SC2086
ds-lsh -v -t "$text" $against "$work/exact.jsonl" 2> "$work/lsh.err" > "$work/fresh.jsonl" || rc=$?
[ $rc = 0 ] || step_failed "$work/lsh.err" $rc

# The seeded sample: the SIZE records with the least SHA-256 of
# "SEED:" + the record, kept in snapshot order. ds-hash --tag appends the
# digest; it is taken off again, leaving each line as it was.
# ds-hash writes to a file first: in a pipeline its exit status would be
# lost (sh has no pipefail) and a truncated set published.
ds-hash -t -k "\"$seed:\" + tojson" "$work/fresh.jsonl" 2> "$work/sample.err" > "$work/tagged.jsonl" || rc=$?
[ $rc = 0 ] || step_failed "$work/sample.err" $rc
tab=$(printf '\t')
sed -E 's/^\{"_hash":"sha256:([0-9a-f]{64})"\}$/\1\t{}/; s/^(.*),"_hash":"sha256:([0-9a-f]{64})"\}$/\2\t\1}/' "$work/tagged.jsonl" |
	awk '{ printf "%s\t%d\t%s\n", substr($0, 1, 64), NR, substr($0, 66) }' |
	LC_ALL=C sort -t "$tab" -k1,1 | head -n "$size" | LC_ALL=C sort -t "$tab" -k2,2n |
	cut -f3- > "$work/regression.jsonl" || die 74 "sampling failed"
# Every fresh record, or SIZE of them, must have come through.
available=$(wc -l < "$work/fresh.jsonl" | tr -d ' ')
want=$size
[ "$available" -ge "$size" ] || want=$available
got=$(wc -l < "$work/regression.jsonl" | tr -d ' ')
[ "$got" = "$want" ] || die 70 "sampling failed: $got records sampled, expected $want"

(cd "$work" && SOURCE_DATE_EPOCH=$epoch ds-hash --manifest --name regression --dataset-version "$date" \
	regression.jsonl > manifest.yaml) || die 74 "cannot write the manifest"

# shellcheck disable=SC2046 # four numbers
set -- $(vcounts "$work/hash.err")
read=$1 exact=$3
# shellcheck disable=SC2046 # four numbers
set -- $(vcounts "$work/lsh.err")
near=$3 fresh=$2
masked=$(sed -n 's/^ds-anon: read [0-9]*, changed \([0-9]*\);.*/\1/p' "$work/anon.err")
sampled=$(wc -l < "$work/regression.jsonl" | tr -d ' ')
jq -nc --arg d "$date" --arg s "$seed" --arg p "${prev:-}" --argjson r "$read" \
	--argjson m "$masked" --argjson e "$exact" --argjson n "$near" --argjson f "$fresh" \
	--argjson k "$sampled" --argjson z "$size" \
	'{date:$d,seed:$s,previous:(if $p == "" then null else $p end),read:$r,anonymised:$m,
	  exact_duplicates:$e,near_duplicates:$n,fresh:$f,sampled:$k,size:$z}' > "$work/summary.json"

for f in regression.jsonl manifest.yaml summary.json; do
	publish "$work/$f" "$dest/$date/$f"
done
# The index last: a run that fails before here leaves the published sets as they were.
{ cat "$work/index.txt"; echo "$date"; } | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' | LC_ALL=C sort -u > "$work/index.new"
publish "$work/index.new" "$dest/index.txt"

[ -n "$quiet" ] || printf 'regression %s: read %s (%s anonymised), exact duplicates %s, near duplicates %s, fresh %s, sampled %s of %s; published to %s/%s\n' \
	"$date" "$read" "$masked" "$exact" "$near" "$fresh" "$sampled" "$size" "$dest" "$date"
