#!/bin/sh
# code-run benchmark (make bench): prints figures, passes or fails nothing.
#   per test, -j 1, one record of 20 stdin tests of a one-line program:
#     python3  python3 prog.py < in, directly (a shell loop: the fork and
#              exec a person timing it by hand pays too);
#     harness  python3 running code-run's driver on it directly, as in the
#              sandbox: LiveCodeBench's harness (its import header, its
#              wrapping), part of the grade, not of the sandbox;
#     code-run the same test graded by code-run, with namespaces and with
#              --no-namespaces (the layers a pod without them keeps);
#     overhead code-run's time per test less the harness's: the sandbox's
#              cost, the goal under 5 ms;
#   throughput: 200 problems x 20 tests, -j the CPUs, tests per second,
#     and the CPUs' busy share (user + system time over wall time x CPUs).
# 5 runs of the per-test figures, 3 of the throughput, medians.
set -eu
# Debian's python3 first, for the direct runs and for code-run alike (as
# root, code-run refuses a python3 its unprivileged user cannot reach).
PATH=/usr/bin:/bin:$PATH
BIN=${VE_BIN:-$(pwd)/bin}
SHARE=$(pwd)/share
export VLLM_EVAL_SHARE="$SHARE"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpus=$(nproc)

python3 - "$tmp" <<'PY'
import json, sys
out = sys.argv[1]
prog = "print(int(input()) * 2)\n"
def record(i, n):
    tests = [{"input": "%d\n" % (i * 100 + t), "output": "%d\n" % (2 * (i * 100 + t)),
              "testtype": "stdin"} for t in range(n)]
    return {"doc_id": "p%d" % i, "response": {"text": "```python\n" + prog + "```"},
            "public_test_cases": json.dumps(tests), "private_test_cases": "[]",
            "metadata": "{}"}
with open(out + "/one.jsonl", "w") as f:
    f.write(json.dumps(record(0, 20)) + "\n")
with open(out + "/many.jsonl", "w") as f:
    for i in range(200):
        f.write(json.dumps(record(i, 20)) + "\n")
with open(out + "/prog.py", "w") as f:
    f.write(prog)
with open(out + "/in", "w") as f:
    f.write("21\n")
PY
cp "$SHARE/code-run/driver.py" "$tmp/driver.py"

# now: seconds since the epoch, to the nanosecond
now() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# direct KIND: 20 runs of python3 on the test, in ms a run
direct() {
	t0=$(now)
	i=0
	while [ $i -lt 20 ]; do
		if [ "$1" = python3 ]; then
			python3 prog.py < in > /dev/null
		else
			python3 driver.py lcb-stdin 0 < in 3> /dev/null 4> /dev/null > /dev/null
		fi
		i=$((i + 1))
	done
	echo "$(now) $t0" | awk '{printf "%.3f\n", ($1 - $2) * 1000 / 20}'
}

# coderun OPTION...: one record of 20 tests, in ms a test
coderun() {
	t0=$(now)
	"$BIN/code-run" -q -j 1 "$@" one.jsonl > out.jsonl
	echo "$(now) $t0" | awk '{printf "%.3f\n", ($1 - $2) * 1000 / 20}'
	jq -e '.code_run.passed' out.jsonl > /dev/null || { echo "code-run.sh: the program failed" >&2; exit 1; }
}

cd "$tmp"
: > py.txt
: > harness.txt
: > ns.txt
: > nons.txt
for _ in 1 2 3 4 5; do
	direct python3 >> py.txt
	direct harness >> harness.txt
	coderun >> ns.txt
	coderun --no-namespaces >> nons.txt
done
py=$(median < py.txt)
harness=$(median < harness.txt)
ns=$(median < ns.txt)
nons=$(median < nons.txt)
layers=$(jq -r '.code_run.isolation | join(",")' out.jsonl)
echo "per test, ms (median of 5 runs of 20 tests, -j 1):"
echo "  python3 prog.py < in      $py"
echo "  harness, directly         $harness"
echo "  code-run                  $ns  (overhead $(echo "$ns $harness" | awk '{printf "%.2f", $1 - $2}'))"
echo "  code-run --no-namespaces  $nons  (overhead $(echo "$nons $harness" | awk '{printf "%.2f", $1 - $2}'); layers: $layers)"

: > tput.txt
for _ in 1 2 3; do
	t0=$(now)
	# user and system seconds of code-run and its programs
	/usr/bin/time -f '%U %S' -o cpu.txt "$BIN/code-run" -q many.jsonl > many.out
	t1=$(now)
	echo "$t1 $t0 $(cat cpu.txt) $cpus" |
		awk '{w = $1 - $2; printf "%.1f %.2f %.3f\n", 4000 / w, ($3 + $4) / (w * $5), w}' >> tput.txt
done
[ "$(jq -s 'map(select(.code_run.passed)) | length' many.out)" -eq 200 ] ||
	{ echo "code-run.sh: not every program passed" >&2; exit 1; }
echo "200 problems x 20 tests, -j $cpus (median of 3 runs):"
echo "  tests per second          $(cut -d' ' -f1 tput.txt | median)"
echo "  CPUs busy                 $(cut -d' ' -f2 tput.txt | median)"
echo "  seconds                   $(cut -d' ' -f3 tput.txt | median)"
