//! Where one entry goes, as a pure function of values fetched up front:
//! the entry, how it relates to each candidate (`rules::relation`), and
//! the primary members of every story involved. The linker fetches, calls
//! `decide`, and writes the decision; nothing here touches the store.
//!
//! Precedence is the rules' (`Rule` order), then two guards:
//! - a story never holds two non-duplicate entries of one language from one
//!   source: a join that would break it is refused (and reported);
//! - evidence never adds to an explicit decision, nor a second version of a
//!   language to a story.
//!
//! Only primaries (non-duplicate members) are read: by the invariant a
//! story has at most one per (source, language), so what a decision reads
//! is bounded however many duplicates a story collects.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::rules::{Relation, Rule};
use crate::domain::{EntryRole, Lang, SourceId};

/// A non-duplicate member of a story, or the entry being linked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Primary {
    pub entry_id: i64,
    pub source: SourceId,
    pub language: Lang,
    /// From an outlet (a partner's original) rather than the publisher.
    pub from_outlet: bool,
    /// When it was published, else first seen: who came first.
    pub seen: DateTime<Utc>,
    /// Orders copies published at the same moment (the same item in two
    /// feeds): its URL, then its source. Never the entry id, which is
    /// arrival order.
    pub tiebreak: String,
    /// Its duplicate group: the copy first found (`duplicate_of`), or
    /// itself.
    pub group: i64,
}

impl Primary {
    /// Who comes first, as original of a story and as the copy that stands
    /// for its duplicates: an outlet's before a publisher's, then the
    /// earliest, then `tiebreak` — so the same feeds give the same roles
    /// whatever order they were polled in.
    fn rank(&self) -> (bool, DateTime<Utc>, &str, i64) {
        (!self.from_outlet, self.seen, &self.tiebreak, self.entry_id)
    }
}

/// A candidate the entry relates to: an entry already in a story.
#[derive(Clone, Debug)]
pub struct Related {
    pub entry_id: i64,
    pub story_id: i64,
    /// The candidate's own `duplicate_of` (a duplicate of a duplicate is a
    /// duplicate of the root).
    pub duplicate_of: Option<i64>,
    pub relation: Relation,
}

/// Everything one decision needs.
pub struct Situation<'a> {
    pub entry: &'a Primary,
    /// The story the entry is in now (re-linked after an edit), if any.
    pub current: Option<i64>,
    /// Why it is there, kept when nothing new decides.
    pub previous: Option<Relation>,
    /// Its relations to candidates, any order.
    pub related: &'a [Related],
    /// The primaries of `current` and of every candidate's story.
    pub stories: &'a HashMap<i64, Vec<Primary>>,
}

/// A join the invariant refused, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub story: i64,
    pub rule: Rule,
    /// "source language" of the member already there.
    pub clash: String,
}

/// Where the entry goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The story to join; `None` starts a new one.
    pub target: Option<i64>,
    /// Other stories folded into the target.
    pub merge: Vec<i64>,
    pub relation: Option<Relation>,
    pub duplicate_of: Option<i64>,
    /// The role of the entry and of every primary of the resulting story
    /// (duplicates already in it stay duplicates).
    pub roles: Vec<(i64, EntryRole)>,
    pub refused: Vec<Refused>,
}

pub fn decide(s: &Situation<'_>) -> Decision {
    let mut related: Vec<&Related> = s.related.iter().collect();
    related.sort_by(|a, b| {
        a.relation
            .rule
            .cmp(&b.relation.rule)
            .then(a.entry_id.cmp(&b.entry_id))
    });
    let members = |story: i64| s.stories.get(&story).map(Vec::as_slice).unwrap_or(&[]);
    // A duplicate joins the story of what it duplicates, in that copy's
    // duplicate group; of the group, the best-ranked copy stands for the
    // article (it may be the newcomer), the others are duplicates.
    if let Some(dup) = related.iter().find(|r| r.relation.rule == Rule::Duplicate) {
        let merge: Vec<i64> = s
            .current
            .filter(|c| *c != dup.story_id)
            .into_iter()
            .collect();
        let root = dup.duplicate_of.unwrap_or(dup.entry_id);
        let mut primaries: Vec<&Primary> = members(dup.story_id).iter().collect();
        for m in &merge {
            primaries.extend(members(*m));
        }
        primaries.retain(|p| p.entry_id != s.entry.entry_id);
        let standing = primaries.iter().position(|p| p.group == root);
        let me = Primary {
            group: root,
            ..s.entry.clone()
        };
        let mut roles = Vec::new();
        match standing {
            Some(i) if me.rank() < primaries[i].rank() => {
                roles.push((primaries[i].entry_id, EntryRole::Duplicate));
                primaries[i] = &me;
                roles.extend(roles_of(&primaries));
            }
            _ => {
                roles.extend(roles_of(&primaries));
                roles.push((s.entry.entry_id, EntryRole::Duplicate));
            }
        }
        return Decision {
            target: Some(dup.story_id),
            merge,
            relation: Some(dup.relation.clone()),
            duplicate_of: Some(root),
            roles,
            refused: Vec::new(),
        };
    }
    // Candidate stories, each by its best rule, best first.
    let mut by_story: BTreeMap<i64, &Relation> = BTreeMap::new();
    for r in &related {
        let slot = by_story.entry(r.story_id).or_insert(&r.relation);
        if r.relation.rule < slot.rule {
            *slot = &r.relation;
        }
    }
    let mut ordered: Vec<(i64, &Relation)> = by_story.into_iter().collect();
    ordered.sort_by(|a, b| a.1.rule.cmp(&b.1.rule).then(a.0.cmp(&b.0)));

    // The primaries the entry would live with; grows as stories merge.
    let mut together: Vec<&Primary> = match s.current {
        Some(c) => members(c).iter().collect(),
        None => Vec::new(),
    };
    together.retain(|p| p.entry_id != s.entry.entry_id);
    let mut target = s.current;
    let mut merge = Vec::new();
    let mut chosen: Option<Relation> = None;
    let mut refused = Vec::new();
    for (story, rel) in ordered {
        if Some(story) == target || merge.contains(&story) {
            continue;
        }
        if rel.rule == Rule::Evidence && chosen.is_some() {
            break; // evidence never adds to an explicit decision
        }
        let theirs = members(story);
        if rel.rule == Rule::Evidence && theirs.iter().any(|m| m.language == s.entry.language) {
            continue; // weak evidence does not add a second version of a language
        }
        if let Some(clash) = clash(s.entry, &together, theirs) {
            refused.push(Refused {
                story,
                rule: rel.rule,
                clash,
            });
            continue;
        }
        together.extend(theirs);
        match target {
            None => target = Some(story),
            Some(_) => merge.push(story),
        }
        if chosen.is_none() {
            chosen = Some(rel.clone());
        }
    }
    together.push(s.entry);
    Decision {
        target,
        merge,
        relation: chosen.or_else(|| s.previous.clone()),
        duplicate_of: None,
        roles: roles_of(&together),
        refused,
    }
}

/// Roles of a story's primaries: the original is the best-ranked (the
/// earliest outlet entry, else the earliest entry); the rest are
/// translations.
pub fn roles_of(primaries: &[&Primary]) -> Vec<(i64, EntryRole)> {
    let original = primaries
        .iter()
        .min_by_key(|p| p.rank())
        .map(|p| p.entry_id);
    primaries
        .iter()
        .map(|p| {
            let role = if Some(p.entry_id) == original {
                EntryRole::Original
            } else {
                EntryRole::Translation
            };
            (p.entry_id, role)
        })
        .collect()
}

/// A primary of `theirs` with the same (source, language) as the entry or
/// as a primary of `together`: joining would put two articles in one story.
fn clash(entry: &Primary, together: &[&Primary], theirs: &[Primary]) -> Option<String> {
    let mut taken: HashSet<(&str, &str)> = together
        .iter()
        .map(|m| (m.source.as_str(), m.language.as_str()))
        .collect();
    taken.insert((entry.source.as_str(), entry.language.as_str()));
    theirs
        .iter()
        .filter(|m| m.entry_id != entry.entry_id)
        .find(|m| taken.contains(&(m.source.as_str(), m.language.as_str())))
        .map(|m| format!("{} {}", m.source, m.language))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn primary(id: i64, source: &str, lang: &str, outlet: bool, hour: u32) -> Primary {
        Primary {
            entry_id: id,
            source: SourceId::parse(source).expect("source"),
            language: Lang::parse(lang).expect("lang"),
            from_outlet: outlet,
            seen: Utc
                .with_ymd_and_hms(2026, 3, 1, hour, 0, 0)
                .single()
                .expect("time"),
            tiebreak: format!("https://{source}.example/{id}"),
            group: id,
        }
    }

    fn related(entry: i64, story: i64, rule: Rule) -> Related {
        Related {
            entry_id: entry,
            story_id: story,
            duplicate_of: None,
            relation: Relation {
                rule,
                why: rule.as_str().into(),
            },
        }
    }

    #[test]
    fn an_explicit_link_joins_and_the_outlets_entry_stays_the_original() {
        let entry = primary(3, "wire-fr", "fr", false, 9);
        let stories = HashMap::from([(
            10,
            vec![
                primary(1, "outlet", "en", true, 8),
                primary(2, "wire-de", "de", false, 7),
            ],
        )]);
        let rel = [related(1, 10, Rule::Original)];
        let d = decide(&Situation {
            entry: &entry,
            current: None,
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!((d.target, d.merge.as_slice()), (Some(10), &[][..]));
        assert_eq!(d.relation.map(|r| r.rule), Some(Rule::Original));
        let mut roles = d.roles;
        roles.sort_by_key(|(id, _)| *id);
        assert_eq!(
            roles,
            vec![
                (1, EntryRole::Original),
                (2, EntryRole::Translation),
                (3, EntryRole::Translation)
            ]
        );
    }

    #[test]
    fn a_second_french_article_from_the_same_feed_is_refused_and_starts_its_own_story() {
        let entry = primary(3, "wire-fr", "fr", false, 9);
        let stories = HashMap::from([(10, vec![primary(1, "wire-fr", "fr", false, 8)])]);
        let rel = [related(1, 10, Rule::UrlShape)];
        let d = decide(&Situation {
            entry: &entry,
            current: None,
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!(d.target, None);
        assert_eq!(d.refused.len(), 1);
        assert_eq!(d.refused[0].clash, "wire-fr fr");
        assert_eq!(d.roles, vec![(3, EntryRole::Original)]);
    }

    #[test]
    fn evidence_neither_adds_to_an_explicit_link_nor_a_second_version_of_a_language() {
        let entry = primary(5, "wire-fr", "fr", false, 9);
        let stories = HashMap::from([
            (10, vec![primary(1, "outlet", "en", true, 8)]),
            (11, vec![primary(2, "wire-de", "de", false, 8)]),
            (12, vec![primary(3, "other-fr", "fr", false, 8)]),
        ]);
        let rel = [
            related(1, 10, Rule::Hreflang),
            related(2, 11, Rule::Evidence),
        ];
        let d = decide(&Situation {
            entry: &entry,
            current: None,
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!((d.target, d.merge.clone()), (Some(10), vec![]));
        let rel = [related(3, 12, Rule::Evidence)];
        let d = decide(&Situation {
            entry: &entry,
            current: None,
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!(d.target, None, "a French version is already there");
    }

    #[test]
    fn a_duplicate_joins_as_a_duplicate_of_the_root_and_brings_its_old_story() {
        let entry = primary(7, "portside", "en", true, 9);
        let stories = HashMap::from([
            (10, vec![primary(1, "outlet", "en", true, 8)]),
            (20, vec![primary(6, "wire-de", "de", false, 9)]),
        ]);
        let mut dup = related(4, 10, Rule::Duplicate);
        dup.duplicate_of = Some(1);
        let rel = [dup, related(6, 20, Rule::Hreflang)];
        let d = decide(&Situation {
            entry: &entry,
            current: Some(20),
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!((d.target, d.merge.clone()), (Some(10), vec![20]));
        assert_eq!(d.duplicate_of, Some(1));
        assert!(d.roles.contains(&(7, EntryRole::Duplicate)));
        assert!(d.roles.contains(&(1, EntryRole::Original)));
        assert!(d.roles.contains(&(6, EntryRole::Translation)));
    }

    #[test]
    fn the_outlets_copy_arriving_after_a_publishers_copy_stands_for_the_article() {
        // The publisher's English copy came first; the outlet's own copy of
        // the same article arrives later and is found to duplicate it.
        let entry = primary(9, "outlet", "en", true, 9);
        let stories = HashMap::from([(
            10,
            vec![
                primary(1, "wire-en", "en", false, 8),
                primary(2, "wire-fr", "fr", false, 10),
            ],
        )]);
        let rel = [related(1, 10, Rule::Duplicate)];
        let d = decide(&Situation {
            entry: &entry,
            current: None,
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!(d.duplicate_of, Some(1));
        let mut roles = d.roles;
        roles.sort_by_key(|(id, _)| *id);
        assert_eq!(
            roles,
            vec![
                (1, EntryRole::Duplicate),
                (2, EntryRole::Translation),
                (9, EntryRole::Original)
            ],
            "as if the outlet's copy had come first"
        );
    }

    #[test]
    fn two_stories_an_entry_links_explicitly_are_merged() {
        let entry = primary(9, "wire-ar", "ar", false, 12);
        let stories = HashMap::from([
            (10, vec![primary(1, "wire-en", "en", false, 8)]),
            (11, vec![primary(2, "wire-de", "de", false, 7)]),
        ]);
        let rel = [
            related(1, 10, Rule::Hreflang),
            related(2, 11, Rule::Original),
        ];
        let d = decide(&Situation {
            entry: &entry,
            current: None,
            previous: None,
            related: &rel,
            stories: &stories,
        });
        assert_eq!((d.target, d.merge.clone()), (Some(10), vec![11]));
        assert!(d.roles.contains(&(2, EntryRole::Original)), "earliest");
    }
}
