//! Roles inside one story, decided from the members alone so that they do
//! not depend on which copy or version arrived first: the same feeds give
//! the same `original`, whatever the polling order.

use chrono::{DateTime, Utc};

use crate::domain::EntryRole;

/// What `assign_roles` needs to know of each member of a story.
#[derive(Clone, Debug)]
pub struct Member {
    pub entry_id: i64,
    pub from_outlet: bool,
    /// The first copy this one was found to duplicate: copies sharing it
    /// (or being it) are one duplicate group.
    pub duplicate_of: Option<i64>,
    pub seen: DateTime<Utc>,
    /// Orders copies published at the same moment (the same item in two
    /// feeds): the URL, then the source. Never the entry id, which is
    /// arrival order.
    pub tiebreak: String,
}

/// Roles inside one story. In each duplicate group one copy is the
/// article and the others are duplicates: an outlet's copy before a
/// publisher's, then the earliest, then `tiebreak`. Among those, the
/// original is the earliest outlet entry, else the earliest entry; the
/// rest are translations.
pub fn assign_roles(members: &[Member]) -> Vec<(i64, EntryRole)> {
    let rank = |m: &Member| (!m.from_outlet, m.seen, m.tiebreak.clone(), m.entry_id);
    let group = |m: &Member| m.duplicate_of.unwrap_or(m.entry_id);
    let primary = |m: &Member| {
        members
            .iter()
            .filter(|o| group(o) == group(m))
            .min_by_key(|o| rank(o))
            .map(|o| o.entry_id)
            == Some(m.entry_id)
    };
    let original = members
        .iter()
        .filter(|m| primary(m))
        .min_by_key(|m| rank(m))
        .map(|m| m.entry_id);
    members
        .iter()
        .map(|m| {
            let role = if !primary(m) {
                EntryRole::Duplicate
            } else if Some(m.entry_id) == original {
                EntryRole::Original
            } else {
                EntryRole::Translation
            };
            (m.entry_id, role)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn m(id: i64, outlet: bool, dup: Option<i64>, hour: u32, url: &str) -> Member {
        Member {
            entry_id: id,
            from_outlet: outlet,
            duplicate_of: dup,
            seen: Utc
                .with_ymd_and_hms(2025, 3, 3, hour, 0, 0)
                .single()
                .expect("date"),
            tiebreak: url.to_string(),
        }
    }

    #[test]
    fn the_outlets_entry_is_the_original_whoever_arrived_first() {
        // The translation (id 1) was stored before the outlet's article.
        let roles = assign_roles(&[m(1, false, None, 6, "w/de"), m(2, true, None, 9, "o/a")]);
        assert_eq!(
            roles,
            vec![(1, EntryRole::Translation), (2, EntryRole::Original)]
        );
    }

    #[test]
    fn in_a_duplicate_group_the_earliest_copy_is_the_article_not_the_first_stored() {
        // A syndicator's later re-post arrived first; the outlet's own copy
        // was found to duplicate it.
        let roles = assign_roles(&[m(1, true, None, 11, "s/x"), m(2, true, Some(1), 8, "o/x")]);
        assert_eq!(
            roles,
            vec![(1, EntryRole::Duplicate), (2, EntryRole::Original)]
        );
        // The same item in two feeds at the same moment: the tie is broken
        // by URL and source, not by arrival.
        let a = assign_roles(&[
            m(1, false, None, 8, "u\nwire-de"),
            m(2, false, Some(1), 8, "u\nwire-all"),
        ]);
        let b = assign_roles(&[
            m(1, false, None, 8, "u\nwire-all"),
            m(2, false, Some(1), 8, "u\nwire-de"),
        ]);
        assert_eq!(a[1].1, EntryRole::Original);
        assert_eq!(b[0].1, EntryRole::Original);
    }
}
