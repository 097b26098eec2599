# LiveCodeBench code generation -> chat query records, one per problem and sample.
#
# Mirrors LiveCodeBench's runner (LiveCodeBench/LiveCodeBench at commit
# 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24) for a chat model of its generic
# style, LMStyle.OpenAIChat (lcb_runner/prompts/code_generation.py,
# format_prompt_generation; DeepSeekAPI, TogetherAI and CohereCommand get the
# same): a system message, PromptConstants.SYSTEM_MESSAGE_GENERIC, and a user
# message get_generic_question_template_answer builds:
#   "### Question:\n" + question_content + "\n\n"
#   with starter code (a non-empty starter_code, the functional problems):
#     "### Format: " + FORMATTING_MESSAGE_WITH_STARTER_CODE + "\n"
#     + "```python\n" + starter_code + "\n```\n\n"
#   without (stdin problems):
#     "### Format: " + FORMATTING_WITHOUT_STARTER_CODE + "\n"
#     + "```python\n# YOUR CODE HERE\n```\n\n"
#   then "### Answer: (use the provided format with backticks)\n\n".
# Sampling as lcb_runner/runner/oai_runner.py sends it for that style, with
# lcb_runner/runner/parser.py's defaults: temperature 0.2, top_p 0.95,
# max_tokens 2000, n 10, frequency and presence penalties 0 (vLLM's own
# defaults, so not sent), no stop strings. The runner asks for its 10
# samples in one request (n); llm-query reads one choice, so with
# --argjson repeats N each problem is N records, "sample" 0..N-1, each with
# its own .request and seed I, which llm-query sends as it is: the samples
# differ, and a run can be repeated. LiveCodeBench reports pass@1 as the
# mean over a problem's samples.
#
# The fields code-run grades with pass through as the dataset publishes
# them (livecodebench/code_generation_lite): public_test_cases and
# private_test_cases (JSON text of a list of {input, output, testtype};
# the private ones mostly base64 of zlib of a pickle of that text, as
# code_generation.py's CodeGenerationProblem reads them) and metadata (JSON
# text; func_name names the method a functional problem's tests call).
# share/data/livecodebench.jsonl holds seven problems written for
# vllm-eval in that form; its compressed private_test_cases were made with
#   base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()
# (python3 3.11: pickle protocol 4, zlib level 6).
#
# Args:  task (default livecodebench), repeats (samples per problem; null: one
#        record without "sample", seed 0), max_tokens, temperature, top_p, limit.
# Input: the dataset's rows {question_title, question_content, platform,
#        question_id, contest_id, contest_date, starter_code, difficulty,
#        public_test_cases, private_test_cases, metadata}.
# Run:   jq -nc -f share/tasks/livecodebench.jq --argjson repeats 10 FILE
# Output: {"task","doc_id":"TASK/QUESTION_ID","subset":"easy|medium|hard","sample":I,
#          "request":{"messages":[system, user],"temperature":0.2,"top_p":0.95,
#                     "max_tokens":2000,"seed":I},
#          "public_test_cases","private_test_cases","metadata"}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;

def system_message:
  "You are an expert Python programmer. You will be given a question (problem specification)"
  + " and will generate a correct Python program that matches the specification and passes all tests.";

# get_generic_question_template_answer of a problem.
def question:
  "### Question:\n" + .question_content + "\n\n"
  + (if (.starter_code // "") != "" then
       "### Format: You will use the following starter code to write the solution to the problem"
       + " and enclose your code within delimiters.\n"
       + "```python\n" + .starter_code + "\n```\n\n"
     else
       "### Format: Read the inputs from stdin solve the problem and write the answer to stdout"
       + " (do not directly test on the sample inputs). Enclose your code within delimiters as"
       + " follows. Ensure that when the python program runs, it reads the inputs, runs the"
       + " algorithm and writes output to STDOUT.\n"
       + "```python\n# YOUR CODE HERE\n```\n\n"
     end)
  + "### Answer: (use the provided format with backticks)\n\n";

def check($n):
  if (.question_content | type) != "string" then error("record \($n): no question_content")
  elif (.difficulty | IN("easy", "medium", "hard") | not) then
    error("record \($n): difficulty \(.difficulty | tojson) is not easy, medium or hard")
  elif (.public_test_cases == null) or (.private_test_cases == null) then
    error("record \($n): no public_test_cases or private_test_cases")
  else . end;

opt("task"; "livecodebench") as $task
| opt("repeats"; null) as $repeats
| {temperature: opt("temperature"; 0.2), top_p: opt("top_p"; 0.95),
   max_tokens: opt("max_tokens"; 2000)} as $sampling
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| $d | check($n)
| {task: $task, doc_id: "\($task)/\(.question_id // $n)", subset: .difficulty} as $head
| ({messages: [{role: "system", content: system_message}, {role: "user", content: question}]}
   + $sampling) as $req
| {public_test_cases, private_test_cases, metadata} as $tests
| if $repeats == null then
    $head + {request: ($req + {seed: 0})} + $tests
  else
    range($repeats) as $i
    | $head + {sample: $i, request: ($req + {seed: $i})} + $tests
  end
