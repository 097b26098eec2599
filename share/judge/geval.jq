# G-Eval's second call (DeepEval 4.1.10's GEval, generate_evaluation_results
# and, with $strict, generate_strict_evaluation_results): the judge gives
# a reason, then a score from the score range (a rubric's range, else 0 to
# 10; strict: 1 or 0), for one case under the evaluation steps. score-gen
# --judge geval weights the score by its token's top logprobs, as DeepEval
# does (llm-query --logprobs 20).
#
# Input: cases {id, input, actual_output, expected_output?, context?,
#        retrieval_context?}. Arguments:
#   --argjson steps '["...", ...]'   the evaluation steps (geval_steps.jq's reply)
#   --argjson params '["input", "actual_output", "expected_output"]'
#   --argjson rubric '[{"score_range": [0, 2], "expected_outcome": "..."}]' or null
#   --argjson strict true|false
# Output: the case with "messages", or, when it lacks a parameter, with
# "judge_error" (DeepEval refuses such a case).
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

def text: if type == "string" then . else tojson end;

. as $case
| ($params | map(select($case[.] == null))) as $missing
| if $missing != [] then deepeval_failed("the case has no \($missing | join(", "))")
  else
    ([$params[] | "\(deepeval_param):\n\($case[.] | text) \n\n"] | join("")) as $content
    | ([$steps | to_entries[] | "\(.key + 1). \(.value)\n"] | join("")) as $numbered
    | ($params | deepeval_params) as $p
    | ($rubric // [] | sort_by(.score_range[0])) as $r
    | (if $r == [] then [0, 10] else [$r[0].score_range[0], $r[-1].score_range[1]] end) as $range
    | ($r | map(if .score_range[0] == .score_range[1] then "\(.score_range[0]): \(.expected_outcome)"
                else "\(.score_range[0])-\(.score_range[1]): \(.expected_outcome)" end) | join("\n")) as $rubric_text
    | deepeval_request(if $strict then
"Using the evaluation steps, reply with JSON of two keys: 1) `score`, which is STRICTLY EITHER 1 (the case follows the criteria of the evaluation steps completely) OR 0 (it does not), and 2) `reason`, why that score was given, WITHOUT QUOTING THE SCORE. Mention specifics of the \($p) in the reason, briefly.

Evaluation Steps:
\($numbered)
\($content)
**
IMPORTANT: Reply in JSON only, with the \"score\" and \"reason\" keys. No other words or explanation.

Example JSON:
{
  \"reason\": \"The text does not follow the evaluation steps.\",
  \"score\": 0
}
**

JSON:"
    else
"You are an evaluator. Assess the test case below by the \(if $r != [] then "evaluation steps and rubric" else "evaluation steps" end) and reply with a JSON object of two fields:

- `\"score\"`: an integer from \($range[0]) to \($range[1]), \(if $r != [] then "as the rubric gives it" else "\($range[1]) for full agreement with the evaluation steps and \($range[0]) for none" end).
- `\"reason\"`: a short account of why, naming specific strengths or shortcomings and details of the input. Do **not** state the score in it.

The reason should:
- Rest on the \(if $r != [] then "evaluation steps and rubric" else "evaluation steps" end).
- Name key details of the test case's parameters.
- Be brief, clear and about the evaluation.

Reply with valid JSON only, **no** other commentary or text.

---

Evaluation Steps:
\($numbered)
\(if $r != [] then "Rubric:\n\($rubric_text)\n\n" else "" end)Test Case:
\($content)
Parameters:
\($p)

---
**Example JSON:**
{
  \"reason\": \"your short, specific reason here\",
  \"score\": \($range[0])
}

JSON:"
    end)
  end
