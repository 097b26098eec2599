#!/usr/bin/env python3
"""Pulls the examples out of the documentation, for tests/examples.bats.

    examples.py list FILE...    one line per example: KEY, a tab, its first line
    examples.py show KEY        the example's text, as a reader would type it

A man page's examples are the `.Bd -literal` blocks of its EXAMPLES section,
keyed PAGE#N (`ds-hash.1#2`: the second block). The README's are the fenced
blocks of its tour, the section "## A tour at the terminal" up to the next
"## " heading: ```sh blocks are the examples, keyed README#N; ```json and
bare ``` blocks (data and expected output) are keyed README.json#N and
README.out#N for the tests that use them. Keys count from 1 in the order the
blocks appear. Anything the extractor cannot read as plain text (an mdoc
macro or a roff escape other than \\e inside a block, an unclosed block) is
an error, so a page cannot hide an example from the tests.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOUR = "## A tour at the terminal"


def fail(msg):
    sys.stderr.write("examples.py: %s\n" % msg)
    sys.exit(65)


def unescape_roff(path, lineno, line):
    """A literal block's line as printed: \\e is a backslash; nothing else
    may be escaped (the pages use no other escape in examples)."""
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            if line[i + 1:i + 2] != "e":
                fail("%s:%d: escape %r in an example" % (path, lineno, line[i:i + 2]))
            out.append("\\")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def man_examples(path):
    """The literal blocks of the EXAMPLES section of an mdoc page."""
    blocks, cur, in_ex = [], None, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if cur is not None:
                if line.startswith(".Ed"):
                    blocks.append("\n".join(cur) + "\n")
                    cur = None
                elif line.startswith("."):
                    fail("%s:%d: macro inside an example: %s" % (path, n, line))
                else:
                    cur.append(unescape_roff(path, n, line))
            elif line.startswith(".Sh "):
                in_ex = line == ".Sh EXAMPLES"
            elif in_ex and line.startswith(".Bd"):
                if "-literal" not in line.split():
                    fail("%s:%d: an example block that is not -literal" % (path, n))
                cur = []
    if cur is not None:
        fail("%s: example block without .Ed" % path)
    return blocks


def readme_blocks(path):
    """The fenced blocks of the README's tour, as (language, text) pairs."""
    blocks, cur, lang, in_tour = [], None, None, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if cur is not None:
                if line == "```":
                    blocks.append((lang, "\n".join(cur) + "\n"))
                    cur = None
                else:
                    cur.append(line)
            elif line.startswith("## "):
                in_tour = line == TOUR
            elif in_tour and line.startswith("```"):
                lang, cur = line[3:].strip(), []
    if cur is not None:
        fail("%s: fenced block without its closing fence" % path)
    return blocks


def examples_of(path):
    """KEY -> text for one file (a man page or README.md)."""
    name = os.path.basename(path)
    if name == "README.md":
        out, count = {}, {}
        suffix = {"sh": "", "json": ".json", "": ".out"}
        for lang, text in readme_blocks(path):
            if lang not in suffix:
                fail("%s: a ```%s block in the tour" % (path, lang))
            kind = "README" + suffix[lang]
            count[kind] = count.get(kind, 0) + 1
            out["%s#%d" % (kind, count[kind])] = text
        return out
    return {"%s#%d" % (name, i): t for i, t in enumerate(man_examples(path), 1)}


def path_of(key):
    page = key.split("#", 1)[0]
    if page.startswith("README"):
        return os.path.join(ROOT, "README.md")
    return os.path.join(ROOT, "man", page)


def main(argv):
    if len(argv) >= 2 and argv[0] == "list":
        for path in argv[1:]:
            for key, text in examples_of(path).items():
                print("%s\t%s" % (key, text.split("\n", 1)[0]))
        return 0
    if len(argv) == 2 and argv[0] == "show":
        key = argv[1]
        if not re.fullmatch(r"[\w.-]+#[0-9]+", key):
            fail("%s: not a key (PAGE#N)" % key)
        text = examples_of(path_of(key)).get(key)
        if text is None:
            fail("%s: no such example" % key)
        sys.stdout.write(text)
        return 0
    sys.stderr.write("usage: examples.py list FILE... | show KEY\n")
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
