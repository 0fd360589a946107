"""A follower on bovine-herd, a Python ActivityPub server that shares no
code with Fedify (PyPI: bovine, bovine-herd), driven by
tests/it/federation/interop_bovine.rs:

    .venv/bin/python follower.py --port 4002 \
        --actor http://127.0.0.1:4000/users/wire --workdir /tmp/x

It runs the real bovine-herd app (Quart under Hypercorn, its own SQLite
store, its own HTTP-signature checks), registers an actor, and has that
actor follow ours the way a bovine user does: a Follow posted to its own
outbox (client-to-server, Moo-Auth-1), which bovine-herd delivers. It
prints one line per event on stdout, `EVENT {"kind": ...}`:

  `request`: every request the server answered (method, path, the
             signature scheme it carried, status, the verified signer);
  `inbox`:   every activity bovine-herd accepted into an inbox (its type,
             id, and the signer bovine verified);
  `sent`:    every request bovine sent to our server (method, url, scheme,
             status).

The process exits when stdin closes or after --timeout seconds. What
bovine itself does is not changed; the hooks only watch. One thing is
supplied: JSON-LD contexts. bovine fetches the ones it does not carry
(security, DID, Multikey) from the internet, and tests only ever reach
127.0.0.1, so `offline_contexts` answers for them with the few terms an
actor document uses, written here.
"""

import argparse
import asyncio
import importlib.metadata
import json
import logging
import sys

import aiohttp
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, g, request

import bovine
import bovine.jsonld
from bovine.crypto import generate_ed25519_private_key, private_key_to_did_key
from pyld import jsonld
from bovine_herd import BovineHerd, build_default_background_task_inbox
from bovine_store import BovineAdminStore


def emit(kind, **data):
    sys.stdout.write("EVENT " + json.dumps({"kind": kind, **data}) + "\n")
    sys.stdout.flush()


def scheme_of(headers):
    if headers.get("signature-input"):
        return "rfc9421"
    if headers.get("signature"):
        return "cavage"
    return "none"


SECURITY = "https://w3id.org/security#"

# The terms of the security, DID and Multikey contexts that actor
# documents (ours, Fedify's, bovine's own) use.
OFFLINE = {
    "https://w3id.org/security/v1": {
        "id": "@id",
        "type": "@type",
        "sec": SECURITY,
        "publicKey": {"@id": "sec:publicKey", "@type": "@id"},
        "publicKeyPem": "sec:publicKeyPem",
        "owner": {"@id": "sec:owner", "@type": "@id"},
        "signature": {"@id": "sec:signature", "@type": "@id"},
    },
    "https://www.w3.org/ns/did/v1": {
        "id": "@id",
        "type": "@type",
        "assertionMethod": {
            "@id": SECURITY + "assertionMethod",
            "@type": "@id",
            "@container": "@set",
        },
        "controller": {"@id": SECURITY + "controller", "@type": "@id"},
    },
    "https://w3id.org/security/multikey/v1": {
        "id": "@id",
        "type": "@type",
        "Multikey": SECURITY + "Multikey",
        "controller": {"@id": SECURITY + "controller", "@type": "@id"},
        "publicKeyMultibase": SECURITY + "publicKeyMultibase",
    },
}


def offline_contexts(url, options, **kwargs):
    """A pyld document loader that never leaves the machine: bovine's own
    contexts from bovine, the ones above from here, anything else empty."""
    if url in OFFLINE:
        document = {"@context": OFFLINE[url]}
    elif url in (bovine.jsonld.bovine_context_name, "https://www.w3.org/ns/activitystreams") or url.startswith("http://joinmastodon.org/ns"):
        return bovine.jsonld.wrapper(url, options, **kwargs)
    else:
        document = {"@context": []}
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }


def watch_outgoing(target_origin):
    """Reports what bovine's aiohttp sessions send to our server."""

    async def on_request_end(session, ctx, params):
        url = str(params.url)
        if url.startswith(target_origin):
            emit(
                "sent",
                method=params.method,
                url=url,
                scheme=scheme_of(params.headers),
                status=params.response.status,
            )

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    original = aiohttp.ClientSession.__init__

    def patched(self, *args, **kwargs):
        kwargs.setdefault("trace_configs", []).append(trace)
        original(self, *args, **kwargs)

    aiohttp.ClientSession.__init__ = patched


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--actor", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    # bovine logs a traceback for every RFC 9421 request it cannot check;
    # expected here, so shown only when asked for.
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.CRITICAL, stream=sys.stderr
    )

    jsonld.set_document_loader(offline_contexts)
    origin = f"http://localhost:{args.port}"
    target = args.actor
    target_origin = "/".join(target.split("/")[:3])
    watch_outgoing(target_origin)
    emit(
        "started",
        bovine=importlib.metadata.version("bovine"),
        bovine_herd=importlib.metadata.version("bovine-herd"),
        python=sys.version.split()[0],
    )

    app = Quart(__name__)
    default_inbox_task = None

    async def inbox_task(item, actor):
        data = item.data or {}
        obj = data.get("object")
        emit(
            "inbox",
            type=data.get("type"),
            id=data.get("id"),
            actor=data.get("actor"),
            object=obj.get("id") if isinstance(obj, dict) else obj,
            signer=item.submitter,
        )
        await default_inbox_task(item, actor)

    BovineHerd(
        app,
        db_url=f"sqlite://{args.workdir}/bovine.sqlite3",
        start_background_task_inbox=inbox_task,
    )
    default_inbox_task = build_default_background_task_inbox(app)

    @app.after_request
    async def report(response):
        emit(
            "request",
            method=request.method,
            path=request.path,
            scheme=scheme_of(request.headers),
            status=response.status_code,
            signer=g.get("retriever"),
        )
        return response

    secret = generate_ed25519_private_key()
    registered = asyncio.Event()

    @app.before_serving
    async def register():
        store = BovineAdminStore(domain=origin)
        name = await store.register("reader")
        await store.add_identity_string_to_actor(
            name, "interop", private_key_to_did_key(secret)
        )
        actor = await store.actor_for_name(name)
        emit("registered", actor=actor.actor_object.id)
        registered.set()

    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.accesslog = None
    config.errorlog = None
    shutdown = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=shutdown.wait))

    async def follow():
        await registered.wait()
        # Wait for the server to answer before acting as its client.
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"{origin}/.well-known/nodeinfo"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        client = bovine.BovineClient(domain=origin, secret=secret)
        await client.init()
        response = await client.send_to_outbox(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "type": "Follow",
                "actor": client.actor_id,
                "object": target,
                "to": [target],
            }
        )
        follow_id = response.headers.get("location")
        emit("followed", status=response.status, id=follow_id, actor=client.actor_id)
        await client.session.close()

    async def stdin_closed():
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)

    try:
        await follow()
    except Exception as e:  # reported, then the test fails on it
        emit("error", message=repr(e))
    done, _ = await asyncio.wait(
        [asyncio.create_task(stdin_closed()), server],
        timeout=args.timeout,
        return_when=asyncio.FIRST_COMPLETED,
    )
    if not done:
        emit("timeout")
    shutdown.set()
    await asyncio.wait_for(server, 5)


if __name__ == "__main__":
    asyncio.run(main())
