# Faithfulness's second call (DeepEval 4.1.10's FaithfulnessMetric,
# generate_claims): the judge lists the claims the actual output makes.
#
# Input: cases {id, input, actual_output, retrieval_context: [TEXT...]}.
# Output: the case with "messages" (reply {"claims": [TEXT, ...]}), or with
# "judge_error" when it lacks input, actual_output or retrieval_context.
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

if .input == null or .actual_output == null or .retrieval_context == null
then deepeval_failed("the case has no input, actual_output or retrieval_context")
else deepeval_request(
"From the AI output below, write a complete list of the FACTUAL, undisputed claims that can be inferred from it.
The claims MUST BE COHERENT, and never taken out of context.

Example:
Example Text:
\"The Rhine, which many guides call Europe's busiest waterway, rises in the Swiss Alps. It reaches the North Sea in 1820, the guide claims, after flowing through Germany and the Netherlands.\"

Example JSON:
{
  \"claims\": [
    \"The Rhine rises in the Swiss Alps.\",
    \"The Rhine reaches the North Sea after flowing through Germany and the Netherlands.\"
  ]
}
===== END OF EXAMPLE ======

**
IMPORTANT: Reply in JSON only, with the \"claims\" key holding a list of strings. No other words or explanation.
Include only claims that are factual, WHETHER OR NOT THEY ARE CORRECT. Each claim keeps the whole context it was made in: no cherry-picked facts.
Bring in NO prior knowledge: take the text at its word.
Keep in mind that an AI wrote these claims.
**

AI Output:
\(.actual_output | if type == "string" then . else tojson end)

JSON:")
end
