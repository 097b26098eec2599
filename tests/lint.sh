#!/bin/sh
# make lint: the code's formatting, banned functions, man pages.
set -u
rc=0
srcs=$(ls lib/*.c lib/*.h tools/*.c tests/bench/*.c tests/fuzz/*.c tests/fuzz/*.h 2>/dev/null)

# Banned functions: unbounded copies and unchecked conversions.
if grep -nE '\b(gets|sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok)[[:space:]]*\(' $srcs; then
	echo "lint: banned function above (use snprintf, ve_buf, ve_parse_long, strtok_r)" >&2
	rc=1
fi
# Formatting: clang-format must leave each file as it is.
if command -v clang-format >/dev/null; then
	for f in $srcs; do
		if ! clang-format --style=file "$f" | cmp -s - "$f"; then
			echo "lint: $f is not formatted (clang-format -i $f)" >&2
			rc=1
		fi
	done
else
	echo "lint: clang-format not installed; formatting not checked" >&2
fi
# Man pages: mdoc that mandoc accepts without a warning.
for m in man/*.[17]; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1)
	if [ -n "$out" ]; then
		echo "$out" >&2
		rc=1
	fi
done
# The tree stands alone: nothing cites a document a reader of the repository
# lacks (notes kept beside the checkout, or a requirements document), and no
# section number floats without the document it belongs to. Cite vllm-eval(7),
# a man page or a README section instead. The patterns are built from pieces
# so that this file does not match itself.
d=DES; d=${d}IGN
s=STY; s=${s}LE
p=PR; p=${p}D
sh=sha; sh=${sh}red
sect=$(printf '\302\247')
outside="\\b$d\\b|\\b$s\\.md\\b|\\b$p\\b|[Pp]roduct requirements|\\.\\./$sh\\b|/work/$sh\\b|\\b$sh/schemas"
# A section sign after punctuation or a lowercase word ("(S3.2)", "of S3.5"),
# not after a named work ("Numerical Recipes S6.4").
bare="(^|[^[:alnum:][:space:])]|[[:space:](][a-z][[:alnum:]-]*)[[:space:]]*$sect"
cited=$(LC_ALL=C grep -rnIE "$outside|$bare" tools lib pipelines tests man share \
	README.md Makefile .ci .clang-format 2>/dev/null | cut -d: -f1,2)
if [ -n "$cited" ]; then
	for at in $cited; do
		echo "lint: $at: cites a document outside the tree" >&2
	done
	echo "lint: cite vllm-eval(7), a man page or a README section instead" >&2
	rc=1
fi
# The pipelines are plain sh that shellcheck finds nothing in (sourced files
# are followed from the repository root, where their directives point).
if command -v shellcheck >/dev/null; then
	shellcheck -x pipelines/*.sh || {
		echo "lint: shellcheck found the above in pipelines/" >&2
		rc=1
	}
else
	echo "lint: shellcheck not installed; pipelines not checked" >&2
fi
# Every tool has its tests, its man page and a place in the README.
for src in tools/*.c; do
	t=$(basename "$src" .c)
	[ -e "tests/$t.bats" ] || { echo "lint: tests/$t.bats missing" >&2; rc=1; }
	[ -e "man/$t.1" ] || { echo "lint: man/$t.1 missing" >&2; rc=1; }
	grep -q -- "$t" README.md || { echo "lint: README.md never mentions $t" >&2; rc=1; }
done
[ $rc = 0 ] && echo "lint: ok"
exit $rc
