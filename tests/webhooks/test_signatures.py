"""Webhook signatures, checked by a library nsync did not write: the PyPI `standardwebhooks`
package (the reference implementation of the Standard Webhooks specification).

Starts `nsync demo`, registers a receiver on 127.0.0.1 as a webhook endpoint through the API,
makes the field change (an import, an update after a rename in the emulated NetSuite, a removal
by hand, then the same after a secret rotation), and checks that every delivery verifies with
`standardwebhooks.Webhook(secret).verify`, in order, and that a rotated endpoint's deliveries
verify with the old secret and with the new one. Run by scripts/test with NSYNC_BIN set.
"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

BIN = os.environ.get("NSYNC_BIN", "target/debug/nsync")


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        headers = {k.lower(): v for k, v in self.headers.items()}
        with Receiver.lock:
            Receiver.got.append((headers, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def call(url, method="GET", body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def wait_for(what, check, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit("timed out waiting for " + what)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = "http://127.0.0.1:%d/hooks/nsync" % server.server_address[1]

    data_dir = tempfile.mkdtemp(prefix="nsync-webhooks-")
    proc = subprocess.Popen(
        [BIN, "demo", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("nsync demo printed nothing; is the binary built? (" + BIN + ")")
        demo = json.loads(line)
        api, token = demo["url"] + "/api/v1", demo["api_token"]
        assert call(api + "/webhooks", token=token)["webhooks"] == [], "the demo registers nothing"
        created = call(api + "/webhooks", "POST", {"url": hook_url, "events": ["field.changed", "run.failed"]}, token)
        webhook, secret = created["webhook"]["id"], created["secret"]
        field = call(api + "/fields", token=token)["fields"][0]
        integration = field["integration_id"]

        def delivered(n):
            return lambda: len(Receiver.got) >= n and Receiver.got

        # An import: one event for the whole run.
        run = call(api + "/integrations/%d/import" % integration, "POST", {"all": True}, token)["run_id"]
        wait_for("the import", lambda: call(api + "/runs/%d" % run, token=token)["status"] != "running")
        wait_for("the import's event", delivered(1))
        # A rename in NetSuite, then an update.
        top = call(api + "/fields/%d/options?limit=500" % field["id"], token=token)["options"]
        customer = next(o for o in top if (o["upstream"] or "").startswith("customer:"))
        record = int(customer["upstream"].split(":")[1])
        url = "%s/_emulator/accounts/%s/mutations" % (demo["emulator_url"], demo["account_id"])
        call(url, "POST", {"op": "rename", "kind": "customer", "id": record, "name": "Renamed by the webhook test"})
        run = call(api + "/integrations/%d/update" % integration, "POST", {}, token)["run_id"]
        wait_for("the update", lambda: call(api + "/runs/%d" % run, token=token)["status"] != "running")
        wait_for("the update's event", delivered(2))
        # A removal by hand.
        call(api + "/options/%d/remove" % customer["id"], "POST", {}, token)
        wait_for("the removal's event", delivered(3))
        # After a rotation, deliveries verify with either secret.
        new_secret = call(api + "/webhooks/%d/rotate-secret" % webhook, "POST", {}, token)["secret"]
        call(api + "/options/%d/restore" % customer["id"], "POST", {}, token)
        got = wait_for("the restore's event", delivered(4))

        kinds = []
        for i, (headers, body) in enumerate(got):
            secrets = [secret] if i < 3 else [secret, new_secret]
            for s in secrets:
                try:
                    payload = Webhook(s).verify(body, headers)
                except WebhookVerificationError as err:
                    raise SystemExit("delivery %d does not verify with %s...: %s" % (i, s[:10], err))
            kinds.append(payload["data"].get("action") or "run")
            if i >= 3:
                assert len(headers["webhook-signature"].split(" ")) == 2, headers["webhook-signature"]
        # A forged body does not verify.
        headers, body = got[0]
        try:
            Webhook(secret).verify(body.replace("field.changed", "field.changeD"), headers)
            raise SystemExit("a tampered body verified")
        except WebhookVerificationError:
            pass
        assert kinds == ["run", "run", "remove_option", "restore_option"], kinds
        ids = [h["webhook-id"] for h, _ in got]
        assert ids == sorted(ids, key=lambda i: int(i[4:])), ids
        print("webhook signatures: %d deliveries verified with standardwebhooks" % len(got))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
