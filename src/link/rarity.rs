//! How telling a shared name, figure or image is depends on how many
//! other stories also carry it: "Santos" in a week of Santos coverage says
//! little, the harbour master quoted in one article says a lot. Counted
//! over the entries the index found for the new one — the store's own
//! entries of the evidence window that share a key with it — by distinct
//! story, so that a story's five language versions count once. No fixed
//! list of common names: the store decides.

use std::collections::{BTreeSet, HashMap};

use super::features::Features;
use super::image::file_stem;
use super::script::latin_skeleton;

#[derive(Clone, Debug, Default)]
pub struct Rarity {
    stories: HashMap<String, BTreeSet<i64>>,
}

impl Rarity {
    /// Every token counts fully (no store around: tests, one-off checks).
    pub fn none() -> Rarity {
        Rarity::default()
    }

    /// Counts, per token, the distinct stories of `pool` carrying it.
    pub fn of<'a>(pool: impl IntoIterator<Item = (i64, &'a Features)>) -> Rarity {
        let mut stories: HashMap<String, BTreeSet<i64>> = HashMap::new();
        for (story, f) in pool {
            let mut add = |t: String| {
                stories.entry(t).or_default().insert(story);
            };
            for n in &f.names {
                add(name_token(n));
            }
            for s in &f.skeletons {
                add(format!("s:{s}"));
            }
            for t in f.figures.keys() {
                add(figure_token(t));
            }
            if let Some(stem) = f.image.as_deref().and_then(file_stem) {
                add(format!("i:{stem}"));
            }
        }
        Rarity { stories }
    }

    fn weight(&self, token: &str) -> f64 {
        let df = self.stories.get(token).map_or(0, BTreeSet::len).max(1);
        1.0 / (df as f64).sqrt()
    }

    /// A Latin-script name; across scripts its skeleton is counted too, and
    /// the commoner of the two decides.
    pub fn name(&self, folded: &str) -> f64 {
        let by_name = self.weight(&name_token(folded));
        let sk = latin_skeleton(folded);
        by_name.min(self.weight(&format!("s:{sk}")))
    }

    pub fn figure(&self, token: &str) -> f64 {
        self.weight(&figure_token(token))
    }

    /// A stock photo on several stories is weak; a photo on one is strong.
    pub fn image(&self, url: &str) -> f64 {
        file_stem(url).map_or(1.0, |stem| self.weight(&format!("i:{stem}")))
    }
}

fn name_token(folded: &str) -> String {
    format!("n:{folded}")
}

fn figure_token(t: &str) -> String {
    format!("f:{t}")
}
