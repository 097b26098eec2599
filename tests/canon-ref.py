#!/usr/bin/env python3
"""The canonical form of each line of a JSONL file, by jq, for ds-hash's tests.

jq decides what is a record: a line `fromjson` reads as an object with no
number that is infinite or NaN. Else the line's output is "BAD".

The canonical form is `jq -cS`'s, with one difference ds-hash(1) documents:
a number written as a plain integer (-?(0|[1-9][0-9]*), not -0) keeps its
digits, where jq 1.6 (numbers are doubles) would round it beyond 2^53. To
get it from jq, each such token of the line is first replaced by a string
"\\u0001INT<digits>", which jq passes through untouched, and put back after.
(In a line jq reads, every number is a value, never a key, so a string fits
where it stood.)
  canon-ref.py FILE          the canonical record
  canon-ref.py FILE NAME     jq's .NAME of it: {"s":STRING} or {"v":VALUE},
                             and "BAD" also where it is null or missing
"""
import re
import subprocess
import sys

DELIMS = set(' \t\r\n"[]{},:')
PLAIN_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
MARK = "\u0001INT"


def mark(line):
    """The line with each plain-integer token made a marker string."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append(line[i:j + 1])
            i = j + 1
        elif c in DELIMS:
            out.append(c)
            i += 1
        else:
            j = i
            while j < n and line[j] not in DELIMS:
                j += 1
            tok = line[i:j]
            if PLAIN_INT.match(tok) and tok != "-0":
                tok = '"\\u0001INT' + tok + '"'
            out.append(tok)
            i = j
    return "".join(out)


def unmark(text):
    return re.sub(r'"\\u0001INT(-?[0-9]+)"', r"\1", text)


def jq(program, lines):
    r = subprocess.run(["jq", "-cRS", program], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True, check=True)
    return r.stdout.splitlines()


RECORD = ('try (fromjson | if type != "object" then "BAD" '
          'elif ([.. | numbers | select(isinfinite or isnan)] | length) > 0 then "BAD" '
          'else . end) catch "BAD"')

# Lines as jq -R and ds-hash read them: split at newlines only.
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
ok = jq(RECORD, lines)
pick = RECORD
if len(sys.argv) > 2:
    name = sys.argv[2]
    pick = (RECORD + ' | if . == "BAD" or .%s == null then "BAD" '
            'elif (.%s | type) == "string" and (.%s | startswith("%s") | not) then {s: .%s} '
            'else {v: .%s} end') % ((name,) * 3 + (MARK.replace("\u0001", "\\u0001"),) + (name,) * 2)
canon = jq(pick, [mark(l) for l in lines])
for good, c in zip(ok, canon):
    print('"BAD"' if good == '"BAD"' else unmark(c))
