# Faithfulness's first call (DeepEval 4.1.10's FaithfulnessMetric,
# generate_truths): the judge lists the truths the retrieval context states.
# faithfulness_claims.jq asks for the actual output's claims beside it;
# faithfulness.jq then judges each claim against these truths.
#
# Input: cases {id, input, actual_output, retrieval_context: [TEXT...]};
# --argjson limit N|null (DeepEval's truths_extraction_limit).
# Output: the case with "messages" (reply {"truths": [TEXT, ...]}); nothing
# for a case that lacks a parameter (faithfulness_claims.jq reports it).
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

def limit: if $limit == null then " FACTUAL, undisputed truths"
           elif $limit == 1 then " the single most important FACTUAL, undisputed truth"
           else " the \($limit) most important FACTUAL, undisputed truths" end;

select(.input != null and .actual_output != null and .retrieval_context != null)
| deepeval_request(
"From the text below, write a complete list of\(limit) that can be inferred from it.
The truths MUST BE COHERENT, and never taken out of context.

Example:
Example Text:
\"The Rhine, which many guides call Europe's busiest waterway, rises in the Swiss Alps. It reaches the North Sea in 1820, the guide claims, after flowing through Germany and the Netherlands.\"

Example JSON:
{
  \"truths\": [
    \"The Rhine rises in the Swiss Alps.\",
    \"The Rhine reaches the North Sea after flowing through Germany and the Netherlands.\"
  ]
}
===== END OF EXAMPLE ======
**
IMPORTANT: Reply in JSON only, with the \"truths\" key holding a list of strings. No other words or explanation.
Include only truths that are factual, WHETHER OR NOT THEY ARE CORRECT.
**

Text:
\(.retrieval_context | if type == "array" then map(tostring) | join("\n\n") else tostring end)

JSON:")
