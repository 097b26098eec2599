#!/usr/bin/env python3
"""Independent reference for score-gen --metric math and --pass-k (tests/score-gen.bats).

Answer: the steps of Evalchemy's extract_answer (mlfoundations/evalchemy,
eval/chat_benchmarks/MATH500/eval_instruct.py at 6ed67415) and of
lm_eval/tasks/hendrycks_math/utils.py (last_boxed_only_string, remove_boxed,
strip_string, is_equiv; EtashGuha/lm-evaluation-harness etashg/tokenize_fix
at 4071e182, from hendrycks/math modeling/math_equivalence.py), rewritten
here in Python step for step, Python's own exceptions kept as the upstream
code meets them.

  mathans-ref.py answer < {"text":..., "gold":...} lines
      prints [extracted answer or null, is_equiv(gold, answer)] per line
  mathans-ref.py passk N C K
      prints 1 - C(n-c, k) / C(n, k) exactly (fractions, math.comb) as repr(float)
"""
import json
import math
import sys
from fractions import Fraction


def boxed(text):
    """extract_answer: remove_boxed(last_boxed_only_string(text)), None on failure."""
    if "\\boxed " in text:
        return text.split("\\boxed ")[-1].split("$")[0]
    at = text.rfind("\\boxed")
    if at < 0:
        at = text.rfind("\\fbox")
        if at < 0:
            return None
    depth, end = 0, None
    for i in range(at, len(text)):
        if text[i] == "{":
            depth += 1
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                end = i
                break
    if end is None:
        return None
    box = text[at:end + 1]
    if not box.startswith("\\boxed{"):
        return None
    return box[len("\\boxed{"):-1]


def sqrt_fix(s):
    parts = s.split("\\sqrt")
    out = parts[0]
    for p in parts[1:]:
        out += "\\sqrt" + (p if p[0] == "{" else "{" + p[0] + "}" + p[1:])
    return out


def frac_fix(s):
    parts = s.split("\\frac")
    out = parts[0]
    for p in parts[1:]:
        out += "\\frac"
        if p[0] == "{":
            out += p
            continue
        if len(p) < 2:
            return s
        out += "{" + p[0] + "}" + ("{" + p[1] + "}" if p[1] != "{" else p[1]) + p[2:]
    return out


def slash_fix(s):
    parts = s.split("/")
    if len(parts) != 2:
        return s
    a, b = int(parts[0]), int(parts[1])  # ValueError escapes, as upstream
    return "\\frac{%d}{%d}" % (a, b) if s == "%d/%d" % (a, b) else s


def strip(s):
    for old, new in (("\n", ""), ("\\!", ""), ("\\\\", "\\"), ("tfrac", "frac"),
                     ("dfrac", "frac"), ("\\left", ""), ("\\right", ""),
                     ("^{\\circ}", ""), ("^\\circ", ""), ("\\$", "")):
        s = s.replace(old, new)
    if "\\text{ " in s:
        pieces = s.split("\\text{ ")
        if len(pieces) != 2:
            raise AssertionError("units")
        s = pieces[0]
    s = s.replace("\\%", "").replace(" .", " 0.").replace("{.", "{0.")
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    halves = s.split("=")
    if len(halves) == 2 and len(halves[0]) <= 2:
        s = halves[1]
    if "\\sqrt" in s:
        s = sqrt_fix(s)
    s = frac_fix(s.replace(" ", ""))
    if s == "0.5":
        s = "\\frac{1}{2}"
    return slash_fix(s)


def equiv(a, b):
    try:
        return strip(a) == strip(b)
    except Exception:
        return a == b


def main():
    if sys.argv[1] == "passk":
        n, c, k = map(int, sys.argv[2:5])
        print(repr(float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))))
        return
    for line in sys.stdin:
        rec = json.loads(line)
        got = boxed(rec["text"])
        print(json.dumps(["" if got is None else got, equiv(rec["gold"], "" if got is None else got)], separators=(",", ":")))


main()
