//! Federation end to end: discovery, the inbox with real-world-shaped
//! JSON, posting and delivery against a fake fediverse server on loopback,
//! the delivery queue's per-host limit and host health, the kill -9 story
//! with the real binary, HTTP signatures in both schemes (double-knocking,
//! authorized fetch, the instance actor), and interop with two Fedify
//! versions and bovine.

mod authorized_fetch;
mod delivery;
mod discovery;
mod inbox;
mod interop;
mod interop_bovine;
mod knocking;
mod posting;
mod remote;
mod restart;
mod signatures;
mod urls;
mod world;
