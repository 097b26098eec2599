# Ko-ARC: science questions in Korean in the ARC format -> loglikelihood query
# records, one per choice.
#
# lm-evaluation-harness has no Korean ARC task; vllm-eval defines this one. It
# is ARC as lm_eval/tasks/arc/arc_easy.yaml scores it (choice texts as
# continuations after the target delimiter " ", acc and acc_norm, "\n\n"
# between few-shot examples, no description), with the Korean labels of
# KMMLU's prompts: "질문: {question}\n정답:" (an ASCII colon after 정답, as
# ARC's "Answer:").
#
# Input: ARC records {id, question, choices:{text,label}, answerKey}.
# Run:   jq -nc -f share/tasks/ko_arc.jq [--argjson shots N]
#           [--slurpfile fewshot TRAIN.jsonl] [--argjson limit N] TEST.jsonl
# Few-shot examples are the first N of the fewshot file.
# Output: {"task":"ko_arc","doc_id","subset","choice","gold","context","continuation"}.

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def target: . as $d | $d.choices.label | map(. == $d.answerKey) | index(true);
def text: "질문: " + .question + "\n정답:";

opt("task"; "ko_arc") as $task
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
