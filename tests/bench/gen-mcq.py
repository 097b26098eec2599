#!/usr/bin/env python3
"""Synthetic datasets for tests/bench/reg-check.sh, in the formats the task
templates of share/tasks read (the questions mean nothing; their counts and
structure are what the benchmark needs):

  gen-mcq.py DIR ARC HELLASWAG MMLU

writes DIR/arc.jsonl (ARC records: id, question, choices {text, label},
answerKey), DIR/hellaswag.jsonl (ind, activity_label, ctx_a, ctx_b, endings,
label) and DIR/mmlu.jsonl (question, subject, choices, answer).

ARC and HELLASWAG are item counts. MMLU is either first:N, the first N items
of the test split (cais/mmlu orders it by subject, so this is what a suite's
limit of N takes), or scale:F, every one of the 57 subjects at F times its
real test count (the rounding spread so that the total is F x 14042).
Each question starts with its own number so that vllm-sim's answer key, which
indexes a question by its first bytes, finds it in one look-up. Gold answers
are drawn from a fixed seed.
"""
import json
import random
import sys

# cais/mmlu's test split: subject -> questions (14042 in all).
MMLU_TEST = {
    "abstract_algebra": 100, "anatomy": 135, "astronomy": 152, "business_ethics": 100,
    "clinical_knowledge": 265, "college_biology": 144, "college_chemistry": 100,
    "college_computer_science": 100, "college_mathematics": 100, "college_medicine": 173,
    "college_physics": 102, "computer_security": 100, "conceptual_physics": 235,
    "econometrics": 114, "electrical_engineering": 145, "elementary_mathematics": 378,
    "formal_logic": 126, "global_facts": 100, "high_school_biology": 310,
    "high_school_chemistry": 203, "high_school_computer_science": 100,
    "high_school_european_history": 165, "high_school_geography": 198,
    "high_school_government_and_politics": 193, "high_school_macroeconomics": 390,
    "high_school_mathematics": 270, "high_school_microeconomics": 238,
    "high_school_physics": 151, "high_school_psychology": 545, "high_school_statistics": 216,
    "high_school_us_history": 204, "high_school_world_history": 237, "human_aging": 223,
    "human_sexuality": 131, "international_law": 121, "jurisprudence": 108,
    "logical_fallacies": 163, "machine_learning": 112, "management": 103, "marketing": 234,
    "medical_genetics": 100, "miscellaneous": 783, "moral_disputes": 346,
    "moral_scenarios": 895, "nutrition": 306, "philosophy": 311, "prehistory": 324,
    "professional_accounting": 282, "professional_law": 1534, "professional_medicine": 272,
    "professional_psychology": 612, "public_relations": 110, "security_studies": 245,
    "sociology": 201, "us_foreign_policy": 100, "virology": 166, "world_religions": 171,
}
WORDS = ("red", "blue", "green", "stone", "river", "cloud", "lamp", "seed", "salt",
         "iron", "glass", "wind", "bread", "clock", "bird", "rope")


def mmlu_counts(spec):
    """Questions per subject, in the split's order, for first:N or scale:F."""
    kind, _, arg = spec.partition(":")
    if kind == "first":
        left, out = int(arg), {}
        for subject, n in MMLU_TEST.items():
            take = min(n, left)
            if take:
                out[subject] = take
            left -= take
        return out
    if kind == "scale":
        f = float(arg)
        total = round(f * sum(MMLU_TEST.values()))
        exact = {s: n * f for s, n in MMLU_TEST.items()}
        out = {s: int(v) for s, v in exact.items()}
        # Largest remainders first, until the total is reached.
        for s in sorted(exact, key=lambda s: out[s] - exact[s])[: total - sum(out.values())]:
            out[s] += 1
        return {s: n for s, n in out.items() if n}
    sys.exit("gen-mcq.py: MMLU: expected first:N or scale:F, got " + spec)


def options(rng, i, k):
    """k distinct answer texts for question i."""
    return ["%s %s %d" % (w, rng.choice(WORDS), i) for w in rng.sample(WORDS, k)]


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: gen-mcq.py DIR ARC HELLASWAG MMLU")
    out, n_arc, n_hs, spec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = random.Random(20261122)
    with open(out + "/arc.jsonl", "w") as f:
        for i in range(n_arc):
            gold = rng.randrange(4)
            f.write(json.dumps({
                "id": "SYN-ARC-%05d" % i,
                "question": "%d. Which of these does the %s %s need?" % (i, rng.choice(WORDS), rng.choice(WORDS)),
                "choices": {"text": options(rng, i, 4), "label": ["A", "B", "C", "D"]},
                "answerKey": "ABCD"[gold]}) + "\n")
    with open(out + "/hellaswag.jsonl", "w") as f:
        for i in range(n_hs):
            f.write(json.dumps({
                "ind": i, "activity_label": "%d %s" % (i, rng.choice(WORDS)),
                "ctx_a": "A person holds a %s %s." % (rng.choice(WORDS), rng.choice(WORDS)),
                "ctx_b": "they", "endings": options(rng, i, 4),
                "label": str(rng.randrange(4))}) + "\n")
    with open(out + "/mmlu.jsonl", "w") as f:
        i = 0
        for subject, n in mmlu_counts(spec).items():
            for _ in range(n):
                f.write(json.dumps({
                    "question": "%d. What does the %s %s weigh?" % (i, rng.choice(WORDS), rng.choice(WORDS)),
                    "subject": subject, "choices": options(rng, i, 4),
                    "answer": rng.randrange(4)}) + "\n")
                i += 1


if __name__ == "__main__":
    main()
