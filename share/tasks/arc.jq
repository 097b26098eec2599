# ARC (AI2 Reasoning Challenge) -> loglikelihood query records, one per choice.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/arc/arc_easy.yaml (arc_challenge.yaml
# includes it): doc_to_text "Question: {{question}}\nAnswer:", doc_to_choice
# "{{choices.text}}", doc_to_target "{{choices.label.index(answerKey)}}", the
# default target_delimiter " " and fewshot_delimiter "\n\n", no description.
#
# Input: ARC records {id, question, choices:{text,label}, answerKey}, one per line.
# Run:   jq -nc -f share/tasks/arc.jq [--arg task arc_easy] [--argjson shots N]
#           [--slurpfile fewshot TRAIN.jsonl] [--argjson limit N] TEST.jsonl
# Few-shot examples are the first N of the fewshot file. lm-eval draws ARC's
# at random (Python's random.Random(1234)); jq cannot replay that draw, so
# prompts are byte-identical to lm-eval's at 0 shots, and with shots use the
# same layout with the first examples.
# Output: {"task","doc_id","subset","choice","gold","context","continuation"} (vllm-eval(7)).

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def target: . as $d | $d.choices.label | map(. == $d.answerKey) | index(true);
def text: "Question: " + .question + "\nAnswer:";

opt("task"; "arc_challenge") as $task
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| ($pool[0:$shots] | map(text + " " + .choices.text[target] + "\n\n") | add // "") as $prefix
| limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)
| . as $d
| target as $gold
| if $gold == null then error("\(.id): answerKey \(.answerKey) is not one of the labels") else . end
| range(0; .choices.text | length) as $i
| {task: $task, doc_id: "\($task)/\($d.id)", subset: "all", choice: $i, gold: $gold,
   context: ($prefix + ($d | text)), continuation: (" " + $d.choices.text[$i])}
