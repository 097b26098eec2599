# HellaSwag -> loglikelihood query records, one per ending.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/hellaswag/hellaswag.yaml and its
# utils.py: preprocess(text) strips the text, turns " [title]" into ". ",
# drops every "[...]" (a non-greedy match), and replaces double spaces with
# one; the query is preprocess(activity_label + ": " + ctx_a + " " +
# ctx_b.capitalize()), the choices are the preprocessed endings, the target
# the label. Python's str.capitalize (first character upper-cased, the rest
# lower-cased) is done here with jq 1.6's ascii_upcase/ascii_downcase: the
# same bytes on HellaSwag's English text; non-ASCII letters keep their case.
#
# Input: HellaSwag records {ind, activity_label, ctx_a, ctx_b, endings, label}.
# Run:   jq -nc -f share/tasks/hellaswag.jq [--argjson shots N]
#           [--slurpfile fewshot TRAIN.jsonl] [--argjson limit N] VALIDATION.jsonl
# Few-shot examples are the first N of the fewshot file (lm-eval draws them at
# random; prompts are byte-identical at 0 shots, the leaderboard's 10-shot
# layout is the same with other examples).
# Output: {"task":"hellaswag","doc_id","subset","choice","gold","context","continuation"}.

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def strip: sub("^\\s+"; "") | sub("\\s+$"; "");
def preprocess: strip | gsub(" \\[title\\]"; ". ") | gsub("\\[.*?\\]"; "") | gsub("  "; " ");
def capitalize: (.[0:1] | ascii_upcase) + (.[1:] | ascii_downcase);
def query: (.activity_label + ": " + .ctx_a + " " + (.ctx_b | capitalize)) | preprocess;
def target: .label | if type == "string" then tonumber else . end;
def choices: .endings | map(preprocess);

opt("task"; "hellaswag") as $task
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| ($pool[0:$shots] | map(query + " " + choices[target] + "\n\n") | add // "") as $prefix
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| ($d | choices) as $choices
| ($d | target) as $gold
| range(0; $choices | length) as $i
| {task: $task, doc_id: "\($task)/\($d.ind // $n)", subset: "all", choice: $i, gold: $gold,
   context: ($prefix + ($d | query)), continuation: (" " + $choices[$i])}
