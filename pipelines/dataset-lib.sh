# shellcheck shell=sh
# Shell functions shared by prepare-dataset.sh and refresh-regression-set.sh:
# messages, and reading and writing files that live in a local directory or
# in S3/MinIO (s3://BUCKET/KEY), fetched with curl's --aws-sigv4.
#
# S3 settings come from the environment, never from argv:
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  credentials (required for s3://;
#                                              S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
#                                              are read when these are unset)
#   AWS_SESSION_TOKEN                          sent as x-amz-security-token
#   AWS_REGION                                 default us-east-1
#   S3_ENDPOINT_URL                            e.g. http://minio:9000 (path-style);
#                                              default https://s3.REGION.amazonaws.com
#   S3_TIMEOUT                                 seconds one transfer may take
#                                              (default 600; connecting: 10)
# The credentials reach curl through a config on its stdin, so they never
# appear in a process listing.

# shellcheck disable=SC2034 # used by the scripts that source this file
prog=${0##*/}

die() {
	code=$1
	shift
	echo "$prog: $*" >&2
	exit "$code"
}

warn() {
	echo "$prog: $*" >&2
}

AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-${S3_ACCESS_KEY_ID:-}}
AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-${S3_SECRET_ACCESS_KEY:-}}

is_s3() {
	case $1 in s3://*) return 0 ;; *) return 1 ;; esac
}

# The HTTP URL of s3://BUCKET/KEY, path-style.
s3_http_url() {
	printf '%s/%s' "${S3_ENDPOINT_URL:-https://s3.${AWS_REGION:-us-east-1}.amazonaws.com}" "${1#s3://}"
}

# Escapes a value for a curl config file's double quotes.
curl_quote() {
	printf '%s' "$1" | sed 's/[\\"]/\\&/g'
}

s3_need_credentials() {
	if [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
		die 64 "$1: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for s3:// paths"
	fi
}

# s3_curl URL CURL-ARGS...: a signed request, as curl answers it.
s3_curl() {
	url=$1
	shift
	{
		printf 'user = "%s:%s"\n' "$(curl_quote "$AWS_ACCESS_KEY_ID")" "$(curl_quote "$AWS_SECRET_ACCESS_KEY")"
		[ -z "${AWS_SESSION_TOKEN:-}" ] ||
			printf 'header = "x-amz-security-token: %s"\n' "$(curl_quote "$AWS_SESSION_TOKEN")"
	} | curl -K - --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" -fsS --retry 3 \
		--retry-delay 1 --connect-timeout 10 --max-time "${S3_TIMEOUT:-600}" "$@" \
		"$(s3_http_url "$url")"
}

# fetch SRC DEST: copies a local file or downloads s3://... An answer of
# 4xx is final (66); no answer or 5xx after retries is temporary (75).
fetch() {
	if is_s3 "$1"; then
		s3_need_credentials "$1"
		code=$(s3_curl "$1" -o "$2" -w '%{http_code}' 2>/dev/null) && return 0
		case $code in
		4??) die 66 "$1: download failed (HTTP $code)" ;;
		000 | "") die 75 "$1: download failed (no answer)" ;;
		*) die 75 "$1: download failed (HTTP $code)" ;;
		esac
	else
		[ -f "$1" ] || die 66 "$1: no such file"
		cp "$1" "$2" || die 74 "$1: cannot copy"
	fi
}

# fetch_if_any SRC DEST: like fetch, but a missing object or file is no error (returns 1).
fetch_if_any() {
	if is_s3 "$1"; then
		s3_need_credentials "$1"
		code=$(s3_curl "$1" -o "$2" -w '%{http_code}' 2>/dev/null) && return 0
		rm -f "$2"
		case $code in
		404) return 1 ;;
		4??) die 66 "$1: download failed (HTTP $code)" ;;
		000 | "") die 75 "$1: download failed (no answer)" ;;
		*) die 75 "$1: download failed (HTTP $code)" ;;
		esac
	fi
	[ -f "$1" ] || return 1
	cp "$1" "$2" || die 74 "$1: cannot copy"
}

# publish FILE DEST: uploads to s3://... or copies into place atomically.
publish() {
	if is_s3 "$2"; then
		s3_need_credentials "$2"
		code=$(s3_curl "$2" -T "$1" -o /dev/null -w '%{http_code}' 2>/dev/null) && return 0
		case $code in
		4??) die 74 "$2: upload refused (HTTP $code)" ;;
		000 | "") die 75 "$2: upload failed (no answer)" ;;
		*) die 75 "$2: upload failed (HTTP $code)" ;;
		esac
	else
		mkdir -p "$(dirname "$2")" || die 74 "$2: cannot create its directory"
		cp "$1" "$2.tmp.$$" || die 74 "$2: cannot write"
		mv -f "$2.tmp.$$" "$2" || die 74 "$2: cannot write"
	fi
}

# The files a ds-hash manifest lists (its "  - path:" lines), one a line.
manifest_paths() {
	sed -n 's/^  - path: "\(.*\)"$/\1/p' "$1"
}

# A top-level scalar of a manifest (name, version).
manifest_field() {
	sed -n "s/^$2: \"\(.*\)\"\$/\1/p" "$1" | head -1
}

# get_dataset SRC DIR: SRC is a dataset directory or s3:// prefix holding
# manifest.yaml and the files it lists (relative paths without white space);
# copies them into DIR, checks them against the manifest with ds-hash
# --check, and prints their paths in DIR. Run it in $(...) and exit with its
# status: `files=$(get_dataset ...) || exit $?`.
get_dataset() {
	src=${1%/}
	dir=$2
	mkdir -p "$dir" || die 74 "$dir: cannot create"
	fetch "$src/manifest.yaml" "$dir/manifest.yaml"
	paths=$(manifest_paths "$dir/manifest.yaml")
	[ -n "$paths" ] || die 65 "$src/manifest.yaml: lists no files"
	for p in $paths; do
		case $p in /* | *..*) die 65 "$src/manifest.yaml: path '$p' leaves the dataset" ;; esac
		mkdir -p "$dir/$(dirname "$p")"
		fetch "$src/$p" "$dir/$p"
	done
	(cd "$dir" && ds-hash -q --check manifest.yaml > check.out) ||
		die 65 "$src: does not match its manifest: $(grep -v ': OK$' "$dir/check.out" |
			awk 'NR > 1 { printf "; " } { printf "%s", $0 }')"
	for p in $paths; do
		printf '%s\n' "$dir/$p"
	done
}

# The figures of a ds-hash or ds-lsh -v line: "READ KEPT DROPPED AGAINST".
vcounts() {
	sed -n 's/^[a-z-]*: read \([0-9]*\), kept \([0-9]*\), dropped \([0-9]*\) (\([0-9]*\) .*/\1 \2 \3 \4/p' "$1"
}

# step_failed ERRFILE STATUS: a tool failed; show its messages but not its -v counts.
step_failed() {
	grep -Ev '^[a-z-]+: read [0-9]+, ' "$1" >&2 || true
	exit "$2"
}
