# AIME -> generation query records, one per problem.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/aime/aime.yaml: doc_to_text
# "Question: {{Question}}\nAnswer:", doc_to_target the answer, zero-shot, and
# generation until "Question:" (suites.json passes the stop strings to
# llm-query). Scored by score-gen --metric numeric, vllm-eval's own lenient
# reading: the last \boxed{} or else the last number, compared as integers.
# lm-eval's lm_eval/tasks/aime/utils.py reads the boxed answer or the text
# between $ signs and compares strings, and the reasoning suite's aime24 and
# aime25 (evalchemy_math.jq) are Evalchemy's; this template is in no suite.
#
# Input: {problem, answer} (also {Problem, Answer} and {Question, Answer}, the
# spellings of the public AIME sets), optionally with an id.
# Run:   jq -nc -f share/tasks/aime.jq [--argjson limit N] AIME.jsonl
# Output: {"task":"aime","doc_id":"aime/ID","subset":"all","gold":"ANSWER","prompt":"Question: ...\nAnswer:"}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;

opt("task"; "aime") as $task
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| ($d.problem // $d.Problem // $d.Question) as $q
| ($d.answer // $d.Answer) as $a
| if ($q | type) != "string" then error("record \($n): no problem text") else . end
| {task: $task, doc_id: "\($task)/\($d.id // $d.ID // $n)", subset: "all",
   gold: ($a | tostring), prompt: ("Question: " + $q + "\nAnswer:")}
