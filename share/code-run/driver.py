# code-run's driver: one test of a model-written program, run the way the
# reference harness runs it, inside the sandbox code-run(1) builds.
#
# code-run writes this file and the program (prog.py) into a fresh working
# directory and starts the interpreter on it:
#
#   python3 driver.py lcb-stdin NONCE            the test's input on stdin
#   python3 driver.py lcb-functional NONCE FUNC  the input on stdin, the
#                                                expected output in expected.json
#   python3 driver.py humaneval NONCE            prog.py is HumanEval's check program
#
# In lcb-stdin mode what the program prints goes to fd 3, for code-run to
# compare with the expected output, which never enters the sandbox (a
# functional test's does: Python's == compares there). The verdict goes to fd 4 as one line "NONCE STATUS", STATUS one of
# returned (the program ran to its end: compare its output), passed,
# wrong_answer, runtime_error, memory_limit, output_limit. A process that
# ends without a verdict (os._exit, a signal) failed. The nonce only keeps a
# program from passing by writing "passed" to fd 4 by chance: like the
# references' own in-process harnesses, this one cannot stop a functional
# or HumanEval program that sets out to forge its grade; the sandbox
# protects the machine, not the grade. In lcb-stdin mode this driver never
# says "passed", and code-run takes it, there, for a forgery.
#
# Re-implemented, no code copied, from:
#   LiveCodeBench, commit 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24:
#     lcb_runner/evaluation/testing_util.py (import_string, reliability_guard,
#       clean_if_name, make_function, call_method with MockStdinWithBuffer and
#       MockBuffer, Capturing, compile_code, grade_stdio, grade_call_based)
#     lcb_runner/evaluation/compute_code_generation_metrics.py
#       (sys.set_int_max_str_digits(50000) when the module loads)
#   HumanEval (openai/human-eval), commit 6d43fb980f9fee3c892a914eda09951f772ad10d:
#     human_eval/execution.py (unsafe_execute, swallow_io, reliability_guard)
# Time limits are code-run's: it kills the process, where the references
# raise from an alarm signal.
import sys

sys.set_int_max_str_digits(50000)

import ast
import builtins
import contextlib
import errno
import faulthandler
import io
import json
import os
from types import ModuleType
from unittest.mock import mock_open, patch

OUT_FD, VERDICT_FD = 3, 4
MODE, NONCE = sys.argv[1], sys.argv[2]

# Kept before the guard takes them away from the program.
_write, _exit, _remove, _open, _dup2 = os.write, os._exit, os.remove, os.open, os.dup2

# LiveCodeBench prepends these lines to every program: a program that
# calls sqrt without importing math passes there, and here.
LCB_IMPORTS = "\n".join(
    ["from %s import *" % m for m in (
        "string re datetime collections heapq bisect copy math random statistics "
        "itertools functools operator io sys json builtins typing").split()]
    + ["import %s" % m for m in (
        "string re datetime collections heapq bisect copy math random statistics "
        "itertools functools operator io sys json").split()]
    + ["sys.setrecursionlimit(50000)", ""])


def finish(status):
    _write(VERDICT_FD, ("%s %s\n" % (NONCE, status)).encode())
    _exit(0)


def failed(e):
    """The status of a program that raised e."""
    if isinstance(e, MemoryError):
        return "memory_limit"
    if isinstance(e, OSError) and e.errno == errno.EFBIG:  # a file over RLIMIT_FSIZE
        return "output_limit"
    return "runtime_error"


def guard(humaneval):
    """reliability_guard() as each reference calls it, without
    maximum_memory_bytes: no memory limit here; code-run's RLIMIT_AS
    (--memory-limit), which neither reference sets, is set before."""
    faulthandler.disable()
    if humaneval:
        builtins.exit = None
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill system putenv remove removedirs rmdir fchdir setuid fork forkpty "
                 "killpg rename renames truncate replace unlink fchmod fchown chmod chown "
                 "chroot lchflags lchmod lchown getcwd chdir").split():
        setattr(os, name, None)
    import shutil
    shutil.rmtree = shutil.move = shutil.chown = None
    import subprocess
    subprocess.Popen = None
    builtins.help = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


def clean_if_name(code):
    """A last `if __name__ == '__main__':` block becomes plain statements."""
    try:
        tree = ast.parse(code)
        last = tree.body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            code = ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    except Exception:
        pass
    return code


def make_function(code):
    """The imports stay at the top; every other statement goes into wrapped_function()."""
    try:
        tree = ast.parse(code)
        imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        rest = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
        fn = ast.FunctionDef(
            name="wrapped_function",
            args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=rest, decorator_list=[], lineno=-1)
        return LCB_IMPORTS + "\n" + ast.unparse(imports) + "\n" + ast.unparse(fn)
    except Exception:
        return code


def compile_code(code):
    module = ModuleType("tmp_sol", "")
    exec(code, module.__dict__)
    # LiveCodeBench's test for a LeetCode-style solution is the text alone.
    return module.Solution() if "class Solution" in code else module


class MockBuffer:
    def __init__(self, inputs):
        self.inputs = inputs.encode("utf-8")

    def read(self, *args):
        return self.inputs

    def readline(self, *args):
        return self.inputs.split(b"\n")[0] + b"\n"


class MockStdin:
    """LiveCodeBench's MockStdinWithBuffer: no __iter__, so `for line in sys.stdin` fails."""

    def __init__(self, inputs):
        self.inputs = inputs
        self._stringio = io.StringIO(inputs)
        self.buffer = MockBuffer(inputs)

    def read(self, *args):
        return self.inputs

    def readline(self, *args):
        return self._stringio.readline(*args)

    def readlines(self, *args):
        return self.inputs.split("\n")

    def __getattr__(self, name):
        return getattr(self._stringio, name)


class Capture(io.StringIO):
    """The StringIO LiveCodeBench captures into, streaming to fd 3 rather than
    holding the text, so that code-run can stop a program that prints too much."""

    def __init__(self):
        super().__init__()
        self.parts, self.size = [], 0

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("string argument expected, got '%s'" % type(s).__name__)
        self.parts.append(s)
        self.size += len(s)
        if self.size >= 1 << 16:
            self.drain()
        return len(s)

    def drain(self):
        data = "".join(self.parts).encode("utf-8", "surrogatepass")
        self.parts, self.size = [], 0
        while data:
            data = data[_write(OUT_FD, data):]


def call_method(method, inputs):
    """The program's body with its input: stdin, open() and print redirected as
    LiveCodeBench redirects them. The patches are entered bottom first, so the
    last three land on the real sys.stdin before the mock replaces it."""
    lines = iter(inputs.split("\n"))

    @patch("builtins.open", mock_open(read_data=inputs))
    @patch("sys.stdin", MockStdin(inputs))
    @patch("sys.stdin.readline", lambda *args: next(lines))
    @patch("sys.stdin.readlines", lambda *args: inputs.split("\n"))
    @patch("sys.stdin.read", lambda *args: inputs)
    def inner(m):
        try:
            return m()
        except SystemExit:
            pass

    return inner(method)


def lcb_stdin(code, inputs):
    method = getattr(compile_code(make_function(clean_if_name(code))), "wrapped_function")
    out = Capture()
    out.close = lambda x: 1  # as Capturing does: close() takes no argument and fails
    saved, sys.stdout = sys.stdout, out
    try:
        call_method(method, inputs)
    finally:
        sys.stdout = saved
    out.drain()
    return "returned"


def lcb_functional(code, inputs, func, expected):
    method = getattr(compile_code(LCB_IMPORTS + "\n\n" + code), func)
    args = [json.loads(line) for line in inputs.split("\n")]
    expected = json.loads(expected)
    got = method(*args)
    if isinstance(got, tuple):  # a tuple counts as the list it holds, at the top only
        got = list(got)
    return "passed" if got == expected else "wrong_answer"


class WriteOnlyStringIO(io.StringIO):
    def read(self, *args, **kwargs):
        raise OSError

    def readline(self, *args, **kwargs):
        raise OSError

    def readlines(self, *args, **kwargs):
        raise OSError

    def readable(self, *args, **kwargs):
        return False


class redirect_stdin(contextlib._RedirectStream):
    _stream = "stdin"


def humaneval(program):
    stream = WriteOnlyStringIO()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream), \
            redirect_stdin(stream):
        exec(program, {})
    return "passed"


def _open_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    code = _open_text("prog.py")
    inputs = sys.stdin.buffer.read().decode("utf-8") if MODE != "humaneval" else ""
    # LiveCodeBench's worker reads /dev/null on fd 0: open(0) there (the
    # import header's io.open, not the patched builtin) gets nothing.
    _dup2(_open("/dev/null", os.O_RDONLY), 0)
    expected = None
    if MODE == "lcb-functional":
        expected = _open_text("expected.json")
        _remove("expected.json")
    guard(MODE == "humaneval")
    try:
        if MODE == "lcb-stdin":
            status = lcb_stdin(code, inputs)
        elif MODE == "lcb-functional":
            status = lcb_functional(code, inputs, sys.argv[3], expected)
        else:
            status = humaneval(code)
    except BaseException as e:
        status = failed(e)
        # for code-run -vv, which shows the last line of stderr
        try:
            import traceback
            traceback.print_exception(e, file=sys.__stderr__)
        except BaseException:
            pass
    finish(status)


main()
