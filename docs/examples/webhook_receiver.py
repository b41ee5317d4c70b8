"""A Firstmile webhook receiver: verify the signature, act once per webhook-id.

    pip install standardwebhooks
    FIRSTMILE_WEBHOOK_SECRET=whsec_... python webhook_receiver.py 8080

Firstmile delivers at least once: after a timeout or a crash the same message may
come again, always with the same `webhook-id`. Remember the ids you have handled
(here in SQLite, in the same transaction as your own change) and answer 2xx to a
repeat without acting twice. Answer quickly; do slow work after answering.
"""

import os
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def handle(event: dict, db: sqlite3.Connection) -> None:
    """Your ERP's own work; e.g. mark an order shipped when its waybill is issued."""
    print(event["type"], event["data"]["object"])


def make_handler(secret: str, db: sqlite3.Connection):
    webhook = Webhook(secret)
    db.execute("CREATE TABLE IF NOT EXISTS seen (webhook_id TEXT PRIMARY KEY)")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                event = webhook.verify(body, dict(self.headers))  # signature and a 5-minute timestamp window
            except WebhookVerificationError:
                return self._answer(400)
            with db:  # one transaction: the id is remembered exactly when the work is done
                if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (self.headers["webhook-id"],)).rowcount:
                    handle(event, db)
            self._answer(204)

        def _answer(self, status: int):
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Receiver


if __name__ == "__main__":
    database = sqlite3.connect("webhooks-seen.sqlite3", check_same_thread=False)
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    HTTPServer(("127.0.0.1", port), make_handler(os.environ["FIRSTMILE_WEBHOOK_SECRET"], database)).serve_forever()
