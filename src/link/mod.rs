//! Linking: which stored entries are the same article (duplicates) and which
//! are language versions of one story. Pure functions only — features of an
//! entry, the keys that find candidates, the rules in their precedence and
//! the roles inside a story. `stories` applies the decisions to the store.

mod calendar;
mod categories;
mod evidence;
mod features;
mod figures;
mod image;
mod minhash;
mod rarity;
mod roles;
mod rules;
mod script;
mod shape;
mod text;

pub use evidence::{evidence, evidence_score, Evidence, EVIDENCE_THRESHOLD};
pub use features::{looks_like_an_article, loose_url, Features, Keys};
pub use image::ImageMatch;
pub use minhash::{jaccard, NEAR_DUPLICATE_JACCARD};
pub use rarity::Rarity;
pub use roles::{assign_roles, Member};
pub use rules::{relation, relation_in, relation_with, Relation, Rule};
pub use shape::{UrlPattern, UrlPatternError};
