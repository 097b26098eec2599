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
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=pipelines/dataset-lib.sh
. "$here/dataset-lib.sh"

usage() {
	cat <<USAGE
usage: $prog [-q] [-o DIR] [-t EXPR] [-a DATASET]... [-n NAME] [-V VERSION]
                          [-j J] [-d D] DATASET

Fetch DATASET (a directory or s3://BUCKET/PREFIX with manifest.yaml), verify it,
drop exact and near duplicates within it and against the -a datasets, and write
OUT/NAME.jsonl, OUT/manifest.yaml and OUT/summary.json.

  -o, --out DIR           output directory or s3:// prefix (default: prepared/NAME)
  -t, --text EXPR         jq expression for the text compared
                          (default: .text // .input // .question // .prompt)
  -a, --against DATASET   drop records duplicating one in DATASET (repeatable)
  -n, --name NAME         name in the new manifest (default: the source's)
  -V, --version VERSION   version in the new manifest (default: the source's)
  -j, --threshold J       ds-lsh --threshold (default 0.8)
  -d, --max-distance D    ds-lsh --max-distance (default 0.2)
  -q, --quiet             no summary on stdout
  -h, --help              this help

S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or S3_ACCESS_KEY_ID and
S3_SECRET_ACCESS_KEY), AWS_SESSION_TOKEN, AWS_REGION, S3_ENDPOINT_URL (MinIO). Exit: 0 ok, 64 usage, 65 bad data or a manifest
mismatch, 66 missing input, 74 I/O error, 75 S3 unavailable (retry).
USAGE
}

out='' text='.text // .input // .question // .prompt' name='' version='' quiet=''
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
	-q | --quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "$prog: unknown option '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || { echo "$prog: expected one DATASET" >&2; echo "Try '$prog --help' for more information." >&2; exit 64; }
src=$1
set -f

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

files=$(get_dataset "$src" "$work/src") || exit $?
name=${name:-$(manifest_field "$work/src/manifest.yaml" name)}
version=${version:-$(manifest_field "$work/src/manifest.yaml" version)}
[ -n "$name" ] || die 65 "$src/manifest.yaml: no name (give --name)"
case $name in */* | .* | *[[:space:]]*) die 64 "--name: '$name' is not a file name" ;; esac
out=${out:-prepared/$name}

hash_refs='' lsh_refs='' i=0
for a in $against; do
	i=$((i + 1))
	refs=$(get_dataset "$a" "$work/ref$i") || exit $?
	for f in $refs; do
		hash_refs="$hash_refs -a $f"
		lsh_refs="$lsh_refs -a $f"
	done
done

rc=0
# shellcheck disable=SC2086 # option lists split on purpose (set -f: no globbing)
ds-hash -v -k "$text" -n all $hash_refs $files > "$work/exact.jsonl" 2> "$work/hash.err" || rc=$?
[ $rc = 0 ] || step_failed "$work/hash.err" $rc
# shellcheck disable=SC2086
ds-lsh -v -t "$text" $lsh_opts $lsh_refs "$work/exact.jsonl" > "$work/near.jsonl" 2> "$work/lsh.err" || rc=$?
[ $rc = 0 ] || step_failed "$work/lsh.err" $rc

# shellcheck disable=SC2046 # four numbers
set -- $(vcounts "$work/hash.err")
read=$1 exact=$3
# shellcheck disable=SC2046 # four numbers
set -- $(vcounts "$work/lsh.err")
kept=$2 near=$3

mv "$work/near.jsonl" "$work/$name.jsonl"
(cd "$work" && ds-hash --manifest --name "$name" --version "$version" "$name.jsonl" > manifest.yaml) ||
	die 74 "cannot write the manifest"
jq -nc --arg d "$name" --arg v "$version" --argjson r "$read" --argjson e "$exact" \
	--argjson n "$near" --argjson k "$kept" \
	'{dataset:$d,version:$v,read:$r,exact_duplicates:$e,near_duplicates:$n,kept:$k}' > "$work/summary.json"
for f in "$name.jsonl" manifest.yaml summary.json; do
	publish "$work/$f" "$out/$f"
done
[ -n "$quiet" ] || printf '%s %s: read %s, exact duplicates %s, near duplicates %s, kept %s\n' \
	"$name" "$version" "$read" "$exact" "$near" "$kept"
