#!/usr/bin/env python3
"""A stand-in for the Hugging Face datasets-server, on 127.0.0.1 only.

    hf-standin.py CONTROL PORTFILE LOG

Listens on a free port (port 0) and writes the port to PORTFILE once it
accepts connections. CONTROL is a JSON file, read again at every request
(so a test can change what the server does between two runs):

  "splits":   {"OWNER/NAME": [[CONFIG, SPLIT, ROWS_FILE], ...]}
              ROWS_FILE (relative to CONTROL's directory) holds one row per
              line; each line's bytes are served as the row, unchanged
  "token":    a token every request must carry as "Authorization: Bearer
              TOKEN": without it the answer is 401 with the Hub's text
  "faults":   {"N": FAULT}: what request N gets instead of its answer
              (requests counted from 1, /splits and /rows together, and
              afresh whenever the control file's text changes)
  "from":     N, with "fault": FAULT: every request from N on gets FAULT
  "truncated": [ROW_IDX, ...]: those rows come with a truncated cell
  "partial":  true: every /rows answer says "partial": true
  "pretty":   true: answers are laid out over lines, indented
  "page_max": rows per answer at most (default 100, as the real server)

FAULT is "429" or "429:SECONDS" (with Retry-After), "500", "503", "cut"
(a 200 whose body stops halfway, the connection closed), "notjson" (a 200
whose body is HTML) or "shape" (a 200 whose JSON has no rows).

LOG gets one line per request: "N PATH AUTH", AUTH being "token" when an
Authorization header came and "-" otherwise (never the token itself).
Error bodies are {"error": TEXT}, as the real server's.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

control_path, port_path, log_path = sys.argv[1:4]
count = [0]
last = [None]

GATED = ("The dataset does not exist, or is not accessible without authentication "
         "(private or gated). Please check the spelling of the dataset name or retry with "
         "authentication.")


def control():
    with open(control_path, encoding="utf-8") as f:
        text = f.read()
    if text != last[0]:
        last[0] = text
        count[0] = 0
    return json.loads(text)


def rows_of(ctl, path):
    with open(os.path.join(os.path.dirname(control_path), path), "rb") as f:
        return [line.rstrip(b"\n") for line in f if line.strip()]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, text, headers=()):
        self.send(status, json.dumps({"error": text}), headers)

    def fault(self, what, body):
        kind, _, arg = what.partition(":")
        if kind in ("429", "500", "503"):
            self.error(int(kind), "Too many requests" if kind == "429" else "Internal error",
                       [("Retry-After", arg)] if arg else [])
        elif kind == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif kind == "notjson":
            self.send(200, "<html><body>502 Bad Gateway</body></html>")
        elif kind == "shape":
            self.send(200, '{"rows_missing":true}')

    def do_GET(self):
        ctl = control()
        count[0] += 1
        n = count[0]
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        auth = self.headers.get("Authorization")
        with open(log_path, "a", encoding="utf-8") as f:
            f.write("%d %s %s\n" % (n, self.path, "token" if auth else "-"))
        body = self.answer(ctl, url.path, q)
        what = ctl.get("faults", {}).get(str(n))
        if what is None and "from" in ctl and n >= ctl["from"]:
            what = ctl["fault"]
        if "token" in ctl and auth != "Bearer " + ctl["token"]:
            self.error(401, GATED)
        elif what is not None:
            self.fault(what, body[1] if body else b"")
        elif body is None:
            self.error(404, "Not found.")
        else:
            self.send(*body)

    def answer(self, ctl, path, q):
        """(status, body) for the request, or None for a 404."""
        splits = ctl.get("splits", {}).get(q.get("dataset"))
        if splits is None:
            return None
        indent = 2 if ctl.get("pretty") else None
        if path == "/splits":
            out = {"splits": [{"dataset": q["dataset"], "config": c, "split": s}
                              for c, s, _ in splits], "pending": [], "failed": []}
            return 200, json.dumps(out, indent=indent).encode()
        if path != "/rows":
            return None
        for c, s, file in splits:
            if c == q.get("config") and s == q.get("split"):
                return self.page(ctl, rows_of(ctl, file), q, indent)
        return 404, json.dumps({"error": "Not found."}).encode()

    def page(self, ctl, rows, q, indent):
        offset, length = int(q.get("offset", 0)), int(q.get("length", 100))
        if length > 100:
            return 422, json.dumps({"error": "Parameter 'length' must not be greater than 100"}).encode()
        length = min(length, ctl.get("page_max", 100))
        parts = []
        for i in range(offset, min(offset + length, len(rows))):
            row = rows[i]
            if indent:
                row = json.dumps(json.loads(row), indent=indent, ensure_ascii=False).encode()
            cells = b'["text"]' if i in ctl.get("truncated", []) else b"[]"
            parts.append(b'{"row_idx":%d,"row":%s,"truncated_cells":%s}' % (i, row, cells))
        sep = b",\n  " if indent else b","
        body = (b'{"features":[{"feature_idx":0,"name":"text","type":{"dtype":"string",'
                b'"_type":"Value"}}],"rows":[' + sep.join(parts) +
                b'],"num_rows_total":%d,"num_rows_per_page":100,"partial":%s}'
                % (len(rows), b"true" if ctl.get("partial") else b"false"))
        return 200, body


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_path + ".tmp", "w", encoding="utf-8") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(port_path + ".tmp", port_path)
server.serve_forever()
