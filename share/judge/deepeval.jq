# DeepEval's ways with the judge's replies, for the judge templates
# (include "deepeval"; jq -L share/judge). Re-implemented from reading
# DeepEval 4.1.10's deepeval/metrics/utils.py; score-gen --judge reads the
# final replies by the same rules (score-gen(1)).

# jq 1.6's try also catches errors raised after it in the pipeline, so
# these functions give {value} or {error} and raise nothing themselves.

# The JSON text parsed: {value}, or {error} when it is not JSON.
def deepeval_parse: [try {value: fromjson} catch {error: .}] | .[0];

# trimAndLoadJson: the text from the first "{" to the last "}" (a "}"
# added when there is a "{" and none), parsed; when that fails, parsed
# again without the commas that only whitespace separates from a "]" or
# "}". {value: OBJECT}, or {error} when DeepEval could not load it.
def deepeval_json:
  (if test("\\{") and (test("\\}") | not) then . + "}" else . end)
  | [match("(?s)\\{.*\\}") | .string]
  | if length == 0 then {error: "no JSON object DeepEval can load"}
    else .[0] as $j
      | ($j | deepeval_parse)
      | if .error then ($j | gsub(",\\s*(?<c>[\\]}])"; .c) | deepeval_parse) else . end
      | if .error or (.value | type) != "object"
        then {error: "no JSON object DeepEval can load"} else . end
    end;

# The list under $key in an llm-query record's reply (.response.text): the
# statements, claims or truths an earlier call extracted. {value: LIST},
# or {error} naming the call ($call) when it failed or its list is unreadable.
def deepeval_list($call; $key):
  if .response == null then {error: "the \($call) call failed: \(.error // "no response")"}
  else (.response.text // "" | deepeval_json)
    | if .error then {error: "the \($call) reply: \(.error)"}
      elif (.value[$key] | type == "array" and all(.[]; type == "string")) then {value: .value[$key]}
      else {error: "the \($call) reply: no \"\($key)\" list of strings"} end
  end;

# G-Eval's names of a case's fields, as DeepEval lists them to the judge:
# "A", "A and B", "A, B, and C".
def deepeval_param: {input: "Input", actual_output: "Actual Output", expected_output: "Expected Output",
                     context: "Context", retrieval_context: "Retrieval Context"}[.] // .;
def deepeval_params: map(deepeval_param)
  | if length < 3 then join(" and ") else (.[:-1] | join(", ")) + ", and " + .[-1] end;

# The case of an llm-query record, without what the call added.
def deepeval_case: del(.messages, .response, .timing, .error, .usage);

# A chat request of one user message, as DeepEval sends its prompts.
def deepeval_request($prompt): . + {messages: [{role: "user", content: $prompt}]};

# The case when an earlier call failed ($err), for score-gen --judge to count.
def deepeval_failed($err): deepeval_case + {judge_error: $err};
