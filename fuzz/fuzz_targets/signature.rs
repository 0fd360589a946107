//! HTTP signature headers → our policy check (`signature::check`) → the
//! RSA verification with the fixed fuzzing key. Law: a request we signed
//! ourselves and nobody edited passes both.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirebridge::federation::signature;

#[path = "../common/request.rs"]
mod request;
use request::{now, Request, PUBLIC_PEM};

fuzz_target!(|data: &[u8]| {
    let Some(req) = Request::read(data) else {
        return;
    };
    let lookup = req.lookup();
    if let Some(raw) = lookup("signature") {
        let _ = signature::claimed_key_host(&raw);
    }
    let verdict = signature::check(&req.method, &req.target, &lookup, &req.body, now())
        .and_then(|pending| pending.verify(PUBLIC_PEM));
    if req.fresh_untouched_signature() {
        assert_eq!(verdict, Ok(()), "our own fresh signature was refused");
    }
    if let Err(e) = verdict {
        let _ = e.to_string();
    }
});
