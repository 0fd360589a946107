//! Every ActivityPub id we mint, under `server.public_url`, and the way
//! back from an id to what it names.

use url::Url;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[derive(Clone, Debug)]
pub struct Urls {
    base: String,
}

impl Urls {
    pub fn new(public_url: &Url) -> Urls {
        Urls {
            base: public_url.as_str().trim_end_matches('/').to_string(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn actor(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base)
    }

    pub fn key_id(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }

    pub fn inbox(&self, username: &str) -> String {
        format!("{}/inbox", self.actor(username))
    }

    /// The instance actor (`instance`): signs our fetches.
    pub fn instance_actor(&self) -> String {
        format!("{}/actor", self.base)
    }

    pub fn instance_key_id(&self) -> String {
        format!("{}#main-key", self.instance_actor())
    }

    pub fn instance_inbox(&self) -> String {
        format!("{}/inbox", self.instance_actor())
    }

    pub fn instance_outbox(&self) -> String {
        format!("{}/outbox", self.instance_actor())
    }

    /// `scheme://authority` of the public URL: what senders address and
    /// sign (RFC 9421 `@target-uri`) whatever proxy stands in front.
    pub fn origin(&self) -> &str {
        let after_scheme = self.base.find("://").map_or(0, |i| i + 3);
        let end = self.base[after_scheme..]
            .find('/')
            .map_or(self.base.len(), |i| after_scheme + i);
        &self.base[..end]
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    pub fn outbox(&self, username: &str) -> String {
        format!("{}/outbox", self.actor(username))
    }

    pub fn followers(&self, username: &str) -> String {
        format!("{}/followers", self.actor(username))
    }

    pub fn following(&self, username: &str) -> String {
        format!("{}/following", self.actor(username))
    }

    /// One object per (actor, story); usernames have no `-`, so the id
    /// token `wire-42` reads back unambiguously.
    pub fn object(&self, username: &str, story_id: i64) -> String {
        format!("{}/objects/{}", self.base, object_token(username, story_id))
    }

    pub fn activity(&self, token: &str) -> String {
        format!("{}/activities/{token}", self.base)
    }

    /// The username of one of our actor URLs.
    pub fn username_of<'a>(&self, actor_url: &'a str) -> Option<&'a str> {
        actor_url
            .strip_prefix(self.base.as_str())?
            .strip_prefix("/users/")
            .filter(|n| !n.is_empty() && !n.contains('/'))
    }

    /// (username, story) of one of our object URLs.
    pub fn object_of(&self, object_url: &str) -> Option<(String, i64)> {
        let token = object_url
            .strip_prefix(self.base.as_str())?
            .strip_prefix("/objects/")?;
        parse_object_token(token)
    }
}

pub fn object_token(username: &str, story_id: i64) -> String {
    format!("{username}-{story_id}")
}

pub fn parse_object_token(token: &str) -> Option<(String, i64)> {
    let (name, story) = token.rsplit_once('-')?;
    Some((name.to_string(), story.parse().ok()?))
}

/// A fresh activity token: random, so two processes never collide.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_read_back_to_actor_and_story() {
        let urls = Urls::new(&Url::parse("https://wire.example.org/").unwrap());
        let id = urls.object("wire_fr", 42);
        assert_eq!(id, "https://wire.example.org/objects/wire_fr-42");
        assert_eq!(urls.object_of(&id), Some(("wire_fr".into(), 42)));
        assert_eq!(
            urls.username_of("https://wire.example.org/users/wire"),
            Some("wire")
        );
        assert_eq!(urls.username_of("https://other.example/users/wire"), None);
    }

    #[test]
    fn the_origin_is_scheme_and_authority_only() {
        let urls = Urls::new(&Url::parse("https://Wire.Example.org:8443/").unwrap());
        assert_eq!(urls.origin(), "https://wire.example.org:8443");
        let urls = Urls::new(&Url::parse("http://127.0.0.1:4000/bridge/").unwrap());
        assert_eq!(urls.origin(), "http://127.0.0.1:4000");
        assert_eq!(
            urls.instance_key_id(),
            "http://127.0.0.1:4000/bridge/actor#main-key"
        );
    }
}
