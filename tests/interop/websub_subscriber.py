"""A WebSub subscriber built on flask-websub (PyPI), which nobody here
wrote: discovers the hub of FEED, subscribes on loopback, and prints one
JSON line per event (listening, subscribed, verified, notified, error) until
TIMEOUT seconds pass. Driven by tests/it/websub/interop.rs."""

import argparse
import json
import sys
import tempfile
import threading
import time

from flask import Flask
from flask_websub.subscriber import (
    Subscriber,
    SQLite3SubscriberStorage,
    SQLite3TempSubscriberStorage,
    discover,
)
from werkzeug.serving import make_server


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--feed", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()

    folder = tempfile.mkdtemp()
    app = Flask(__name__)
    app.config["SERVER_NAME"] = f"127.0.0.1:{args.port}"
    subscriber = Subscriber(
        SQLite3SubscriberStorage(f"{folder}/subs.sqlite"),
        SQLite3TempSubscriberStorage(f"{folder}/temp.sqlite"),
    )
    app.register_blueprint(subscriber.build_blueprint(url_prefix="/callbacks"))
    subscriber.add_success_handler(
        lambda topic, callback, mode: say("verified", topic=topic, mode=mode)
    )
    subscriber.add_error_handler(
        lambda topic, callback, reason: say("error", topic=topic, reason=str(reason))
    )
    subscriber.add_listener(
        lambda topic, callback, body: say(
            "notified", topic=topic, body=body.decode("utf-8", "replace")
        )
    )

    server = make_server("127.0.0.1", args.port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    say("listening")
    with app.app_context():
        found = discover(args.feed)
        callback_id = subscriber.subscribe(lease_seconds=3600, **found)
    say("subscribed", hub=found["hub_url"], topic=found["topic_url"], id=callback_id)
    time.sleep(args.timeout)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
