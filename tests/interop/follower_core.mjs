// The body of a fediverse follower built on Fedify, shared by the two
// Fedify versions the interop tests run (tests/interop: Fedify 1.5 on the
// machine's Node 20, cavage only; tests/interop9421: a current Fedify on
// its own Node 22, RFC 9421 first). Each version's `follower.mjs` imports
// its own Fedify and hands it to `run`; this file imports no Fedify.
//
// It looks our actor up by WebFinger, follows it, and prints one line per
// event on stdout: `EVENT {"kind": …}`. Only activities whose signatures
// Fedify verified reach the listeners. Every request either way is
// reported with the signature scheme it carried:
//   `request`: one we received (method, path, scheme, status);
//   `sent`:    one Fedify sent to our server (method, url, scheme, status).
// The Rust side asserts on the events; the process exits when stdin
// closes or after --timeout seconds.

import http from "node:http";

/** The signature scheme a request's headers carry. */
function schemeOf(headers) {
  const get = (name) =>
    typeof headers.get === "function" ? headers.get(name) : headers[name];
  if (get("signature-input")) return "rfc9421";
  if (get("signature")) return "cavage";
  return "none";
}

export async function run(lib) {
  const {
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
    version,
  } = lib;
  const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, cur, i, all) => {
      if (cur.startsWith("--")) acc.push([cur.slice(2), all[i + 1]]);
      return acc;
    }, []),
  );
  const port = Number(args.port);
  const target = args.actor;
  const targetOrigin = new URL(target).origin;
  const timeout = Number(args.timeout ?? 120);
  // A host name: actor ids need a domain (activitypub_federation checks).
  const origin = `http://localhost:${port}`;

  function emit(kind, data = {}) {
    process.stdout.write(`EVENT ${JSON.stringify({ kind, ...data })}\n`);
  }
  emit("started", { fedify: version, node: process.version });

  // What Fedify sends to our server, and in which scheme.
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const isRequest = input instanceof Request;
    const url = isRequest ? input.url : String(input);
    const method = init?.method ?? (isRequest ? input.method : "GET");
    const headers = new Headers(init?.headers ?? (isRequest ? input.headers : undefined));
    const response = await realFetch(input, init);
    if (new URL(url).origin === targetOrigin) {
      emit("sent", { method, url, scheme: schemeOf(headers), status: response.status });
    }
    return response;
  };

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
    .authorize(async (ctx, _identifier) => {
      const key = await ctx.getSignedKey();
      const owner = key == null ? null : await ctx.getSignedKeyOwner();
      const signed = key != null && owner != null;
      emit("actor-fetch", {
        signed,
        key: key?.id?.href ?? null,
        owner: owner?.id?.href ?? null,
        ownerType: owner?.constructor?.name ?? null,
      });
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
          // Fedify 2 keeps an Intl.Locale, Fedify 1 a LanguageTag.
          .map((c) => c.locale?.baseName ?? c.language?.compact?.() ?? String(c.language)),
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
    emit("request", {
      method: req.method,
      path: req.url,
      scheme: schemeOf(req.headers),
      status: response.status,
    });
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
}
