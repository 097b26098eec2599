# Faithfulness's third call (DeepEval 4.1.10's FaithfulnessMetric,
# generate_verdicts): for each claim, does it agree with the truths of the
# retrieval context: "yes", "no" (it contradicts them) or "idk" (they do not
# say). score-gen --judge faithfulness scores the share not "no".
#
# Input: the claims call's llm-query records (faithfulness_claims.jq's
# requests with the judge's replies), and --slurpfile truths FILE, the
# truths call's records, matched by "id".
# Output: each case with "messages"; with "judge_verdicts": [] when there
# were no claims (DeepEval asks nothing then: the score is 1); with
# "judge_error" when an earlier call failed or its reply is unreadable.
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

(INDEX($truths[]; .id | tojson)) as $t
| ($t[.id | tojson] // {error: "no reply"} | deepeval_list("truths"; "truths")) as $tr
| deepeval_list("claims"; "claims") as $cl
| if $tr.error then deepeval_failed($tr.error)
  elif $cl.error then deepeval_failed($cl.error)
  elif $cl.value == [] then deepeval_case + {judge_verdicts: []}
  else deepeval_case | deepeval_request(
"Given the claims below, a list of strings, give a list of JSON objects saying whether EACH claim contradicts any fact of the retrieval context. Each object has two fields, 'verdict' and 'reason'.
'verdict' is STRICTLY 'yes', 'no' or 'idk': whether the claim agrees with the context.
Give a 'reason' ONLY for a 'no' or an 'idk'.
The claims come from the actual output. Where you can, correct the claim in the reason from the facts of the retrieval context.

Expected JSON format:
{
  \"verdicts\": [
    {
      \"verdict\": \"yes\"
    },
    {
      \"reason\": <correction_from_the_context>,
      \"verdict\": \"no\"
    },
    {
      \"reason\": <why_the_context_does_not_say>,
      \"verdict\": \"idk\"
    }
  ]
}

**
IMPORTANT: Reply in JSON only, with the 'verdicts' key holding a list of JSON objects.
There MUST be as many verdicts as claims.
'no' ONLY when the retrieval context directly CONTRADICTS the claim; never use prior knowledge.
'idk' when the context neither supports nor contradicts the claim.
**

Retrieval Contexts:
\($tr.value | join("\n\n"))

Claims:
\($cl.value | tojson)

JSON:")
  end
