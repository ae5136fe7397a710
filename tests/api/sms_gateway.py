"""A stand-in SMS gateway for tests/api/sms*.rs:
python3 sms_gateway.py PORT RECOVERED_FILE [CERT_PEM KEY_PEM]

With a certificate and its key, the gateway speaks HTTPS only.

Every POST is printed on stdout as one JSON line {"ok", "authorization", "body"}. The gateway
answers 503 while RECOVERED_FILE does not exist (it is failing), and 200 once it does.
Standard library only.
"""

import http.server
import json
import os
import ssl
import sys

PORT = int(sys.argv[1])
RECOVERED = sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        ok = os.path.exists(RECOVERED)
        line = {
            "ok": ok,
            "authorization": self.headers.get("Authorization"),
            "content_type": self.headers.get("Content-Type"),
            "body": json.loads(body),
        }
        print(json.dumps(line), flush=True)
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
if len(sys.argv) > 4:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    # A client that refuses the certificate fails the handshake in accept(): socketserver
    # drops that connection (an OSError) and keeps serving.
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
