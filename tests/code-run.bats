#!/usr/bin/env bats
# code-run: programs from model replies run against their tests in a
# sandbox, graded as LiveCodeBench and HumanEval grade them.
#
# Expected statuses for LiveCodeBench programs are what its own grader
# said: LiveCodeBench's run_test (lcb_runner/evaluation/testing_util.py at
# commit 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24) was run with Debian 12's
# python3 on each program and test below, and returned True, -2 (wrong
# answer) or -4 (runtime error) as written next to each. HumanEval's are
# what human_eval/execution.py (commit 6d43fb98) does with the program.
#
# The hostile programs run once for the file (setup_file), with namespaces
# and without, and each test below reads its record from those runs.

bats_require_minimum_version 1.5.0
load helper

# python3 from the system: nobody (whom root's programs run as) can read it.
PATH="$VE_BIN:/usr/bin:/bin:$PATH"
export VLLM_EVAL_SHARE="$VE_ROOT/share"

# Namespaces where this machine gives them; valgrind's own log files
# cannot be written under the read-only root, so its tier runs without.
ns_available() {
	[ "$VE_TIER" != valgrind ] &&
		unshare --user --map-root-user --pid --fork --net --mount --ipc --uts true 2> /dev/null
}

# Landlock where the kernel has it (valgrind does not pass its calls on).
landlock_available() {
	[ "$VE_TIER" != valgrind ] &&
		python3 -c 'import ctypes, sys; sys.exit(ctypes.CDLL(None).syscall(444, None, 0, 1) < 1)'
}

# The isolation a run has here: $1 is ns or plain.
expected_isolation() {
	local l='"rlimit","seccomp","no_new_privs","pgroup","subreaper"'
	landlock_available && l="$l,\"landlock\""
	[ "$(id -u)" = 0 ] && l="$l,\"setuid\""
	[ "$1" = ns ] && l="$l,\"userns\",\"pidns\",\"netns\",\"mountns\",\"ipcns\",\"utsns\""
	echo "[$l]"
}

# Writes LiveCodeBench records, one per rec(NAME, PROGRAM, TESTS[, FUNC]) in
# the Python on stdin, to $1 (in.jsonl): the reply fences PROGRAM, TESTS
# are (input, output) pairs, published as LiveCodeBench publishes them (a
# JSON string holding the list; metadata a JSON string too).
lcb_records() {
	python3 -c '
import json, sys
def rec(name, program, tests, func=None, reply=None, **extra):
    cases = [{"input": i, "output": o, "testtype": "functional" if func else "stdin"}
             for i, o in tests]
    r = {"name": name,
         "response": {"text": reply if reply is not None else "Here:\n```python\n" + program + "\n```\n"},
         "public_test_cases": json.dumps(cases), "private_test_cases": "[]",
         "metadata": json.dumps({"func_name": func} if func else {})}
    r.update(extra)
    print(json.dumps(r, ensure_ascii=False))
exec(sys.stdin.read())' > "${1:-in.jsonl}"
}

# Replaces what changes from run to run: times, memory, the isolation list.
norm() {
	sed -E 's/"time_ms":[0-9.]+/"time_ms":T/g; s/"memory_kb":[0-9]+/"memory_kb":M/g;
		s/"isolation":\["[^]]*\]/"isolation":I/g'
}

# name, passed, statuses of the records in $output.
verdicts() {
	jq -c '[.name, .code_run.passed, [.code_run.tests[].status]]' <<< "$output"
}

# The hostile programs' input: each hostile record is followed by a good
# one, which must pass. MARK is in the command line of every process a
# hostile program leaves running (it executes python3 -c with MARK in the
# code), so pgrep -f finds any that survived.
hostile_records() {
	MARK="$MARK" PORT="$PORT" OUTSIDE="$OUTSIDE" lcb_records "$1" <<'EOF'
import os
mark, port, outside = os.environ["MARK"], os.environ["PORT"], os.environ["OUTSIDE"]
ok = [("", "ok")]
def spawn(code):
    # a process whose command line carries the mark (no import inside the
    # program's body: LiveCodeBench's wrapping would make os a local there)
    return "os.execv(sys.executable, [sys.executable, '-c', %r])" % (code + "\n# " + mark)
bomb = "import posix\nwhile True:\n    try:\n        posix.fork()\n    except OSError:\n        pass"
hostile = [
    ("forkbomb", "import os, sys\n" + spawn(bomb)),
    ("spin", "import os, sys\n" + spawn("while True: pass")),
    ("alloc", "x = bytearray(10 << 30)\nprint('ok')"),
    ("stdout", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"),
    ("file", "with open('big', 'w') as f:\n    while True:\n        f.write('x' * 65536)"),
    ("socket", "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', %s))\nprint('ok')" % port),
    ("secret", "import os, glob\nfound = [os.environ.get('CODE_RUN_SECRET', '')]\n"
               "for p in glob.glob('/proc/*/environ'):\n    try:\n        found.append(open(p, 'rb').read().decode())\n"
               "    except OSError:\n        pass\nprint('hunter2' if any('hunter2' in f for f in found) else 'absent')"),
    ("outside", "open(%r, 'w').write('x')\nprint('ok')" % (outside + "/escaped")),
    ("killparent", "import os, posix\nposix.kill(os.getppid(), 9)\nprint('ok')"),
    ("sleep", "import os, sys\n" + spawn("import time\ntime.sleep(60)")),
    # the parent waits until the daemon has left its process group
    ("daemon", "import os, posix, sys, time\nif posix.fork() == 0:\n    os.setsid()\n    if posix.fork() == 0:\n        "
               + spawn("import time\ntime.sleep(20)\nopen(%r, 'w').write('x')" % (outside + "/daemon")).replace("\n", "\n        ")
               + "\n    os._exit(0)\ntime.sleep(0.5)\nprint('ok')"),
    # a tree its remover must go down into and back up, through modes that keep others out
    ("tree", "import posix\nfor d in ('d', 'd/e', 'd/e/f'):\n    posix.mkdir(d)\n"
             "    posix.close(posix.open(d + '/x', posix.O_CREAT | posix.O_WRONLY))\n"
             "posix.chmod('d/e/f', 0)\nposix.chmod('d/e', 0o500)\nprint('ok')"),
]
for name, program in hostile:
    rec(name, program, [("", "hunter2")] if name == "secret" else ok)
    rec("good-after-" + name, "print('ok')", ok)
EOF
}

# What each layer shows a program: records whose expected output is the
# fact as it should be ($1: ns or plain).
layer_records() {
	NS="$1" ROOT="$(id -u)" lcb_records "$2" <<'EOF'
import os
ns, root = os.environ["NS"] == "ns", os.environ["ROOT"] == "0"
rec("seccomp-socket", "import socket\ntry:\n    socket.socket()\nexcept OSError as e:\n    print(e.errno)", [("", "1")])
rec("seccomp-mode", "import ctypes\nprint(ctypes.CDLL(None).prctl(21, 0, 0, 0, 0))", [("", "2")])
rec("no-new-privs", "import ctypes\nprint(ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))", [("", "1")])
rec("pgroup", "import os\nprint(os.getsid(0) == os.getpid() == os.getpgid(0))", [("", "True")])
rec("rlimits", "import sys, importlib\ndel sys.modules['resource']\nr = importlib.import_module('resource')\n"
    "print(*(r.getrlimit(x) for x in (r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_FSIZE, r.RLIMIT_CORE)))",
    [("", "(1, 2) (4294967296, 4294967296) (1048576, 1048576) (0, 0)")])
rec("environment", "import os\nprint(*sorted(os.environ))",
    [("", "HOME LANG OMP_NUM_THREADS PATH PYTHONDONTWRITEBYTECODE PYTHONHASHSEED TMPDIR")])
# its parent's limits, priority, CPUs, an fd's owner: EPERM (1); its own, allowed
rec("seccomp-others", "import fcntl, importlib, os, sys\ndel sys.modules['resource']\n"
    "r = importlib.import_module('resource')\npp = os.getppid()\ndef tried(f):\n    try:\n"
    "        f()\n        return 'ok'\n    except OSError as e:\n        return e.errno\n"
    "print(tried(lambda: r.prlimit(pp, r.RLIMIT_CPU, (1, 1))), tried(lambda: os.setpriority(os.PRIO_PROCESS, pp, 19)),\n"
    "      tried(lambda: os.setpriority(os.PRIO_USER, 0, 19)), tried(lambda: os.sched_setaffinity(pp, {0})),\n"
    "      tried(lambda: fcntl.fcntl(1, fcntl.F_SETOWN, pp)), tried(lambda: r.prlimit(0, r.RLIMIT_CORE, (0, 0))),\n"
    "      tried(lambda: os.setpriority(os.PRIO_PROCESS, 0, 1)), tried(lambda: os.sched_setaffinity(0, os.sched_getaffinity(0))))",
    [("", "1 1 1 1 1 ok ok ok")])
# memory outside RLIMIT_AS: EPERM for memfd_create, shmget (IPC_PRIVATE, 4096 bytes, IPC_CREAT|0600), mq_open
rec("seccomp-ipc", "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\ntry:\n    os.memfd_create('x')\n"
    "except OSError as e:\n    print(e.errno)\nprint(libc.shmget(0, 4096, 0o1600), ctypes.get_errno())\n"
    "print(libc.mq_open(b'/x', 0o100 | 2, 0o600, None), ctypes.get_errno())",
    [("", "1\n-1 1\n-1 1")])
rec("landlock-proc", "print(open('/proc/self/status').read()[:0] + 'read')", [("", "read")])
if ns:
    rec("pidns", "import os\nprint(os.getpid(), os.getppid())", [("", "2 1")])
    rec("userns", "import os\nprint(os.getuid(), os.getgid())", [("", "1000 1000")])
    rec("mountns-tmp", "import posix\nprint(posix.getcwd(), sorted(posix.listdir('/tmp')))",
        [("", "/tmp ['driver.py', 'input', 'prog.py']")])
    rec("mountns-readonly", "open('/usr/code-run-probe', 'w')", [("", "")])
    rec("nproc", "import sys, importlib\ndel sys.modules['resource']\n"
        "r = importlib.import_module('resource')\nprint(r.getrlimit(r.RLIMIT_NPROC))",
        [("", "(64, 64)")])
else:
    rec("setuid", "import os\nprint(os.getuid())", [("", "65534" if root else str(os.getuid()))])
EOF
}

# Working directories go in a folder of the test's own that nobody may
# enter (as root, programs run as nobody); it must be empty afterwards.
new_tmpdir() {
	local t
	t=$(mktemp -d /tmp/code-run-bats.XXXXXX) && chmod 755 "$t" && echo "$t"
}

setup_file() {
	local dir="$BATS_FILE_TMPDIR"
	export MARK="cr-hostile-$$-$RANDOM"
	OUTSIDE="$dir/outside"
	mkdir -p "$OUTSIDE"
	PORT=$(ve_free_port)
	# A listener that notes any connection it is offered.
	python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5); s.settimeout(60)
try:
    c, _ = s.accept(); open(sys.argv[2], "w").write("connected")
except OSError:
    pass' "$PORT" "$OUTSIDE/connection" > /dev/null 2>&1 3>&- &
	echo $! > "$dir/listener.pid"
	hostile_records "$dir/hostile.jsonl"
	local modes="plain"
	ns_available && modes="ns plain"
	for m in $modes; do
		local opt=""
		[ "$m" = plain ] && opt=--no-namespaces
		layer_records "$m" "$dir/layers-$m.jsonl"
		new_tmpdir > "$dir/tmpdir-$m"
		rc=0
		TMPDIR="$(cat "$dir/tmpdir-$m")" CODE_RUN_SECRET=hunter2 code-run $opt --time-limit 1 \
			--output-limit 1M "$dir/hostile.jsonl" "$dir/layers-$m.jsonl" \
			> "$dir/out-$m.jsonl" 2> "$dir/err-$m.txt" || rc=$?
		echo "$rc" > "$dir/rc-$m"
	done
	# Anything left would still be running: the daemon sleeps 20 s, then writes.
	sleep 0.5
	kill "$(cat "$dir/listener.pid")" 2> /dev/null || true
	wait
}

teardown_file() {
	for f in "$BATS_FILE_TMPDIR"/tmpdir-*; do
		[ -e "$f" ] && rm -rf "$(cat "$f")"
	done
	return 0
}

setup() {
	setup_scratch
	# Most tests run as this machine runs them; valgrind's tier, and a
	# machine without user namespaces, without them.
	NS=()
	NS_MODE=ns
	if ! ns_available; then
		NS=(--no-namespaces)
		NS_MODE=plain
	fi
	TMPDIR=$(new_tmpdir)
	export TMPDIR
	# directories of a test's own outside its scratch directory, removed after it
	CLEAN=()
}

teardown() {
	rm -rf "$TMPDIR" "${CLEAN[@]}"
}

# Loads the hostile run of mode $1 into output, or skips when there was none.
hostile_run() {
	[ -e "$BATS_FILE_TMPDIR/rc-$1" ] || skip "no namespaces here"
	output=$(cat "$BATS_FILE_TMPDIR/out-$1.jsonl")
}

# The tests of record $2 of the hostile run $1: [status, exit, signal].
ended() {
	jq -c --arg n "$2" 'select(.name == $n) | .code_run |
		[.passed, .tests_run, (.tests[] | [.status, .exit, .signal])]' \
		"$BATS_FILE_TMPDIR/out-$1.jsonl"
}

@test "code-run: hostile programs: the runs end well and every good record after one passes" {
	for m in ns plain; do
		hostile_run "$m"
		assert_equal "$(cat "$BATS_FILE_TMPDIR/rc-$m")" 0
		assert_equal "$(cat "$BATS_FILE_TMPDIR/err-$m.txt")" ""
		assert_equal "$(jq -c 'select(.name | startswith("good")) | .code_run.passed' <<< "$output" | sort -u)" true
		assert_equal "$(jq -c 'select(.name | startswith("good")) | .name' <<< "$output" | wc -l)" 12
		assert_equal "$(jq -c '.code_run.isolation' <<< "$output" | sort -u)" "$(expected_isolation "$m")"
	done
}

@test "code-run: nothing of the hostile programs is left: no process, no file, no working directory" {
	for m in ns plain; do
		[ -e "$BATS_FILE_TMPDIR/rc-$m" ] || continue
		# its working directory, a tree of modes 0 and 0500, is removed all the same
		assert_equal "$(ended "$m" tree)" '[true,1,["passed",0,null]]'
	done
	run pgrep -f "$MARK"
	assert_failure 1
	assert_output ""
	run ls -A "$BATS_FILE_TMPDIR/outside"
	assert_success
	assert_output ""
	for m in ns plain; do
		[ -e "$BATS_FILE_TMPDIR/rc-$m" ] || continue
		run ls -A "$(cat "$BATS_FILE_TMPDIR/tmpdir-$m")"
		assert_success
		assert_output ""
	done
}

@test "code-run: a directory moved away from under the remover does not lead it outside the working directory" {
	# A program builds a/b/c with 10000 files and ends (a removal long
	# enough for the watcher to catch on a loaded machine). While the remover
	# is emptying c, a process of the program's user (here this test; a
	# program running beside it without namespaces or Landlock could)
	# moves a/b into x of a directory outside, so that ".." from c leads to
	# x and then to that directory: the remover must stop there, not empty
	# it (as root, it would empty whatever is there). The race is won when
	# c still holds files after the move: the watcher says "moved".
	outside=$(new_tmpdir)
	CLEAN+=("$outside")
	mkdir "$outside/x"
	echo keep > "$outside/marker"
	python3 -c '
import glob, os, sys, time
tmp, outside, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline, c = time.time() + 30, None
while c is None and time.time() < deadline:
    found = glob.glob(tmp + "/code-run.*/a/b/c")
    c = found[0] if found else None
def count():
    try:
        return len(os.listdir(c))
    except OSError:
        return -1
# until all n are there, or fewer than last time (the removal began
# between two looks), then while all n stay
prev = k = 0
while c and time.time() < deadline and 0 <= k < n and k >= prev:
    prev, k = k, count()
while c and time.time() < deadline and k == n:
    k = count()
try:
    os.rename(os.path.dirname(c), outside + "/x/b")
    print("moved" if os.listdir(outside + "/x/b/c") else "late: c was empty")
except (OSError, TypeError) as e:
    print("late:", e)' "$TMPDIR" "$outside" 10000 > watcher.out &
	lcb_records <<'EOF'
rec("made", """import posix
for d in ("a", "a/b", "a/b/c"):
    posix.mkdir(d)
for i in range(10000):
    posix.close(posix.open("a/b/c/%d" % i, posix.O_CREAT | posix.O_WRONLY))
print("made")""", [("", "made")])
EOF
	run --separate-stderr code-run "${NS[@]}" --time-limit 20 in.jsonl
	wait
	assert_equal "$(cat watcher.out)" moved
	assert_failure 73
	assert_output ""
	[[ "$stderr" =~ ^code-run:\ $TMPDIR/code-run\.[A-Za-z0-9]{6}:\ cannot\ remove\ a\ working\ directory$ ]]
	# what was outside stays; of what was moved there, the remover went
	# through only b, which it had entered before (now empty)
	assert_equal "$(cd "$outside" && find . | sort)" '.
./marker
./x
./x/b'
	assert_equal "$(cat "$outside/marker")" keep
}

@test "code-run: a fork bomb, a busy loop and a sleep end at the time limit, killed" {
	for m in ns plain; do
		hostile_run "$m"
		assert_equal "$(ended "$m" forkbomb)" '[false,1,["time_limit",null,9]]'
		assert_equal "$(ended "$m" spin)" '[false,1,["time_limit",null,9]]'
		assert_equal "$(ended "$m" sleep)" '[false,1,["time_limit",null,9]]'
	done
}

@test "code-run: 10 GB of memory is a memory_limit; 10 GB to stdout or to a file an output_limit" {
	for m in ns plain; do
		hostile_run "$m"
		# MemoryError, caught by the driver: RLIMIT_AS is 4096 MB
		assert_equal "$(ended "$m" alloc)" '[false,1,["memory_limit",0,null]]'
		# killed when the pipe passed --output-limit
		assert_equal "$(ended "$m" stdout)" '[false,1,["output_limit",null,9]]'
		# EFBIG at RLIMIT_FSIZE, caught by the driver
		assert_equal "$(ended "$m" file)" '[false,1,["output_limit",0,null]]'
	done
}

@test "code-run: no socket reaches a listener on 127.0.0.1; no secret of the parent's is seen" {
	for m in ns plain; do
		hostile_run "$m"
		# socket() fails with EPERM: a PermissionError
		assert_equal "$(ended "$m" socket)" '[false,1,["runtime_error",0,null]]'
		# neither in its environment nor in any /proc/PID/environ it can read
		assert_equal "$(ended "$m" secret)" '[false,1,["wrong_answer",0,null]]'
	done
	[ ! -e "$BATS_FILE_TMPDIR/outside/connection" ]
}

@test "code-run: no write outside the working directory; the parent cannot be killed; a daemon dies" {
	for m in ns plain; do
		hostile_run "$m"
		assert_equal "$(ended "$m" outside)" '[false,1,["runtime_error",0,null]]'
		# kill(2) of its parent fails with EPERM
		assert_equal "$(ended "$m" killparent)" '[false,1,["runtime_error",0,null]]'
		# its own test passes; the daemon it left (setsid, forked twice) is killed
		assert_equal "$(ended "$m" daemon)" '[true,1,["passed",0,null]]'
	done
	[ ! -e "$BATS_FILE_TMPDIR/outside/escaped" ]
	[ ! -e "$BATS_FILE_TMPDIR/outside/daemon" ]
}

@test "code-run: each layer as a program sees it, with namespaces and without" {
	for m in ns plain; do
		hostile_run "$m"
		got=$(jq -c 'select(.name | test("^(good|forkbomb|spin|alloc|stdout|file|socket|secret|outside|killparent|sleep|daemon|tree)") | not) |
			[.name, .code_run.tests[0].status]' <<< "$output")
		# Landlock: nothing under /proc is readable.
		proc=passed
		landlock_available && proc=runtime_error
		want='["seccomp-socket","passed"]
["seccomp-mode","passed"]
["no-new-privs","passed"]
["pgroup","passed"]
["rlimits","passed"]
["environment","passed"]
["seccomp-others","passed"]
["seccomp-ipc","passed"]
["landlock-proc","'$proc'"]'
		if [ "$m" = ns ]; then
			want="$want"'
["pidns","passed"]
["userns","passed"]
["mountns-tmp","passed"]
["mountns-readonly","runtime_error"]
["nproc","passed"]'
		else
			want="$want"'
["setuid","passed"]'
		fi
		assert_equal "$got" "$want"
	done
}

@test "code-run: a stdin program that prints the answer passes; the record passes through byte for byte" {
	printf '%s\n' '{ "id" : 9007199254740993, "t":"caf\u00e9",  "response": {"text": "```python\nprint(int(input()) * 2)\n```"},"public_test_cases":"[{\"input\": \"21\\n\", \"output\": \"42\\n\", \"testtype\": \"stdin\"}]", "private_test_cases": [{"input": "1", "output": "2", "testtype": "stdin"}], "metadata": "{}" }  ' > in.jsonl
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(norm <<< "$output")" '{ "id" : 9007199254740993, "t":"caf\u00e9",  "response": {"text": "```python\nprint(int(input()) * 2)\n```"},"public_test_cases":"[{\"input\": \"21\\n\", \"output\": \"42\\n\", \"testtype\": \"stdin\"}]", "private_test_cases": [{"input": "1", "output": "2", "testtype": "stdin"}], "metadata": "{}" ,"code_run":{"passed":true,"reason":null,"tests":[{"status":"passed","exit":0,"signal":null,"time_ms":T,"memory_kb":M},{"status":"passed","exit":0,"signal":null,"time_ms":T,"memory_kb":M}],"tests_run":2,"tests_total":2,"isolation":I}}'
	assert_equal "$(jq -c .code_run.isolation <<< "$output")" "$(expected_isolation "$NS_MODE")"
}

@test "code-run: tests run in order and stop at the first that fails, as LiveCodeBench's grader does" {
	lcb_records <<'EOF'
rec("first", "print(int(input()) + 1)", [("1", "2"), ("2", "4"), ("3", "4")])
rec("second", "print(int(input()) + 1)", [("1", "2"), ("2", "3"), ("3", "5")])
EOF
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$(verdicts)" '["first",false,["passed","wrong_answer"]]
["second",false,["passed","passed","wrong_answer"]]'
	assert_equal "$(jq -c '.code_run | [.tests_run, .tests_total]' <<< "$output")" '[2,3]
[3,3]'
	assert_equal "$stderr" ""
}

@test "code-run: output is compared as LiveCodeBench compares it: stripped lines, then Decimal tokens" {
	# program prints -> expected: what LiveCodeBench's run_test said
	lcb_records <<'EOF'
for name, printed, want in [
    ("1.0=1.00", "1.0", "1.00"),                # True
    ("1.0 2=1.00 2.0", "1.0 2", "1.00 2.0"),    # True
    ("1e1=10", "1e1", "10"),                    # True
    ("-0=0", "-0", "0"),                        # True
    ("1_0=10", "1_0", "10"),                    # True: Decimal drops underscores
    ("fullwidth 1=1", "\uff11", "1"),           # True: any script's digits
    ("inf=Infinity", "inf", "Infinity"),        # True
    ("nan=nan", "nan", "nan"),                  # True: the same text
    ("NaN=nan", "NaN", "nan"),                  # -2: NaN equals no number
    ("1 2=1  2", "1 2", "1  2"),                # True: token by token
    ("a b=a  b", "a b", "a  b"),                # -2: not numbers
    ("blank lines at the end", "a\n\n", "a"),   # True: the whole output is stripped
    ("blank line inside", "a\n\nb", "a\nb"),    # -2: a line more
    ("spaces around lines", "  a  \n b", "a\nb  "),  # True
    ("largest exponent", "1e999999999999999999", "10e999999999999999998"),  # True
    ("past the largest", "1e1000000000000000000", "10e999999999999999999"),  # -2: both invalid
    ("no output", "", "0"),                     # -2
]:
    rec(name, "print(%r, end='')" % printed, [("", want)])
EOF
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$(jq -r '[.name, .code_run.tests[0].status] | join(": ")' <<< "$output")" '1.0=1.00: passed
1.0 2=1.00 2.0: passed
1e1=10: passed
-0=0: passed
1_0=10: passed
fullwidth 1=1: passed
inf=Infinity: passed
nan=nan: passed
NaN=nan: wrong_answer
1 2=1  2: passed
a b=a  b: wrong_answer
blank lines at the end: passed
blank line inside: wrong_answer
spaces around lines: passed
largest exponent: passed
past the largest: wrong_answer
no output: wrong_answer'
	assert_equal "$stderr" ""
}

@test "code-run: LiveCodeBench's harness as its scores have it: import header, wrapping, mocked stdin, guard" {
	# What LiveCodeBench's run_test said is written after each.
	lcb_records <<'EOF'
rec("sqrt without import", "print(sqrt(16))", [("", "4.0")])                      # True
rec("for line in sys.stdin", "import sys\nfor l in sys.stdin:\n    print(l)", [("1\n", "1")])  # -4
rec("readline keeps its newline", "import sys\nprint(sys.stdin.readline()[:-1])", [("ab\ncd\n", "ab")])  # True
rec("input() to EOF", "while True:\n    try:\n        print(input())\n    except EOFError:\n        break", [("a\nb\n", "a\nb")])  # True
rec("global of a top-level name", "n = 0\ndef f():\n    global n\n    n += 1\nf()\nprint(n)", [("", "1")])  # -4
rec("sys.exit after the answer", "import sys\nprint(1)\nsys.exit(3)", [("", "1")])  # True
rec("exit() after the answer", "print(1)\nexit()\nprint(2)", [("", "1")])          # True
rec("quit()", "print(1)\nquit()", [("", "1")])                                    # -4
rec("raise after the answer", "print(1)\nraise ValueError", [("", "1")])          # -4
rec("open(0) reads nothing", "print(open(0).read().split())", [("1 2", "['1', '2']")])  # -2
rec("sys.stdin.read", "import sys\nprint(sys.stdin.read().split())", [("1 2\n3", "['1', '2', '3']")])  # True
rec("sys.stdout.buffer", "import sys\nsys.stdout.buffer.write(b'1')", [("", "1")])  # -4
rec("import resource", "import resource\nprint(1)", [("", "1")])                  # -4
rec("class Solution in a stdin program", "x = 'class Solution'\nprint(1)", [("", "1")])  # -4
rec("__main__ block", "def main():\n    print(5)\nif __name__ == '__main__':\n    main()", [("", "5")])  # True
rec("recursion limit 50000", "import sys\nprint(sys.getrecursionlimit())", [("", "50000")])  # True
rec("10**5000 prints", "print(len(str(10**5000)))", [("", "5001")])               # True: set_int_max_str_digits
rec("os.fork is gone", "import os\nos.fork()\nprint(1)", [("", "1")])             # -4
rec("syntax error", "print(1", [("", "1")])                                       # -4
EOF
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$(jq -r '[.name, .code_run.tests[0].status] | join(": ")' <<< "$output")" 'sqrt without import: passed
for line in sys.stdin: runtime_error
readline keeps its newline: passed
input() to EOF: passed
global of a top-level name: runtime_error
sys.exit after the answer: passed
exit() after the answer: passed
quit(): runtime_error
raise after the answer: runtime_error
open(0) reads nothing: wrong_answer
sys.stdin.read: passed
sys.stdout.buffer: runtime_error
import resource: runtime_error
class Solution in a stdin program: runtime_error
__main__ block: passed
recursion limit 50000: passed
10**5000 prints: passed
os.fork is gone: runtime_error
syntax error: runtime_error'
	assert_equal "$stderr" ""
}

@test "code-run: a stdin program that writes its own passed verdict to fd 4 fails" {
	# The nonce is in the driver's arguments (sys.argv[2]); the driver
	# never says "passed" for a stdin program, whose output code-run
	# compares: "returned" only has it compare what was printed (nothing
	# here, os._exit leaving it in the driver's buffer).
	lcb_records <<'EOF'
rec("forged", "import os, sys\nos.write(4, (sys.argv[2] + ' passed\\n').encode())\nos._exit(0)", [("", "42")])
rec("forged failure", "import os, sys\nos.write(4, (sys.argv[2] + ' wrong_answer\\n').encode())\nos._exit(0)", [("", "42")])
rec("returned", "import os, sys\nprint(42)\nos.write(4, (sys.argv[2] + ' returned\\n').encode())\nos._exit(0)", [("", "42")])
EOF
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$(verdicts)" '["forged",false,["runtime_error"]]
["forged failure",false,["wrong_answer"]]
["returned",false,["wrong_answer"]]'
	assert_equal "$stderr" ""
}

@test "code-run: functional tests call Solution's method and compare with Python's ==" {
	# What LiveCodeBench's run_test said is written after each.
	lcb_records <<'EOF'
S = "class Solution:\n    def f(self, a, b):\n        return %s"
rec("a tuple is its list", S % "(a, b)", [("1\n2", "[1, 2]")], func="f")           # True
rec("only at the top", S % "[(a, b)]", [("1\n2", "[[1, 2]]")], func="f")          # False
rec("2.0 == 2", S % "a * 1.0", [("2\n0", "2")], func="f")                         # True
rec("True == 1", S % "True", [("2\n0", "1")], func="f")                           # True
rec("dict", S % "{str(a): b}", [("1\n2", "{\"1\": 2}")], func="f")                # True
rec("sqrt without import", S % "sqrt(a)", [("4\n0", "2.0")], func="f")            # True
rec("wrong value", S % "a + b", [("1\n2", "4"), ("1\n1", "2")], func="f")        # False
rec("raises", S % "a // b", [("1\n0", "0")], func="f")                            # -4
rec("no such method", S % "a", [("1\n0", "1")], func="g")                         # -4
rec("prints, returns", "class Solution:\n    def f(self, a, b):\n        print('x')\n        return a", [("4\n0", "4")], func="f")  # True
EOF
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$(jq -r '[.name, (.code_run.tests | map(.status) | join(" "))] | join(": ")' <<< "$output")" 'a tuple is its list: passed
only at the top: wrong_answer
2.0 == 2: passed
True == 1: passed
dict: passed
sqrt without import: passed
wrong value: wrong_answer
raises: runtime_error
no such method: runtime_error
prints, returns: passed'
	assert_equal "$stderr" ""
}

@test "code-run: HumanEval: prompt + completion + test + check(entry_point) passes when it raises nothing" {
	python3 -c '
import json
p = "def add(a, b):\n    \"\"\"a + b\"\"\"\n"
t = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
def rec(name, completion):
    print(json.dumps({"name": name, "prompt": p, "test": t, "entry_point": "add",
                      "response": {"text": completion}}))
rec("right", "    return a + b\n")
rec("wrong", "    return a - b\n")
rec("prints", "    print(a, b)\n    return a + b\n")
rec("sys.exit(0)", "    import sys\n    sys.exit(0)\n")
rec("__main__ block is skipped", "    return a + b\n\nif __name__ == \"__main__\":\n    raise SystemExit(1)\n")
rec("exit() is gone", "    exit()\n")
rec("blank", "  \n")' > in.jsonl
	run --separate-stderr code-run "${NS[@]}" --format humaneval in.jsonl
	assert_success
	# HumanEval execs the program with globals {} (__name__ is builtins'), its
	# output swallowed, and fails it on any BaseException, SystemExit too.
	assert_equal "$(verdicts)" '["right",true,["passed"]]
["wrong",false,["runtime_error"]]
["prints",true,["passed"]]
["sys.exit(0)",false,["runtime_error"]]
["__main__ block is skipped",true,["passed"]]
["exit() is gone",false,["runtime_error"]]
["blank",false,[]]'
	assert_equal "$(jq -c '.code_run | [.reason, .tests_total]' <<< "$output" | tail -1)" '["no code",1]'
	assert_equal "$stderr" ""
}

@test "code-run: no code in the reply, a failed request: a verdict, not an error" {
	lcb_records <<'EOF'
rec("one fence", None, [("", "1")], reply="```python\nprint(1)")
rec("prose", None, [("", "1"), ("", "1")], reply="I cannot do that.")
rec("empty block", None, [("", "1")], reply="```\n   \n```")
rec("last block wins", None, [("", "2")], reply="```\nprint(1)\n```\ntext\n```py\nprint(2)\n```")
EOF
	printf '%s\n' '{"name":"failed","error":{"kind":"http","status":503,"message":"busy","attempts":4}}' >> in.jsonl
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_success
	assert_equal "$(jq -c '[.name, .code_run.passed, .code_run.reason, .code_run.tests_total]' <<< "$output")" '["one fence",false,"no code",1]
["prose",false,"no code",2]
["empty block",false,"no code",1]
["last block wins",true,null,1]
["failed",false,"request failed",0]'
	assert_equal "$(tail -1 <<< "$output")" '{"name":"failed","error":{"kind":"http","status":503,"message":"busy","attempts":4},"code_run":{"passed":false,"reason":"request failed","tests":[],"tests_run":0,"tests_total":0,"isolation":[]}}'
	assert_equal "$stderr" ""
}

@test "code-run: --require-isolation exits 69 where namespaces cannot be had; without it, a warning" {
	ns_available || skip "no namespaces here to take away"
	lcb_records <<'EOF'
rec("one", "print(1)", [("", "1")])
EOF
	# A user namespace that may make no more of them.
	nons() {
		unshare --user --map-root-user sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"' sh "$@"
	}
	run --separate-stderr nons code-run --require-isolation in.jsonl
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "code-run: --require-isolation: no namespaces: unshare: No space left on device"
	run --separate-stderr nons code-run in.jsonl
	assert_success
	assert_equal "$(jq -c '[.code_run.passed, .code_run.isolation]' <<< "$output")" "[true,$(expected_isolation plain | sed 's/,"setuid"//')]"
	assert_equal "$stderr" "code-run: no namespaces (unshare: No space left on device): programs run without them"
	run --separate-stderr code-run --require-isolation in.jsonl
	assert_success
	assert_equal "$(jq -c .code_run.isolation <<< "$output")" "$(expected_isolation ns)"
	assert_equal "$stderr" ""
}

@test "code-run: as root, a python3 that nobody cannot reach exits 69, with namespaces too" {
	[ "$(id -u)" = 0 ] || skip "only root runs programs as nobody"
	lcb_records <<'EOF'
rec("one", "print(1)", [("", "1")])
EOF
	# python3 in a directory only root may enter (not under /tmp, which a
	# program's mount namespace replaces): root mapped into the program's
	# user namespace could run it, but would keep root's rights
	hidden=$(mktemp -d /var/tmp/code-run-bats.XXXXXX)
	CLEAN+=("$hidden")
	ln -s /usr/bin/python3 "$hidden/python3"
	why="does not run in the sandbox: execve: Permission denied (as root, programs run as nobody, who must be able to reach it and the working directories in \$TMPDIR)"
	for opt in "" --require-isolation --no-namespaces; do
		run --separate-stderr env PATH="$hidden:$PATH" code-run $opt in.jsonl
		assert_failure 69
		assert_output ""
		prefix=""
		[ "$opt" = --require-isolation ] && prefix="$opt: "
		assert_equal "$stderr" "code-run: $prefix$hidden/python3 $why"
	done
}

@test "code-run: SIGTERM kills every process a run started, a daemon too, and code-run dies of it" {
	# The program leaves a daemon (setsid, forked twice) that would write a
	# file after 2 s, then sleeps: code-run is stopped while it runs.
	out=$(new_tmpdir)
	CLEAN+=("$out")
	chmod 777 "$out"
	mark="cr-stop-$$-$RANDOM"
	MARK="$mark" OUT="$out" lcb_records <<'EOF'
import os
mark, out = os.environ["MARK"], os.environ["OUT"]
code = "import time\ntime.sleep(2)\nopen(%r, 'w').write('x')\n# %s" % (out + "/daemon", mark)
rec("daemon", "import os, posix, sys, time\nif posix.fork() == 0:\n    os.setsid()\n    if posix.fork() == 0:\n"
    "        os.execv(sys.executable, [sys.executable, '-c', %r])\n    os._exit(0)\ntime.sleep(60)" % code, [("", "")])
EOF
	modes=(--no-namespaces)
	ns_available && modes+=("")
	for m in "${modes[@]}"; do
		# shellcheck disable=SC2086
		code-run $m --time-limit 60 in.jsonl > out.jsonl 2> err.txt &
		pid=$!
		for _ in $(seq 200); do
			pgrep -f "$mark" > /dev/null && break
			sleep 0.1
		done
		run pgrep -f "$mark"
		assert_success
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		assert_equal "$rc" 143
		assert_equal "$(cat out.jsonl err.txt)" ""
		run pgrep -f "$mark"
		assert_failure 1
		assert_output ""
	done
	# what the daemon would have written by now
	sleep 2.5
	run ls -A "$out"
	assert_success
	assert_output ""
}

@test "code-run: records run side by side (-j) and come out in input order; -v counts them" {
	lcb_records <<'EOF'
rec("slow", "import time\ntime.sleep(0.8)\nprint(1)", [("", "1")])
rec("fast", "print(2)", [("", "2")])
rec("wrong", "print(3)", [("", "4")])
rec("fast again", "print(5)", [("", "5")])
EOF
	start=$(date +%s%N)
	run --separate-stderr code-run "${NS[@]}" -v -j 4 in.jsonl
	assert_success
	assert_equal "$(verdicts)" '["slow",true,["passed"]]
["fast",true,["passed"]]
["wrong",false,["wrong_answer"]]
["fast again",true,["passed"]]'
	assert_equal "$stderr" "code-run: read 4, passed 3"
	# -vv says why a test failed: the last line the program wrote to stderr
	lcb_records <<'EOF'
rec("raises", "raise KeyError('missing')", [("", "1")])
EOF
	run --separate-stderr code-run "${NS[@]}" -vv in.jsonl
	assert_success
	assert_equal "$stderr" "code-run: in.jsonl:1: test 0: runtime_error: KeyError: 'missing'
code-run: read 1, passed 0"
}

@test "code-run: --wall-limit ends a record's tests; --time-limit each test" {
	lcb_records <<'EOF'
rec("slow", "import time\ntime.sleep(3)\nprint(1)", [("", "1"), ("", "1")])
EOF
	run --separate-stderr code-run "${NS[@]}" --time-limit 5 --wall-limit 0.5 in.jsonl
	assert_success
	assert_equal "$(jq -c '.code_run | [.passed, .tests_run, .tests_total, (.tests[] | [.status, .exit, .signal])]' <<< "$output")" '[false,1,2,["time_limit",null,9]]'
	assert_equal "$stderr" ""
	run --separate-stderr code-run "${NS[@]}" --time-limit 0.5 in.jsonl
	assert_success
	assert_equal "$(jq -c '[.code_run.tests[].status]' <<< "$output")" '["time_limit"]'
	# a test's time counts from its process's start, python's own start-up too
	assert [ "$(jq '.code_run.tests[0].time_ms >= 500 and .code_run.tests[0].time_ms < 2500' <<< "$output")" = true ]
}

@test "code-run: a bad record stops the run with 65, after the records before it; --skip-bad and --rejects" {
	lcb_records <<'EOF'
rec("good", "print(1)", [("", "1")])
EOF
	cp in.jsonl good.jsonl
	python3 -c '
import json
t = json.dumps([{"input": "", "output": "1", "testtype": "stdin"}])
r = {"response": {"text": "```\nprint(1)\n```"}, "public_test_cases": t}
def bad(**kw):
    x = dict(r); x.update(kw); print(json.dumps({k: v for k, v in x.items() if v is not None}))
bad(public_test_cases=None)
bad(private_test_cases="eJzLSM3JyVcozy/KSQEAGgQEXQ==")
bad(public_test_cases="[{\"input\": \"\", \"output\": \"1\", \"testtype\": \"file\"}]")
bad(public_test_cases=[{"input": "", "output": "1", "testtype": "stdin"}, {"input": ""}])
bad(public_test_cases=[1])
bad(public_test_cases="{}")
bad(public_test_cases=[])
bad(metadata="{func_name")
bad(metadata={"func_name": 3})
bad(response={"status": 200})
bad(code_run={})' >> in.jsonl
	cat good.jsonl >> in.jsonl
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_failure 65
	assert_equal "$(verdicts)" '["good",true,["passed"]]'
	assert_equal "$stderr" "code-run: in.jsonl:2: public_test_cases: missing"
	run --separate-stderr code-run "${NS[@]}" --rejects rej.jsonl in.jsonl
	assert_success
	assert_equal "$(verdicts)" '["good",true,["passed"]]
["good",true,["passed"]]'
	assert_equal "$stderr" "code-run: skipped 11 bad records (first: in.jsonl:2: public_test_cases: missing)"
	assert_equal "$(cat rej.jsonl)" "$(sed -n '2,12p' in.jsonl)"
	# each record's reason, one at a time
	for i in $(seq 2 12); do
		sed -n "${i}p" in.jsonl > one.jsonl
		run --separate-stderr code-run "${NS[@]}" one.jsonl
		assert_failure 65
		echo "$stderr" >> why.txt
	done
	assert_equal "$(cat why.txt)" 'code-run: one.jsonl:1: public_test_cases: missing
code-run: one.jsonl:1: private_test_cases: zlib: incorrect data check
code-run: one.jsonl:1: public_test_cases[0]: testtype is not stdin or functional
code-run: one.jsonl:1: public_test_cases[1]: no output string
code-run: one.jsonl:1: public_test_cases[0]: not an object
code-run: one.jsonl:1: public_test_cases: not an array of test cases or a JSON string holding one
code-run: one.jsonl:1: no test cases
code-run: one.jsonl:1: metadata: not an object or a JSON string holding one
code-run: one.jsonl:1: metadata: func_name is not a string
code-run: one.jsonl:1: no .response.text string (and no .error)
code-run: one.jsonl:1: the record has a code_run field already'
	printf '%s\n' '{"response":{"text":"x"},"test":"","entry_point":"f"}' > he.jsonl
	run --separate-stderr code-run "${NS[@]}" --format humaneval he.jsonl
	assert_failure 65
	assert_equal "$stderr" "code-run: he.jsonl:1: prompt: missing or not a string"
}

@test "code-run: malformed JSON, invalid UTF-8 and a non-object stop with exit 65" {
	lcb_records <<'EOF'
rec("good", "print(1)", [("", "1")])
EOF
	printf '{"a":\n' >> in.jsonl
	run --separate-stderr code-run "${NS[@]}" in.jsonl
	assert_failure 65
	assert_equal "$(verdicts)" '["good",true,["passed"]]'
	assert_equal "$stderr" "code-run: in.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5"
	printf '{"a":"\xff"}\n' > u.jsonl
	run --separate-stderr code-run "${NS[@]}" u.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "code-run: u.jsonl:1: invalid UTF-8 at byte 7"
	printf '[1,2]\n' > arr.jsonl
	run --separate-stderr code-run "${NS[@]}" arr.jsonl
	assert_failure 65
	assert_equal "$stderr" "code-run: arr.jsonl:1: expected object, got array"
}

@test "code-run: stdin, '-', an empty input, blank lines, and a last line without a newline" {
	lcb_records <<'EOF'
rec("a", "print(1)", [("", "1")])
rec("b", "print(2)", [("", "1")])
EOF
	{ head -1 in.jsonl; printf '\n  \n'; tail -1 in.jsonl | tr -d '\n'; } > nonl.jsonl
	run --separate-stderr sh -c "code-run ${NS[*]} < nonl.jsonl"
	assert_success
	assert_equal "$(verdicts)" '["a",true,["passed"]]
["b",false,["wrong_answer"]]'
	assert_equal "$(code-run "${NS[@]}" - < nonl.jsonl | tail -c1 | od -An -c | tr -d ' ')" '\n'
	run --separate-stderr code-run "${NS[@]}" /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "code-run: --help and --version" {
	run --separate-stderr code-run --help
	assert_success
	assert_line --index 0 "usage: code-run [-qv] [-j N] [--format lcb|humaneval] [--language python3]"
	assert_line "      --require-isolation exit 69 when namespaces cannot be had"
	assert_line "isolation, 70 internal error, 73 cannot create, 74 I/O error. See code-run(1)."
	assert_equal "$stderr" ""
	run --separate-stderr code-run --version
	assert_success
	assert_output --regexp '^code-run [0-9]+\.[0-9]+\.[0-9]+ \(vllm-eval\)$'
}

@test "code-run: usage errors exit 64 with a hint" {
	hint="Try 'code-run --help' for more information."
	for bad in "--bogus" "--format mbpp" "--language c" "--time-limit 0" "--time-limit x" \
		"--memory-limit 16" "--output-limit 0" "--wall-limit -1" "-j 0" "--jobs 2000" \
		"--require-isolation --no-namespaces"; do
		# shellcheck disable=SC2086
		run --separate-stderr code-run $bad /dev/null
		assert_failure 64
		assert_output ""
		assert_equal "${stderr##*$'\n'}" "$hint"
	done
	run --separate-stderr code-run --format mbpp /dev/null
	assert_equal "${stderr%%$'\n'*}" "code-run: --format: expected lcb or humaneval, got 'mbpp'"
	run --separate-stderr code-run --language c /dev/null
	assert_equal "${stderr%%$'\n'*}" "code-run: --language: python3 is the only one, got 'c'"
	run --separate-stderr code-run --time-limit 0 /dev/null
	assert_equal "${stderr%%$'\n'*}" "code-run: --time-limit: expected a number from 0.01 to 86400, got '0'"
	run --separate-stderr code-run --memory-limit 16 /dev/null
	assert_equal "${stderr%%$'\n'*}" "code-run: --memory-limit: expected an integer from 32 to 4194304, got '16'"
	run --separate-stderr code-run -j 0 /dev/null
	assert_equal "${stderr%%$'\n'*}" "code-run: --jobs: expected an integer from 1 to 1024, got '0'"
	run --separate-stderr code-run --require-isolation --no-namespaces /dev/null
	assert_equal "${stderr%%$'\n'*}" "code-run: --require-isolation and --no-namespaces: give one"
}

@test "code-run: a missing input exits 66, a write error 74, an uncreatable file or directory 73" {
	run --separate-stderr code-run "${NS[@]}" nope.jsonl
	assert_failure 66
	assert_equal "$stderr" "code-run: nope.jsonl: No such file or directory"
	lcb_records <<'EOF'
rec("a", "print(1)", [("", "1")])
EOF
	run --separate-stderr sh -c "code-run ${NS[*]} in.jsonl > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "code-run: write error: No space left on device"
	run --separate-stderr code-run "${NS[@]}" --rejects no/such/dir/r.jsonl in.jsonl
	assert_failure 73
	assert_equal "$stderr" "code-run: --rejects: no/such/dir/r.jsonl: No such file or directory"
}

@test "code-run: a TMPDIR where no working directory can be made exits 73" {
	skip_under_valgrind "valgrind itself needs a TMPDIR it can write"
	lcb_records <<'EOF'
rec("a", "print(1)", [("", "1")])
EOF
	run --separate-stderr env TMPDIR=/nonexistent code-run "${NS[@]}" in.jsonl
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "code-run: cannot make a working directory in /nonexistent: No such file or directory"
}

@test "code-run: no python3 or no driver: 69 and 66, said" {
	lcb_records <<'EOF'
rec("a", "print(1)", [("", "1")])
EOF
	# a PATH with no python3 on it (valgrind's tier needs valgrind there:
	# Debian's is a script that runs valgrind.bin beside it)
	mkdir nopython
	if [ "$VE_TIER" = valgrind ]; then
		ln -s "$(command -v valgrind)"* nopython/
	fi
	run --separate-stderr env PATH="$PWD/nopython" "$VE_BIN/code-run" in.jsonl
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "code-run: python3: not found in PATH"
	run --separate-stderr env VLLM_EVAL_SHARE=/nonexistent code-run "${NS[@]}" in.jsonl
	assert_failure 66
	assert_equal "$stderr" "code-run: share/code-run/driver.py not found (set VLLM_EVAL_SHARE)"
}
