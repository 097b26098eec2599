#!/usr/bin/env python3
"""CPython's own draws, for ds-draw's tests: the reference is the python3 running this.

  pyrand-ref.py RECORDS

prints one case a line, "ARGS<TAB>EXPECTED": ARGS are ds-draw's options
(space-separated), EXPECTED what ds-draw writes for RECORDS input records
{"i":0} ... {"i":RECORDS-1}, with its lines joined by '|'. Each case uses
one random.Random(SEED) for all records, in order, as ds-draw does without
--reseed; the --reseed cases build a new one per record.

The sample cases sit on both sides of the size at which random.sample
turns from its pool (list) algorithm to its set algorithm (n <= 21 +
4**ceil(log(3k, 4)) when k > 5, else n <= 21): both algorithms are run.
"""
import math
import random
import sys

SEEDS = [0, 1, 42, 1234, 2**32 - 1, 2**32, 2**64 + 5, -7, 10**50 + 3,
         int("9" * 300), 31337]


def setsize(k):
    """Lib/random.py's sample(): the population size up to which the pool is used."""
    return 21 + (4 ** math.ceil(math.log(k * 3, 4)) if k > 5 else 0)


def sample_cases():
    """(n, k) pairs: small and large, and n at setsize(k) and one above it."""
    pairs = [(1, 1), (1, 0), (4, 4), (10, 3), (21, 5), (22, 5), (100, 10), (1000, 1),
             (1000, 25), (1000, 999), (1000, 1000), (2**32 + 7, 3), (2**40, 6),
             (2**63 - 1, 8)]
    for k in (6, 21, 22, 85, 86, 300):
        pairs += [(setsize(k), k), (setsize(k) + 1, k)]
    return pairs


def show(rec, value):
    if isinstance(value, list):
        value = "[" + ",".join(map(str, value)) + "]"
    else:
        value = repr(value)
    return '{"i":%d,"_draw":%s}' % (rec, value)


def case(args, seed, records, step, reseed=False):
    rnd = random.Random(seed)
    out = []
    for i in range(records):
        if reseed:
            rnd = random.Random(seed)
        out.append(show(i, step(rnd)))
    if reseed:
        args += " --reseed"
    print("%s --seed %d\t%s" % (args, seed, "|".join(out)))


def shuffled(n):
    def step(rnd):
        x = list(range(n))
        rnd.shuffle(x)
        return x
    return step


def main():
    records = int(sys.argv[1])
    for j, seed in enumerate(SEEDS):
        for n in (0, 1, 2, 3, 4, 10, 52, 1000):
            case("--shuffle %d" % n, seed, records, shuffled(n))
        for n, k in sample_cases()[j::3]:
            case("--sample %d --population %d" % (k, n), seed, records,
                 lambda rnd, n=n, k=k: rnd.sample(range(n), k))
        for n in (1, 2, 7, 2**31, 2**32 + 1, 2**63 - 1):
            case("--choice %d" % n, seed, records, lambda rnd, n=n: rnd.choice(range(n)))
        case("--random", seed, records, lambda rnd: rnd.random())
        case("--shuffle 4", seed, records, shuffled(4), reseed=True)
        case("--sample 3 --population 50", seed, records,
             lambda rnd: rnd.sample(range(50), 3), reseed=True)


main()
