//! Inbox POST bodies and headers → everything the inbox does before any
//! fetch (`intake::admit`: JSON, our signature policy, the signed Host),
//! the crate's parse of the activity (`Incoming`), and the classification
//! (`intake::classify`) with the ownership checks `dispatch` makes.
//! Law: a request we signed ourselves, unedited, for our host, with a JSON
//! body, is admitted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use url::Url;
use wirebridge::federation::inbox::{id_of, Incoming};
use wirebridge::federation::intake::{self, Intent};
use wirebridge::federation::Urls;

#[path = "../common/request.rs"]
#[allow(dead_code)] // the public key: the crate verifies inbox signatures
mod request;
use request::{now, Request, HOST};

fn resolve(urls: &Urls, intent: Intent) {
    match intent {
        Intent::Follow { object: Some(o) }
        | Intent::Unfollow { target: Some(o) }
        | Intent::Block { object: Some(o) } => {
            let _ = urls.username_of(&o);
        }
        Intent::Interaction { object, .. }
        | Intent::Reply {
            in_reply_to: object,
        } => {
            let _ = urls.object_of(&object);
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(req) = Request::read(data) else {
        return;
    };
    let urls = Urls::new(&Url::parse(&format!("https://{HOST}/")).expect("our URL"));
    let lookup = req.lookup();
    match intake::admit(&req.method, &req.target, &lookup, &req.body, now(), HOST) {
        Ok(admitted) => {
            let _ = serde_json::from_slice::<Incoming>(&req.body);
            if let Some(actor) = &admitted.actor {
                resolve(&urls, intake::classify(&admitted.doc, actor));
            }
        }
        Err(e) => {
            let json = serde_json::from_slice::<Value>(&req.body).is_ok();
            assert!(
                !(req.fresh_untouched_signature() && json),
                "our own fresh signature was refused: {e}"
            );
            let _ = (e.status(), e.to_string());
        }
    }
    // Classification reads any JSON, admitted or not, so the fuzzer need
    // not make a valid signature to reach it.
    if let Ok(doc) = serde_json::from_slice::<Value>(&req.body) {
        let actor = id_of(doc.get("actor")).unwrap_or_default();
        resolve(&urls, intake::classify(&doc, &actor));
    }
});
