# AIME 2024, AIME 2025 and MATH-500 as Evalchemy runs them -> chat query records.
#
# Mirrors mlfoundations/evalchemy eval/chat_benchmarks/{AIME24,AIME25,MATH500}/
# eval_instruct.py (commit 6ed674159b37f740f2353a86f596f49f6ac13c19): one user
# message "Problem: {problem}\nMark your solution with \boxed\nAnswer:", no
# system message, temperature 0.7, max tokens 32768, and seed 0 + i for the
# i-th of n_repeat repeats (AIME: 10; MATH500: one run, seed 0). lm-eval's
# chat client (the one Evalchemy installs) sends the seed and the token limit
# as written here (it spells the limit max_completion_tokens, which vLLM reads
# as max_tokens) and a stop list of the tokenizer's end-of-text strings, which
# a chat server stops at anyway; llm-query sends .request as it is.
# Scored by score-gen --metric math: the last boxed answer, the Hendrycks MATH
# is_equiv (score-gen(1)), as Evalchemy scores all three; not lm-eval's
# minerva_math, which reads "Final Answer: ..." and compares with sympy.
#
# Args:  task (aime24, aime25, math500), repeats (samples per problem; null: one
#        record without "sample"), max_tokens, limit.
# Input: {id, problem, expected_answer} (Evalchemy's aime24.json), {id, problem,
#        answer} (aime25.json), {problem, answer, unique_id} (HuggingFaceH4/MATH-500).
# Run:   jq -nc -f share/tasks/evalchemy_math.jq --arg task aime24 --argjson repeats 10 FILE
# Output: {"task","doc_id":"TASK/ID","subset":"all","sample":I,"gold",
#          "request":{"messages":[...],"seed":I,"temperature":0.7,"max_tokens":32768}}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;

opt("task"; "math500") as $task
| opt("repeats"; null) as $repeats
| opt("max_tokens"; 32768) as $max
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| if ($d.problem | type) != "string" then error("record \($n): no problem text") else . end
| ($d.expected_answer // $d.answer) as $a
| if $a == null then error("record \($n): no answer") else . end
| {task: $task, doc_id: "\($task)/\($d.id // $d.unique_id // $n)", subset: "all"} as $head
| {messages: [{role: "user",
               content: ("Problem: " + $d.problem + "\nMark your solution with \\boxed\nAnswer:")}],
   temperature: 0.7, max_tokens: $max} as $req
| if $repeats == null then
    $head + {gold: ($a | tostring), request: ($req + {seed: 0})}
  else
    range($repeats) as $i
    | $head + {sample: $i, gold: ($a | tostring), request: ($req + {seed: $i})}
  end
