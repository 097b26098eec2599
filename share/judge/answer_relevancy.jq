# Answer relevancy's second call (DeepEval 4.1.10's AnswerRelevancyMetric,
# generate_verdicts): for each statement of the first call's reply, is it
# relevant to the input: "yes", "no" or "idk" (ambiguous, or supporting).
# score-gen --judge answer_relevancy scores the share not "no".
#
# Input: the first call's llm-query records (answer_relevancy_statements.jq's
# requests with the judge's replies).
# Output: each case with "messages"; with "judge_verdicts": [] when there
# were no statements (DeepEval asks nothing then: the score is 1); with
# "judge_error" when the first call failed or its reply is unreadable.
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

deepeval_list("statements"; "statements") as $s
| if $s.error then deepeval_failed($s.error)
  elif $s.value == [] then deepeval_case + {judge_verdicts: []}
  else deepeval_case | deepeval_request(
"For each statement in the list below, decide whether it is relevant to answering the input.
Give JSON objects with a 'verdict' and a 'reason' field.
'verdict' is 'yes' (relevant), 'no' (irrelevant) or 'idk' (ambiguous, or supporting information).
Give a 'reason' ONLY for a 'no' or an 'idk'.
The statements come from an AI's actual output.

**
IMPORTANT: Reply in valid, parseable JSON only, with the 'verdicts' key holding a list of JSON objects. Close every string, and repair any invalid JSON before you reply.

Expected JSON format:
{
  \"verdicts\": [
    {
      \"verdict\": \"yes\"
    },
    {
      \"reason\": <why_it_is_irrelevant>,
      \"verdict\": \"no\"
    },
    {
      \"reason\": <why_it_is_ambiguous>,
      \"verdict\": \"idk\"
    }
  ]
}

ONE verdict per statement: there MUST be as many 'verdicts' as statements.
'verdict' is STRICTLY 'yes', 'no' or 'idk':
- 'yes': the statement is relevant to answering the input
- 'no': the statement is irrelevant to the input
- 'idk': the statement is ambiguous (not directly relevant, but it could support the answer)
Give a 'reason' ONLY for a 'no' or an 'idk'.
**

Input:
\(.input | if type == "string" then . else tojson end)

Statements:
\($s.value | tojson)

JSON:")
  end
