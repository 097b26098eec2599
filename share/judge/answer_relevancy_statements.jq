# Answer relevancy's first call (DeepEval 4.1.10's AnswerRelevancyMetric,
# generate_statements): the judge breaks the actual output into its
# statements. answer_relevancy.jq then asks for a verdict on each.
#
# Input: cases {id, input, actual_output}.
# Output: the case with "messages" (reply {"statements": [TEXT, ...]}), or
# with "judge_error" when it lacks input or actual_output.
# The wording is vllm-eval's, the structure and the JSON DeepEval's.
include "deepeval";

if .input == null or .actual_output == null then deepeval_failed("the case has no input or actual_output")
else deepeval_request(
"Break the text below into the statements it makes, as a list. An ambiguous statement or a lone word counts as a statement only when it stands outside any coherent statement.

Example text:
The new router has four gigabit ports and a USB-C port for power. It ships with a two-year warranty, and the firmware updates itself overnight.

{
  \"statements\": [
    \"The new router has four gigabit ports.\",
    \"It has a USB-C port for power.\",
    \"It ships with a two-year warranty.\",
    \"The firmware updates itself overnight.\"
  ]
}
===== END OF EXAMPLE ======

**
IMPORTANT: Reply in valid, parseable JSON only, with the \"statements\" key holding a list of strings. No other words or explanation. Close every string, and repair any invalid JSON before you reply.
**

Text:
\(.actual_output | if type == "string" then . else tojson end)

JSON:")
end
