//! Linking: which stored entries are the same article (duplicates) and which
//! are language versions of one story. Pure functions only — features of an
//! entry, the keys that find candidates, the rules in their precedence and
//! the roles inside a story, and where an entry goes (`decide`). `linker`
//! applies the decisions to the store.

mod calendar;
mod categories;
mod decide;
mod evidence;
mod features;
mod figures;
mod image;
mod minhash;
mod rarity;
mod rules;
mod script;
mod shape;
mod text;

pub use decide::{decide, roles_of, Decision, Primary, Refused, Related, Situation};
pub use evidence::{evidence, evidence_score, Evidence, EVIDENCE_THRESHOLD};
pub use features::{looks_like_an_article, loose_url, url_lookup_keys, Features, Keys};
pub use image::ImageMatch;
pub use minhash::{jaccard, NEAR_DUPLICATE_JACCARD};
pub use rarity::Rarity;
pub use rules::{relation, relation_in, relation_with, Relation, Rule};
pub use shape::{UrlPattern, UrlPatternError};
