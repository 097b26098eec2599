#!/bin/sh
# Runs the valgrind tier of `make check`: tests/run-tier.sh valgrind FILE...,
# with the programs of BIN (the real ones, not the wrappers) to find the
# dynamic linker they use.
#   valgrind-tier.sh BIN FILE...
#
# A process a tool forks that is never waited for by a test (code-run's
# namespace holder, its sandboxes' helpers) cannot fail a test through its
# exit status: the tier also fails when any report in build/vg/logs holds
# a memcheck error (its lines begin "==PID==").
#
# Memcheck must read the dynamic linker's debugging symbols (Debian's
# libc6-dbg) to put its own strlen in place, and reads libc's from the same
# package while it is there: two thirds of every start-up under valgrind
# (0.2 of 0.3 s on the 2-core machine this was measured on), and the tier
# starts the tools some 1,800 times. As root, the tier runs in a mount
# namespace of its own in which /usr/lib/debug/.build-id holds the
# dynamic linker's file alone; reports lose only libc's line numbers.
# Where that cannot be had (not root, no unshare, no such file) the tier
# runs as it is.
set -u
bin=$1
shift
ids=/usr/lib/debug/.build-id
keep=$(pwd)/build/vg/debug
if [ "$(id -u)" = 0 ] && command -v unshare > /dev/null 2>&1 && command -v readelf > /dev/null 2>&1; then
	for prog in "$bin"/*; do break; done
	ld=$(readelf -l "$prog" 2> /dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	id=$(readelf -n "$ld" 2> /dev/null | sed -n 's/.*Build ID: *//p')
	sub=${id%"${id#??}"}
	file=$ids/$sub/${id#??}.debug
	if [ -n "$id" ] && [ -f "$file" ]; then
		rm -rf "$keep"
		mkdir -p "$keep/$sub"
		cp "$file" "$keep/$sub/"
		# shellcheck disable=SC2016 # the inner shell expands them
		if unshare -m --propagation private sh -c 'mount --bind "$1" "$2"' sh "$keep" "$ids" 2> /dev/null; then
			hide=1
		fi
	fi
fi
if [ "${hide:-0}" = 1 ]; then
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && shift 2 && exec sh tests/run-tier.sh valgrind "$@"' \
		sh "$keep" "$ids" "$@"
else
	sh tests/run-tier.sh valgrind "$@"
fi
rc=$?
bad=$(grep -l '^==[0-9]*== ' build/vg/logs/*.log 2> /dev/null)
if [ -n "$bad" ]; then
	echo "valgrind-tier.sh: memcheck reported errors in:" >&2
	for f in $bad; do
		echo "== $f" >&2
		head -n 40 "$f" >&2
	done
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
