# HumanEval -> completions query records, one per problem.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/humaneval/humaneval.yaml (task
# version 1.0, as of commit 4e7e0d47f33bc71070c1d38394bafbb52b117163):
# doc_to_text "{{prompt}}", the problem's prompt as it is (a signature and
# docstring, ending in a newline), zero-shot, for the completions API; the
# model writes the function's body. Generation until "\nclass", "\ndef",
# "\n#", "\nif", "\nprint" (the Codex paper's stop sequences), greedy,
# max_gen_toks 1024; suites.json passes them to llm-query. The program
# graded is prompt + completion + "\n" + test + "\n" + "check(ENTRY_POINT)",
# as lm-eval's utils.build_predictions and openai/human-eval's
# human_eval/execution.py (commit 6d43fb980f9fee3c892a914eda09951f772ad10d)
# build it: code-run reads prompt, test and entry_point, passed through here.
#
# Input: openai/openai_humaneval rows {task_id, prompt, canonical_solution,
#        test, entry_point}. share/data/humaneval.jsonl holds six problems
#        written for vllm-eval in that form.
# Run:   jq -nc -f share/tasks/humaneval.jq [--argjson limit N] FILE
# Output: {"task":"humaneval","doc_id":"humaneval/N","subset":"all",
#          "prompt":"def ...\n    \"\"\" ... \"\"\"\n","test":"...","entry_point":"..."}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;

def check($n):
  if ([.prompt, .test, .entry_point] | map(type == "string") | all | not) then
    error("record \($n): expected strings prompt, test and entry_point")
  else . end;

opt("task"; "humaneval") as $task
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| $d | check($n)
| {task: $task, doc_id: "\($task)/\(.task_id // $n | tostring | ltrimstr("HumanEval/"))",
   subset: "all", prompt, test, entry_point}
