// A fediverse follower on Fedify 1.5 (draft-cavage signatures only, the
// machine's Node 20), driven by tests/it/federation/interop.rs:
//
//   node follower.mjs --port 4001 --actor http://127.0.0.1:4000/users/wire
//
// The follower itself is `follower_core.mjs`, shared with the current
// Fedify in tests/interop9421.

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
import { readFileSync } from "node:fs";
import { run } from "./follower_core.mjs";

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
