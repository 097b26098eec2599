# Hallucination's call (DeepEval 4.1.10's HallucinationMetric,
# generate_verdicts): for each context, does the actual output agree with
# it: "yes", or "no" when it contradicts it, with a reason either way.
# score-gen --judge hallucination scores the share of contexts contradicted
# (lower is better).
#
# Input: cases {id, input, actual_output, context: [TEXT...]}.
# Output: the case with "messages", or with "judge_error" when it lacks
# input, actual_output or context.
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

if .input == null or .actual_output == null or .context == null
then deepeval_failed("the case has no input, actual_output or context")
else (.context | if type == "array" then map(tostring) else [tostring] end) as $ctx
| deepeval_request(
"For each context in the list of contexts below, give a JSON object saying whether the 'actual output' agrees with that context. Each object has two fields, 'verdict' and 'reason'.

'verdict' is STRICTLY 'yes' or 'no': whether the actual output agrees with the context.
'reason' says why. For a 'no', correct the actual output in it where you can.

**
IMPORTANT: Reply in JSON only, with the 'verdicts' key holding a list of JSON objects.
Example contexts: [\"The Rhine rises in the Swiss Alps.\", \"The Rhine reaches the North Sea.\"]
Example actual output: \"The Rhine rises in the Swiss Alps and flows into the Black Sea.\"

Example:
{
  \"verdicts\": [
    {
      \"reason\": \"The actual output agrees with the context: the Rhine rises in the Swiss Alps.\",
      \"verdict\": \"yes\"
    },
    {
      \"reason\": \"The actual output contradicts the context, which says the Rhine reaches the North Sea, not the Black Sea.\",
      \"verdict\": \"no\"
    }
  ]
}

Bring in NO prior knowledge: take each context at its word. With one verdict per context, there MUST be EXACTLY \($ctx | length) 'verdicts'.
FORGIVE an actual output that lacks detail: answer 'no' ONLY for a CONTRADICTION.
**

Contexts:
\($ctx | tojson)

Actual Output:
\(.actual_output | if type == "string" then . else tojson end)

JSON:")
end
