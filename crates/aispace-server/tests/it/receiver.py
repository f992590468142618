"""A webhook receiver for the end-to-end tests, on 127.0.0.1 only.

Appends every request (path, headers, body) to the JSONL log given as the
first argument and prints its port on the first line of stdout. While the
file named by the second argument exists, it answers 500 (the receiver is
"down"); otherwise 204.
"""
import http.server
import json
import os
import sys

LOG, DOWN = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        down = os.path.exists(DOWN)
        with open(LOG, "a") as log:
            log.write(json.dumps({
                "path": self.path,
                "id": self.headers.get("webhook-id"),
                "timestamp": self.headers.get("webhook-timestamp"),
                "signature": self.headers.get("webhook-signature"),
                "contentType": self.headers.get("content-type"),
                "body": body.decode(),
                "answered": 500 if down else 204,
            }) + "\n")
        self.send_response(500 if down else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
