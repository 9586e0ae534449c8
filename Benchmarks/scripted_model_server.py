#!/usr/bin/env python3
"""An OpenAI-compatible chat server on 127.0.0.1 that replays a scenario and records requests.

usage: scripted_model_server.py SCENARIO.json REQUESTS.jsonl

SCENARIO is a JSON list of steps (or {"perConversation": true, "steps": [...]}): {"reply": text, "status": 200, "headers": {}, "delay":
seconds, "hang": false, "padding": bytes}; after the last step the last one repeats. The
server prints its port, then serves until killed. Used by the tests (ScriptedModelServer)
and by Benchmarks/agent.sh.
"""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

scenario = json.load(open(sys.argv[1]))
# A list replays in arrival order; {"perConversation": true, "steps": [...]} picks the step
# by the number of assistant turns in the request, so concurrent conversations each follow it.
per_conversation = isinstance(scenario, dict) and scenario.get("perConversation", False)
steps = scenario["steps"] if isinstance(scenario, dict) else scenario
log_path = sys.argv[2]
lock = threading.Lock()
counter = [0]

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        with lock:
            if per_conversation:
                turns = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
                index = min(turns, len(steps) - 1)
            else:
                index = min(counter[0], len(steps) - 1)
            counter[0] += 1
            with open(log_path, "a") as log:
                log.write(json.dumps({"headers": dict(self.headers), "body": body}) + "\n")
        step = steps[index]
        if step.get("hang"):
            time.sleep(3600)
            return
        if step.get("delay"):
            time.sleep(step["delay"])
        status = step.get("status", 200)
        if status != 200:
            payload = json.dumps({"error": {"message": "scripted error %d" % status}}).encode()
        else:
            content = step.get("reply") or ""
            content += "x" * step.get("padding", 0)
            payload = json.dumps({
                "id": "chatcmpl-scripted", "object": "chat.completion", "model": body.get("model", ""),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            }).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in step.get("headers", {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
