# AIME -> generation query records, one per problem.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/aime/aime.yaml: doc_to_text
# "Question: {{Question}}\nAnswer:", doc_to_target the answer, zero-shot, and
# generation until "Question:" (suites.json passes the stop strings to
# llm-query). The answer is scored by score-gen --metric numeric: the last
# \boxed{} or else the last number, compared as integers, as lm_eval/tasks/aime/
# utils.py takes the last \boxed{}.
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
