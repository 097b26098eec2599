#!/usr/bin/env python3
"""Expands the SQL of a Grafana dashboard's panels as Grafana and its
ClickHouse data source (grafana-clickhouse-datasource, v4) do before the
query reaches the server, and prints one JSON line per panel target:
{"id": PANEL_ID, "title": TITLE, "ref": REF_ID, "sql": SQL}.

  grafana-expand.py DASHBOARD.json CLICKHOUSE_URL NOW_EPOCH_SECONDS

Grafana first replaces the template variables ($name, ${name},
${name:format}, [[name]]) with the dashboard's defaults: a textbox or a
constant its query, a query variable the options its own (expanded) query
returns on the server, all of them when its current value is All. The
plugin then expands its macros (pkg/macros/macros.go of
grafana/clickhouse-datasource): $__timeFilter(c) is
"c >= toDateTime(FROM) AND c <= toDateTime(TO)", $__fromTime
"toDateTime(FROM)", the _ms forms fromUnixTimestamp64Milli(MS), and so on,
with the dashboard's default time range (now-90d to now: "time" in the
JSON; only now-Nd/h/m and now are read). A macro or variable it does not
know is an error (exit 1), so the test cannot pass over a query it did not
expand."""
import json
import re
import sys
import urllib.request

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def when(text, now):
    m = re.fullmatch(r"now(?:-(\d+)([smhdw]))?", text)
    if not m:
        sys.exit(f"grafana-expand: time '{text}' is not now or now-N[smhdw]")
    return now - (int(m.group(1)) * UNITS[m.group(2)] if m.group(1) else 0)


def query(url, sql):
    req = urllib.request.Request(url, data=(sql + " FORMAT TabSeparated").encode())
    with urllib.request.urlopen(req) as r:
        return [line for line in r.read().decode().split("\n") if line]


def quote(v):
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def format_value(name, values, fmt):
    if fmt in (None, "raw") and len(values) == 1:
        return values[0]
    if fmt == "singlequote":
        return ",".join(quote(v) for v in values)
    if fmt == "csv":
        return ",".join(values)
    sys.exit(f"grafana-expand: ${{{name}:{fmt}}}: format not expanded here")


VAR_RE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)\]\]")


def expand_vars(sql, values):
    def one(m):
        name = m.group(1) or m.group(3) or m.group(4)
        if name.startswith("__"):
            return m.group(0)  # a macro: the plugin's
        if name not in values:
            sys.exit(f"grafana-expand: ${name}: no such template variable")
        return format_value(name, values[name], m.group(2))

    return VAR_RE.sub(one, sql)


def variables(dash, url):
    values = {}
    for v in dash.get("templating", {}).get("list", []):
        kind = v["type"]
        if kind == "datasource":
            values[v["name"]] = [v["query"]]
        elif kind in ("textbox", "constant"):
            values[v["name"]] = [v["query"]]
        elif kind == "query":
            options = query(url, expand_vars(v["query"], values))
            cur = v.get("current", {}).get("value", [])
            cur = cur if isinstance(cur, list) else [cur]
            if v.get("includeAll") and cur == ["$__all"]:
                values[v["name"]] = options
            elif cur and all(c in options for c in cur):
                values[v["name"]] = cur
            else:
                sys.exit(f"grafana-expand: ${v['name']}: no default among its options")
            if not values[v["name"]]:
                sys.exit(f"grafana-expand: ${v['name']}: its query gave no options")
        else:
            sys.exit(f"grafana-expand: ${v['name']}: variable type {kind} not expanded here")
    return values


def expand_macros(sql, start, end):
    seconds = max((end - start) // 1000, 1)  # Grafana's interval for ~1000 points

    def one(m):
        name, arg = m.group(1), m.group(2)
        s, e = f"toDateTime({start})", f"toDateTime({end})"
        sm, em = (f"fromUnixTimestamp64Milli({t * 1000})" for t in (start, end))
        plain = {"fromTime": s, "toTime": e, "fromTime_ms": sm, "toTime_ms": em,
                 "interval_s": str(seconds)}
        ranged = {"timeFilter": (s, e), "timeFilter_ms": (sm, em)}
        if name in plain and arg is None:
            return plain[name]
        if name in ranged and arg:
            lo, hi = ranged[name]
            return f"{arg} >= {lo} AND {arg} <= {hi}"
        if name == "timeInterval" and arg:
            return f"toStartOfInterval(toDateTime({arg}), INTERVAL {seconds} second)"
        sys.exit(f"grafana-expand: $__{name}: macro not expanded here")

    out = re.sub(r"\$__(\w+)(?:\(([^()]*)\))?", one, sql)
    if re.search(r"\$\w|\$\{|\[\[\w", out):
        sys.exit(f"grafana-expand: left unexpanded: {out}")
    return out


def main():
    path, url, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path) as f:
        dash = json.load(f)
    start, end = when(dash["time"]["from"], now), when(dash["time"]["to"], now)
    values = variables(dash, url)
    for p in dash["panels"]:
        for t in p.get("targets", []):
            sql = expand_macros(expand_vars(t["rawSql"], values), start, end)
            print(json.dumps({"id": p["id"], "title": p["title"], "ref": t["refId"],
                              "sql": sql}))


main()
