#!/usr/bin/env python3
"""Full-size stand-ins for a benchmark suite's data (tests/bench/standard-suite.sh):

  gen-standard.py [--suite NAME] [--scale F] [--seed N] [--suites FILE] DIR

writes into DIR every file the suite's tasks read (share/suites.json: each
task's `data` and `fewshot`, under the names `run-benchmarks.sh --data DIR`
looks for), in the public datasets' formats, with the real splits' row
counts times F (default 1: full size). The text is made up: words drawn
from a fixed vocabulary, in the numbers of words the real datasets'
records have (below), so that prompts, requests and bytes are as large as
the real suite's. Gold answers are drawn too: the figures mean nothing,
the time and memory they take do. The same seed writes the same bytes.

A few-shot pool is scaled as well but never below 32 records (ARC's 25
shots and HellaSwag's 10 + 1 must be drawable); MMLU's dev split stays 5
records per subject, each subject's 5 shots.

Row counts, from each dataset's card on the Hugging Face Hub:
  cais/mmlu (all)             test 14,042  dev 285 (5 per subject)
  Rowan/hellaswag             validation 10,042  train 39,905
  allenai/ai2_arc (Challenge) test 1,172  train 1,119
  openai/gsm8k (main)         test 1,319  train 7,473
MMLU's subjects and their test counts are tests/bench/gen-mcq.py's table.

Lengths, in words (about 5.8 characters each with its space here), set so
that each task's prompt comes to the mean length evalscope's benchmark
pages give for it (https://evalscope.readthedocs.io/en/v1.6.0/benchmarks/,
pages mmlu, hellaswag, arc and gsm8k; their prompts add an instruction of
about 190 characters to ARC's and HellaSwag's, which is taken off):
  MMLU       5-shot prompt 3,212 characters: a question of about 55 words,
             choices of about 7 (skewed: professional law runs to hundreds)
  HellaSwag  0-shot prompt 768: ctx_a about 30 words, ctx_b 3, an activity
             label of 2, endings of about 14
  ARC-C      0-shot prompt 454: a question of about 25 words, choices of 4
  GSM8K      4-shot prompt 1,967: a question of about 42 words, a solution
             of 2 to 8 steps (3 on average) of about 7 words and a calculation each
"""
import argparse
import importlib.util
import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Words of the made-up text: short function words drawn 45 % of the time,
# longer content words otherwise, 4.6 letters a word on average (English
# running text has about 4.7).
FUNCTION = """the of and to in is was that for on as with by he it at from his an were
are which this be or has had one their its new after who they have her she two
been other when there all into may more most only over some would where up such
can about out then also""".split()
VOCAB = """school time years city world later used many state national
known university united made first these before under high part water light plant energy animal earth heat surface weather cell force motion
system rock soil layer moon sun star planet gravity magnet metal wire circuit
current battery sound wave pressure volume mass density liquid solid gas
temperature change chemical reaction element compound mixture solution acid base
salt protein organism species habitat population food chain producer consumer
decomposer climate season ocean river mountain valley desert forest glacier
erosion deposit fossil mineral crystal volcano earthquake continent atmosphere
oxygen carbon nitrogen hydrogen molecule atom electron nucleus kinetic
potential friction machine lever pulley wheel student teacher experiment result
measure record observe predict compare describe explain because therefore however
although whether several different important example number group person people
market price company contract court judge law defendant plaintiff witness evidence
patient doctor treatment disease symptom therapy hospital government policy
economy inflation interest bank money trade export import tax income supply demand
history century empire war treaty revolution president congress senate election
theory model argument premise conclusion moral principle duty right value belief
woman man child girl boy family friend house kitchen garden street car bike ball
team game player music song dance paint picture camera phone table chair window
door floor wall roof bowl knife cup plate towel brush shoe shirt hat rope ladder
walks runs holds takes gives puts shows starts stops turns pulls pushes lifts
throws catches cuts mixes pours wipes washes cleans opens closes climbs jumps
slowly quickly carefully again together around across behind through along
""".split()

# (task -> (count of the data split, count of the few-shot split))
REAL = {
    "mmlu": (14042, 285),
    "hellaswag": (10042, 39905),
    "arc_challenge": (1172, 1119),
    "gsm8k": (1319, 7473),
}
POOL_FLOOR = 32


def mmlu_table():
    """gen-mcq.py's subject table and its scale:F apportioning."""
    spec = importlib.util.spec_from_file_location("gen_mcq", os.path.join(HERE, "gen-mcq.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def length(rng, mean, sigma, lo, hi):
    """A word count: log-normal around MEAN (skewed right, as text lengths
    are), clipped to [LO, HI]."""
    mu = math.log(mean) - sigma * sigma / 2
    return max(lo, min(hi, int(round(rng.lognormvariate(mu, sigma)))))


def words(rng, n, cap=True):
    """N words of made-up text, the first capitalised when CAP."""
    w = [rng.choice(FUNCTION if rng.random() < 0.45 else VOCAB) for _ in range(n)]
    if cap and w:
        w[0] = w[0].capitalize()
    return " ".join(w)


def sentence(rng, mean, sigma, lo, hi):
    return words(rng, length(rng, mean, sigma, lo, hi)) + rng.choice(".?")


def mmlu(rng, subject):
    # The question ends in "?" or "." as real ones do; choices are short.
    return {"question": sentence(rng, 55, 0.8, 4, 700), "subject": subject,
            "choices": [words(rng, length(rng, 7, 0.8, 1, 90)) for _ in range(4)],
            "answer": rng.randrange(4)}


def lower_first(s):
    return s[:1].lower() + s[1:]


def hellaswag(rng, i, split):
    # About a third of HellaSwag comes from WikiHow, whose contexts carry
    # "[header]"/"[title]"/"[step]" markers that the template's preprocessing
    # rewrites; the rest from ActivityNet captions.
    wikihow = rng.random() < 0.35
    ctx_a = sentence(rng, 30, 0.5, 5, 150)
    if wikihow:
        ctx_a = "[header] %s [title] %s [step] %s" % (words(rng, 4), words(rng, 5), ctx_a)
    ctx_b = words(rng, length(rng, 3, 0.5, 1, 8), cap=False)
    return {"ind": i, "activity_label": words(rng, length(rng, 2, 0.4, 1, 5)),
            "ctx_a": ctx_a, "ctx_b": ctx_b, "ctx": ctx_a + " " + ctx_b,
            "endings": [lower_first(sentence(rng, 14, 0.4, 3, 60)) for _ in range(4)],
            "source_id": ("wikihow~%d" if wikihow else "activitynet~v_%d") % rng.randrange(10 ** 6),
            "split": split, "split_type": "indomain", "label": str(rng.randrange(4))}


def arc(rng, i, split):
    return {"id": "SYN-ARC-%s-%05d" % (split, i), "question": sentence(rng, 25, 0.5, 5, 120),
            "choices": {"text": [words(rng, length(rng, 4, 0.7, 1, 30)) for _ in range(4)],
                        "label": ["A", "B", "C", "D"]},
            "answerKey": "ABCD"[rng.randrange(4)]}


def gsm8k(rng, i, split):
    # A solution as GSM8K writes one: a line per step with its calculator
    # annotation, then "#### ANSWER".
    steps, value = [], rng.randint(2, 50)
    for _ in range(max(2, min(8, int(round(rng.gauss(3, 1.2)))))):
        a, b = value, rng.randint(2, 12)
        value = a * b if rng.random() < 0.5 else a + b
        op = "*" if value == a * b else "+"
        steps.append("%s %d %s %d = <<%d%s%d=%d>>%d." % (
            words(rng, length(rng, 7, 0.4, 3, 25)), a, op, b, a, op, b, value, value))
    return {"question": sentence(rng, 42, 0.35, 12, 200),
            "answer": "\n".join(steps) + "\n#### %d" % value}


def scaled(n, scale, floor=1):
    return max(floor, int(round(n * scale)))


def write(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def generate(task, spec, out, scale, seed):
    """Writes TASK's data and few-shot files into OUT."""
    n_data, n_pool = REAL[task]
    data = os.path.join(out, os.path.basename(spec["data"]))
    pool = os.path.join(out, os.path.basename(spec["fewshot"])) if spec.get("fewshot") else None
    # One generator per file, seeded by name: a file's bytes do not depend
    # on which other files are written.
    rng = lambda path: random.Random("%d:%s" % (seed, os.path.basename(path)))
    if task == "mmlu":
        tab = mmlu_table()
        r = rng(data)
        write(data, (mmlu(r, s) for s, n in tab.mmlu_counts("scale:%r" % scale).items()
                     for _ in range(n)))
        if pool:
            r = rng(pool)
            subjects = tab.mmlu_counts("scale:%r" % scale)
            write(pool, (mmlu(r, s) for s in subjects for _ in range(5)))
        return
    make = {"hellaswag": hellaswag, "arc_challenge": arc, "gsm8k": gsm8k}[task]
    r = rng(data)
    write(data, (make(r, i, "val" if task == "hellaswag" else "test")
                 for i in range(scaled(n_data, scale))))
    if pool:
        r = rng(pool)
        write(pool, (make(r, i, "train") for i in range(scaled(n_pool, scale, POOL_FLOOR))))


def main():
    ap = argparse.ArgumentParser(prog="gen-standard.py", description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--suite", default="standard")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--suites", default=os.path.join(HERE, "..", "..", "share", "suites.json"))
    a = ap.parse_args()
    if not 0 < a.scale <= 1:
        sys.exit("gen-standard.py: --scale must be above 0 and at most 1, got %r" % a.scale)
    with open(a.suites, encoding="utf-8") as f:
        suites = json.load(f)
    if a.suite not in suites["suites"]:
        sys.exit("gen-standard.py: no suite '%s' in %s" % (a.suite, a.suites))
    tasks = [e["task"] for e in suites["suites"][a.suite]]
    for t in tasks:
        if t not in REAL:
            sys.exit("gen-standard.py: no generator for task '%s' (suite %s)" % (t, a.suite))
    os.makedirs(a.dir, exist_ok=True)
    for t in dict.fromkeys(tasks):
        generate(t, suites["tasks"][t], a.dir, a.scale, a.seed)


if __name__ == "__main__":
    main()
