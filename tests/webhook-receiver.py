#!/usr/bin/env python3
"""A webhook receiver for the Spin smoke run: records every POST (path, headers, body) as one JSON line
in LOG and answers by path: /fail/... 500 until the file RECOVERED exists (then 200), /gone/... 410,
anything else 200. Usage: webhook-receiver.py PORT LOG RECOVERED"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, log, recovered = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.body()
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps({
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8"),
            }) + "\n")
        if self.path.startswith("/fail") and not os.path.exists(recovered):
            status = 500
        elif self.path.startswith("/gone"):
            status = 410
        else:
            status = 200
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def body(self):
        if self.headers.get("transfer-encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("content-length", 0)))
        chunks = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return chunks
            chunks += self.rfile.read(size)
            self.rfile.readline()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
