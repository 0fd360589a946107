// A fediverse follower built on Fedify (which verifies HTTP signatures the
// way Mastodon does), driven by tests/it/federation/interop.rs.
//
//   node follower.mjs --port 4001 --actor http://127.0.0.1:4000/users/wire
//
// It looks the actor up by WebFinger, follows it, and prints one line per
// event on stdout: `EVENT {"kind": …}`. Only activities whose signatures
// Fedify verified reach the listeners. The Rust side asserts on the events;
// this script exits when stdin closes or after --timeout seconds.

import http from "node:http";
import {
  Accept,
  Create,
  Delete,
  Endpoints,
  Follow,
  Person,
  Update,
  createFederation,
  generateCryptoKeyPair,
  lookupWebFinger,
  MemoryKvStore,
} from "@fedify/fedify";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, cur, i, all) => {
    if (cur.startsWith("--")) acc.push([cur.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
const port = Number(args.port);
const target = args.actor;
const timeout = Number(args.timeout ?? 120);
// A host name: actor ids need a domain (activitypub_federation checks).
const origin = `http://localhost:${port}`;

function emit(kind, data = {}) {
  process.stdout.write(`EVENT ${JSON.stringify({ kind, ...data })}\n`);
}

const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
// Raw request bodies by activity id: the exact JSON we were sent, so the
// test can check the keys of contentMap as written (`pt-BR`).
const rawBodies = new Map();

const federation = createFederation({
  kv: new MemoryKvStore(),
  // Everything runs on 127.0.0.1.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "reader") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Interop Reader",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === "reader" ? [keyPair] : []
  )
  // Authorized fetch, as Mastodon's secure mode: our actor document is
  // served only to a request whose HTTP signature Fedify verified.
  .authorize((_ctx, _identifier, signedKey, signedKeyOwner) => {
    const signed = signedKey != null && signedKeyOwner != null;
    emit("actor-fetch", { signed, owner: signedKeyOwner?.id?.href ?? null });
    return signed;
  });

function raw(activity) {
  const id = activity.id?.href;
  const body = id ? rawBodies.get(id) : undefined;
  return body ? JSON.parse(body) : null;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, (_ctx, accept) => {
    emit("accept", { id: accept.id?.href, actor: accept.actorId?.href });
  })
  .on(Create, async (_ctx, create) => {
    const object = await create.getObject();
    const json = raw(create);
    emit("create", {
      id: create.id?.href,
      actor: create.actorId?.href,
      objectId: object?.id?.href,
      contentLanguages: (object?.contents ?? [])
        .filter((c) => typeof c !== "string")
        .map((c) => c.language?.compact?.() ?? String(c.language)),
      raw: json,
    });
  })
  .on(Update, async (_ctx, update) => {
    const object = await update.getObject();
    emit("update", { id: update.id?.href, objectId: object?.id?.href, raw: raw(update) });
  })
  .on(Delete, (_ctx, del) => {
    emit("delete", { id: del.id?.href, objectId: del.objectId?.href, raw: raw(del) });
  });

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  if (req.method === "POST") {
    try {
      const parsed = JSON.parse(body.toString("utf8"));
      if (parsed?.id) rawBodies.set(parsed.id, body.toString("utf8"));
    } catch {
      // Fedify answers malformed bodies itself.
    }
  }
  const request = new Request(new URL(req.url, origin), {
    method: req.method,
    headers: Object.entries(req.headers).flatMap(([k, v]) =>
      Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]
    ),
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  const response = await federation.fetch(request, { contextData: undefined });
  if (req.method === "POST") emit("inbox-status", { status: response.status });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});

server.listen(port, "127.0.0.1", async () => {
  try {
    // WebFinger by the actor URL (an acct: look-up would use https).
    const jrd = await lookupWebFinger(target, { allowPrivateAddress: true });
    const self = jrd?.links?.find((l) => l.rel === "self")?.href;
    emit("webfinger", { subject: jrd?.subject, aliases: jrd?.aliases, self });
    const ctx = federation.createContext(new URL(origin), undefined);
    const actor = await ctx.lookupObject(self ?? target);
    emit("actor", {
      id: actor?.id?.href,
      type: actor?.constructor?.name,
      inbox: actor?.inboxId?.href,
      sharedInbox: actor?.endpoints?.sharedInbox?.href,
    });
    await ctx.sendActivity(
      { identifier: "reader" },
      actor,
      new Follow({
        id: new URL(`${origin}/follows/1`),
        actor: ctx.getActorUri("reader"),
        object: actor.id,
      }),
    );
    emit("followed");
  } catch (e) {
    emit("error", { message: String(e?.stack ?? e) });
  }
});

setTimeout(() => {
  emit("timeout");
  process.exit(2);
}, timeout * 1000).unref();
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
