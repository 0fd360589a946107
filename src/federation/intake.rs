//! An inbox POST read without the network: the checks every POST passes
//! before anything is fetched (a JSON body, our signature policy, a Host
//! that is ours) and what the activity asks for. Pure, so the fuzz target
//! `inbox` drives the very code the inbox runs; `inbox` keeps everything
//! that needs the store, the crate's key check or a peer. Must not fetch.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::inbox::{id_of, InboxError};
use super::signature::{self, Rejected};

/// A POST that passed the checks made before any fetch.
#[derive(Debug)]
pub struct Admitted {
    pub doc: Value,
    /// The actor the activity names: unverified until the crate has
    /// checked the signature with that actor's key.
    pub actor: Option<String>,
}

/// The body is JSON, the signature meets our policy (coverage, Date
/// window, Digest), and the signed Host is `our_host`: a signature made
/// for another server must not be replayable here (a proxy in front must
/// pass Host through anyway, or no signature would verify).
pub fn admit(
    method: &str,
    target: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now: DateTime<Utc>,
    our_host: &str,
) -> Result<Admitted, InboxError> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| InboxError::BadRequest(e.to_string()))?;
    signature::check(method, target, lookup, body, now)?;
    if !lookup("host").is_some_and(|h| h.eq_ignore_ascii_case(our_host)) {
        return Err(Rejected::Malformed(format!("not signed for {our_host}")).into());
    }
    let actor = id_of(doc.get("actor"));
    Ok(Admitted { doc, actor })
}

/// What an activity asks of us, before we look at whose objects it names.
#[derive(Debug, PartialEq, Eq)]
pub enum Intent {
    /// Follow `object` (one of our actors, if it is ours at all).
    Follow {
        object: Option<String>,
    },
    /// Undo of a Follow, given whole or by its id only; `target` is the
    /// followed actor when the Undo says (else: every actor of ours).
    Unfollow {
        target: Option<String>,
    },
    /// Block of `object`.
    Block {
        object: Option<String>,
    },
    /// The actor deleted itself.
    DeleteActor,
    /// Like or Announce of `object`.
    Interaction {
        kind: &'static str,
        object: String,
    },
    /// A Create replying to `in_reply_to`.
    Reply {
        in_reply_to: String,
    },
    Ignored,
}

/// Classifies `doc`, sent by `actor`.
pub fn classify(doc: &Value, actor: &str) -> Intent {
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    let object = id_of(doc.get("object"));
    match kind {
        "Follow" => Intent::Follow { object },
        "Undo" => {
            let inner = doc.get("object");
            let inner_type = inner.and_then(|o| o.get("type")).and_then(Value::as_str);
            if inner_type.is_some() && inner_type != Some("Follow") {
                return Intent::Ignored;
            }
            let target = inner.and_then(|o| id_of(o.get("object")));
            Intent::Unfollow { target }
        }
        "Block" => Intent::Block { object },
        "Delete" if object.as_deref() == Some(actor) => Intent::DeleteActor,
        "Like" | "Announce" => match object {
            Some(object) => Intent::Interaction {
                kind: if kind == "Like" { "Like" } else { "Announce" },
                object,
            },
            None => Intent::Ignored,
        },
        "Create" => match doc.get("object").and_then(|o| id_of(o.get("inReplyTo"))) {
            Some(in_reply_to) => Intent::Reply { in_reply_to },
            None => Intent::Ignored,
        },
        _ => Intent::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALICE: &str = "https://remote.example/users/alice";

    #[test]
    fn an_undo_of_anything_but_a_follow_is_ignored_and_an_undo_by_id_unfollows_everywhere() {
        let undo_like = json!({"type": "Undo", "object": {"type": "Like", "object": "x"}});
        assert_eq!(classify(&undo_like, ALICE), Intent::Ignored);
        let by_id = json!({"type": "Undo", "object": "https://remote.example/follows/1"});
        assert_eq!(classify(&by_id, ALICE), Intent::Unfollow { target: None });
        let whole = json!({"type": "Undo", "object": {"type": "Follow", "object": {"id": "https://wire.example.org/users/wire"}}});
        assert_eq!(
            classify(&whole, ALICE),
            Intent::Unfollow {
                target: Some("https://wire.example.org/users/wire".into())
            }
        );
    }

    #[test]
    fn only_a_delete_of_the_actor_itself_deletes_the_actor() {
        let own = json!({"type": "Delete", "actor": ALICE, "object": ALICE});
        assert_eq!(classify(&own, ALICE), Intent::DeleteActor);
        let note = json!({"type": "Delete", "actor": ALICE, "object": {"id": "https://remote.example/notes/1"}});
        assert_eq!(classify(&note, ALICE), Intent::Ignored);
    }

    #[test]
    fn a_reply_is_a_create_whose_object_answers_something() {
        let reply = json!({"type": "Create", "object": {"inReplyTo": {"id": "https://wire.example.org/objects/wire-1"}}});
        assert_eq!(
            classify(&reply, ALICE),
            Intent::Reply {
                in_reply_to: "https://wire.example.org/objects/wire-1".into()
            }
        );
        let post = json!({"type": "Create", "object": "https://remote.example/notes/2"});
        assert_eq!(classify(&post, ALICE), Intent::Ignored);
    }

    #[test]
    fn a_body_that_is_not_json_is_a_bad_request_before_the_signature_is_read() {
        let none = |_: &str| None;
        let err = admit(
            "POST",
            "/inbox",
            &none,
            b"{\"type\":",
            Utc::now(),
            "wire.example.org",
        )
        .unwrap_err();
        assert_eq!(err.status(), 400);
        let err = admit(
            "POST",
            "/inbox",
            &none,
            b"{}",
            Utc::now(),
            "wire.example.org",
        )
        .unwrap_err();
        assert!(
            matches!(err, InboxError::Unauthorized(Rejected::Unsigned)),
            "{err}"
        );
    }
}
