#!/usr/bin/env python3
"""Receive the job queue's webhook deliveries and verify their Standard Webhooks signatures.

Uses only the Python 3 standard library. Every POST, on any path, is checked:

* The headers webhook-id, webhook-timestamp and webhook-signature must be present.
* webhook-timestamp (Unix seconds) must be within 5 minutes of this machine's clock.
* One of the space-separated "v1,<base64>" entries of webhook-signature must equal the
  base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{raw body}". The HMAC key is the
  base64-decoded part of the secret "whsec_<base64>".

A failed check returns 401 with a problem+json body. A verified delivery returns 200 with
a JSON body, which the worker stores as the job's result. When args.fail_status is an
integer from 300 to 599, the receiver returns that status with a problem+json body instead,
so the worker fails the attempt and retries the job while attempts remain.

With --record FILE, one JSON line per POST request is appended to FILE and flushed:
{"webhook_id", "job_id", "attempt", "kind", "signature_valid", "status"}, where status is
the HTTP status sent. The job fields come from the body even when its signature is invalid,
and are null when absent. The attempt falls back to the jobqueue-attempt header.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Maximum distance of webhook-timestamp from this machine's clock. It bounds how long a captured
# request can be replayed. The npm package standardwebhooks 1.1.1 uses the same 5 minutes.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60

# Maximum body size. Larger requests are rejected with 413 before the body is read.
MAX_BODY_BYTES = 1024 * 1024

SECRET_PREFIX = "whsec_"


def log(message):
    """Write one line to stderr in a single call, so lines from concurrent requests do not interleave."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class InvalidSignature(Exception):
    """A delivery whose headers, timestamp or signature fail verification."""


def decode_secret(secret):
    """Return the HMAC key of a "whsec_<base64>" secret. The prefix is optional.

    Raises ValueError when the rest is not valid base64 or decodes to nothing.
    """
    encoded = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ValueError(f"the secret is not {SECRET_PREFIX}<base64>: {error}") from None
    if not key:
        raise ValueError(f"the secret is empty after the {SECRET_PREFIX} prefix")
    return key


def sign(key, webhook_id, timestamp, body):
    """Return the base64 HMAC-SHA256 signature of one delivery, without the "v1," prefix."""
    signed_content = f"{webhook_id}.{timestamp}.".encode("utf-8") + body
    digest = hmac.new(key, signed_content, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(key, headers, body, now):
    """Raise InvalidSignature unless the delivery's headers carry a valid, timely signature."""
    webhook_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signature_header = headers.get("webhook-signature")
    if not webhook_id or not timestamp or not signature_header:
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature header")

    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidSignature(f"webhook-timestamp is not Unix seconds: {timestamp!r}") from None
    if abs(now - sent_at) > TIMESTAMP_TOLERANCE_SECONDS:
        raise InvalidSignature(
            f"webhook-timestamp {sent_at} is more than {TIMESTAMP_TOLERANCE_SECONDS} s from "
            f"this machine's clock ({int(now)})")

    expected = sign(key, webhook_id, timestamp, body).encode("ascii")
    matched = False
    for entry in signature_header.split():
        version, _, signature = entry.partition(",")
        # Compare every entry in constant time, so the timing does not reveal which one matched.
        if version == "v1" and hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
            matched = True
    if not matched:
        raise InvalidSignature("no v1 entry of webhook-signature matches the body and the secret")


def integer_or_none(value):
    """Return value as an int if it is one (not a bool) or a decimal string, otherwise None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def requested_failure_status(delivery):
    """Return args.fail_status if it is a JSON integer from 300 to 599, otherwise None."""
    args = delivery.get("args")
    status = args.get("fail_status") if isinstance(args, dict) else None
    if isinstance(status, int) and not isinstance(status, bool) and 300 <= status <= 599:
        return status
    return None


class WebhookHandler(BaseHTTPRequestHandler):
    server_version = "JobQueueExampleReceiver/1"

    # Socket timeout in seconds, so a client that stops sending cannot hold a thread forever.
    timeout = 30

    def do_POST(self):
        record = {
            "webhook_id": self.headers.get("webhook-id"),
            "job_id": None,
            "attempt": integer_or_none(self.headers.get("jobqueue-attempt")),
            "kind": None,
            "signature_valid": False,
            "status": None,
        }
        record["status"] = self.respond_to_delivery(record)
        self.server.write_record(record)

    def respond_to_delivery(self, record):
        """Verify one delivery, send the response, fill in record's job fields and return the status sent."""
        try:
            body = self.read_body()
        except ValueError as error:
            return self.send_problem(400, "Bad Request", f"{error}.")
        if body is None:
            return self.send_problem(413, "Content Too Large", f"The body is larger than {MAX_BODY_BYTES} bytes.")

        delivery = self.parse_delivery(body)
        record["job_id"] = integer_or_none(delivery.get("id"))
        record["attempt"] = integer_or_none(delivery.get("attempt", record["attempt"]))
        record["kind"] = delivery.get("kind") if isinstance(delivery.get("kind"), str) else None

        try:
            verify(self.server.key, self.headers, body, time.time())
        except InvalidSignature as error:
            return self.send_problem(401, "Unauthorized", f"Webhook signature rejected: {error}.")
        record["signature_valid"] = True

        fail_status = requested_failure_status(delivery)
        if fail_status is not None:
            detail = f"args.fail_status asked this receiver to return {fail_status}."
            return self.send_problem(fail_status, "Requested failure", detail)

        result = {
            "received": True,
            "webhook_id": record["webhook_id"],
            "job_id": record["job_id"],
            "kind": record["kind"],
            "attempt": record["attempt"],
        }
        return self.send_json(200, "application/json", result)

    def do_GET(self):
        self.send_method_not_allowed()

    def do_PUT(self):
        self.send_method_not_allowed()

    def do_DELETE(self):
        self.send_method_not_allowed()

    def read_body(self):
        """Read the raw request body, or return None when it exceeds MAX_BODY_BYTES.

        Raises ValueError when the framing is invalid.
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked_body()

        length_header = self.headers.get("Content-Length", "0")
        if not (length_header.isascii() and length_header.isdigit()):
            raise ValueError(f"invalid Content-Length: {length_header!r}")
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length)

    def read_chunked_body(self):
        """Read an HTTP/1.1 chunked body, which http.server does not decode itself."""
        chunks = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ValueError(f"invalid chunk size line: {size_line!r}") from None
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                self.close_connection = True
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

        # Skip any trailer fields up to the blank line that ends the body.
        for _ in range(100):
            if self.rfile.readline(1024) in (b"\r\n", b"\n", b""):
                break
        return b"".join(chunks)

    @staticmethod
    def parse_delivery(body):
        """Decode the body as a JSON object, or return {} when it is not one."""
        try:
            delivery = json.loads(body)
        except ValueError:
            return {}
        return delivery if isinstance(delivery, dict) else {}

    def send_method_not_allowed(self):
        self.send_problem(405, "Method Not Allowed", "Deliveries must be sent with POST.", {"Allow": "POST"})

    def send_problem(self, status, title, detail, headers=None):
        problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        return self.send_json(status, "application/problem+json", problem, headers)

    def send_json(self, status, content_type, document, headers=None):
        payload = json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        return status

    def log_request(self, code="-", size="-"):
        # Logs only the ids and the status, because the body contains the job's args.
        webhook_id = self.headers.get("webhook-id", "-")
        attempt = self.headers.get("jobqueue-attempt", "-")
        log(f"{self.command} {self.path} {code} webhook-id={webhook_id} attempt={attempt}")


class ReceiverServer(ThreadingHTTPServer):
    """HTTP server that carries the HMAC key and the optional record file for its handlers."""

    def __init__(self, address, key, record_file):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.key = key
        self.record_file = record_file
        self.record_lock = threading.Lock()
        super().__init__(address, WebhookHandler)

    def write_record(self, record):
        if self.record_file is None:
            return
        with self.record_lock:
            self.record_file.write(json.dumps(record) + "\n")
            self.record_file.flush()


def parse_options(argv):
    parser = argparse.ArgumentParser(description="Receive and verify the job queue's webhook deliveries.")
    parser.add_argument("--port", type=int, default=9090,
                        help="TCP port to listen on, or 0 for a free port (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind to, for example 127.0.0.1 or ::1 (default: %(default)s)")
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET"),
                        help="signing secret whsec_<base64>, equal to the worker route's secret "
                             "(default: the WEBHOOK_SECRET environment variable)")
    parser.add_argument("--record", metavar="FILE",
                        help="append one JSON line per POST request to FILE")
    options = parser.parse_args(argv)

    if not options.secret:
        parser.error("missing secret: pass --secret whsec_... or set WEBHOOK_SECRET")
    try:
        options.key = decode_secret(options.secret)
    except ValueError as error:
        parser.error(f"invalid --secret: {error}")
    if not 0 <= options.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {options.port}")
    return options


def main(argv):
    options = parse_options(argv)
    record_file = None
    if options.record:
        try:
            record_file = open(options.record, "a", encoding="utf-8")
        except OSError as error:
            log(f"error: cannot open --record file {options.record}: {error}")
            return 1

    try:
        server = ReceiverServer((options.host, options.port), options.key, record_file)
    except OSError as error:
        log(f"error: cannot listen on {options.host}:{options.port}: {error}")
        return 1

    # shutdown() waits for serve_forever() to return, so it must run on another thread than
    # the one serving, which is also the one that runs signal handlers.
    def stop(signum, _frame):
        log(f"received {signal.Signals(signum).name}, stopping")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    host, port = server.server_address[:2]
    url_host = f"[{host}]" if ":" in host else host
    print(f"receiver listening on http://{url_host}:{port}/", flush=True)

    try:
        server.serve_forever()
    finally:
        server.server_close()
        if record_file is not None:
            record_file.close()
    log("receiver stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
