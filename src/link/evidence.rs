//! Evidence when nothing is explicit: two entries in different languages
//! are versions of one article when what survives translation — figures
//! and names — agrees, helped by the same image, the same or a credited
//! author, the outlet named in the text, the same section and closeness in
//! time. Precision first: figures or names that clearly disagree veto the
//! link whatever else agrees (a follow-up by the same author, with the
//! same photo, a day later, is another article). Weights and threshold are
//! set against the tuned split of the evaluation corpus
//! (`tests/fixtures/corpus`, `cargo run --example link_eval`).

use super::features::Features;
use super::image::{image_match, ImageMatch};
use super::rarity::Rarity;
use super::script::{latin_skeleton, skeletons_match, MIN_SKELETON};

/// Scores at or above this link two entries.
pub const EVIDENCE_THRESHOLD: f64 = 0.45;

/// Beyond this, no translation is expected (a late one comes within
/// weeks).
const MAX_DAYS: f64 = 45.0;
/// Within this a translation is on time; after it, time helps less and
/// less until `MAX_DAYS`.
const ON_TIME_HOURS: f64 = 48.0;

const W_CONTENT: f64 = 0.62;
const W_IMAGE: f64 = 0.18;
const W_BYLINE: f64 = 0.07;
const W_OUTLET: f64 = 0.04;
const W_SECTION: f64 = 0.03;
const W_TIME: f64 = 0.06;

/// Shared weight at which agreement is trusted fully (three telling
/// figures or rare names): one shared name or figure is a coincidence
/// more often than not.
const CONFIDENT_MASS: f64 = 2.5;
/// Figures on the smaller side beyond which disagreement is telling.
const FIGURES_TO_VETO: f64 = 2.0;
/// Below this share of the smaller side's figures, the texts report
/// different facts.
const MIN_FIGURE_AGREEMENT: f64 = 0.5;

/// What was found between two entries, and the score it adds up to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evidence {
    pub score: f64,
    /// The score before any veto: how close a vetoed pair came.
    pub unvetoed: f64,
    /// Why the pair cannot be one article, when it cannot.
    pub veto: Option<&'static str>,
    pub image: Option<ImageMatch>,
    /// Shared figures, and the share of the smaller side's (weighted).
    pub figures: Vec<String>,
    pub figure_agreement: Option<f64>,
    pub names: Vec<String>,
    pub name_agreement: Option<f64>,
    /// Same byline, or one credits the other's author in its text.
    pub byline: bool,
    /// One names the other's outlet in its text.
    pub outlet: bool,
    pub section: bool,
    pub hours: Option<f64>,
}

impl Evidence {
    /// One line for logs, the evaluation and the editor.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("score {:.2}", self.score)];
        if let Some(v) = self.veto {
            parts.push(format!("veto: {v} (else {:.2})", self.unvetoed));
        }
        match self.image {
            Some(ImageMatch::SameUrl) => parts.push("same image URL".into()),
            Some(ImageMatch::SameFile) => parts.push("same image file".into()),
            _ => {}
        }
        if let Some(a) = self.figure_agreement {
            parts.push(format!("figures {:.2} [{}]", a, self.figures.join(" ")));
        }
        if let Some(a) = self.name_agreement {
            parts.push(format!("names {:.2} [{}]", a, self.names.join(" ")));
        }
        if self.byline {
            parts.push("author".into());
        }
        if self.outlet {
            parts.push("outlet named".into());
        }
        if self.section {
            parts.push("section".into());
        }
        if let Some(h) = self.hours {
            parts.push(format!("{h:.0} h apart"));
        }
        parts.join(", ")
    }
}

/// A score in 0..=1 that `a` and `b` are versions of one article, every
/// name and figure counting fully.
pub fn evidence_score(a: &Features, b: &Features) -> f64 {
    evidence(a, b, &Rarity::none()).score
}

/// The evidence that `a` and `b` are versions of one article, names and
/// figures weighted by how rare they are among `rarity`'s stories.
pub fn evidence(a: &Features, b: &Features, rarity: &Rarity) -> Evidence {
    let mut ev = Evidence::default();
    if same_language(a, b) {
        ev.veto = Some("same language");
        return ev;
    }
    if let (Some(x), Some(y)) = (a.published, b.published) {
        let hours = (x - y).num_minutes().abs() as f64 / 60.0;
        ev.hours = Some(hours);
        if hours > MAX_DAYS * 24.0 {
            ev.veto = Some("too far apart in time");
            return ev;
        }
    }
    let (fig_agree, fig_mass, fig_smaller) = figure_agreement(a, b, rarity, &mut ev.figures);
    ev.figure_agreement = fig_agree;
    let (name_agree, name_mass, cross) = name_agreement(a, b, rarity, &mut ev.names);
    ev.name_agreement = name_agree;
    if fig_smaller >= FIGURES_TO_VETO && fig_agree.unwrap_or(0.0) < MIN_FIGURE_AGREEMENT {
        ev.veto = Some("different figures");
    }
    let f = fig_agree.map(|x| x * confidence(fig_mass));
    let n = name_agree.map(|x| x * confidence(name_mass));
    // Across scripts names are found less reliably (exonyms, short
    // skeletons), so figures carry more of the content.
    let fig_share = if cross { 0.75 } else { 0.5 };
    let content = match (f, n) {
        (Some(f), Some(n)) => fig_share * f + (1.0 - fig_share) * n,
        (Some(f), None) => 0.8 * f,
        (None, Some(n)) => 0.8 * n,
        (None, None) => 0.0,
    };
    let image = image_match(a.image.as_deref(), b.image.as_deref());
    ev.image = Some(image);
    let image_score = match (image, a.image.as_deref()) {
        (ImageMatch::SameUrl, Some(url)) => rarity.image(url),
        (ImageMatch::SameFile, Some(url)) => 0.9 * rarity.image(url),
        _ => 0.0,
    };
    ev.byline = same_author(a, b) || credits_author(a, b) || credits_author(b, a);
    ev.outlet = names_outlet(a, b) || names_outlet(b, a);
    ev.section = a.sections.intersection(&b.sections).next().is_some();
    let time = ev.hours.map_or(0.0, |h| {
        if h <= ON_TIME_HOURS {
            1.0
        } else {
            (1.0 - (h - ON_TIME_HOURS) / (MAX_DAYS * 24.0 - ON_TIME_HOURS)).max(0.0)
        }
    });
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    ev.unvetoed = W_CONTENT * content
        + W_IMAGE * image_score
        + W_BYLINE * flag(ev.byline)
        + W_OUTLET * flag(ev.outlet)
        + W_SECTION * flag(ev.section)
        + W_TIME * time;
    ev.score = if ev.veto.is_some() { 0.0 } else { ev.unvetoed };
    ev
}

/// `fr` and `fr-FR` are one language; `pt-BR` and `pt-PT` are two
/// versions a publisher may both carry.
fn same_language(a: &Features, b: &Features) -> bool {
    let (x, y) = (a.language.as_str(), b.language.as_str());
    x.eq_ignore_ascii_case(y)
        || (a.language.primary() == b.language.primary() && (!x.contains('-') || !y.contains('-')))
}

/// How much shared evidence it takes to trust an agreement.
fn confidence(mass: f64) -> f64 {
    (mass / CONFIDENT_MASS).min(1.0)
}

/// (share of the smaller side's weighted figures found in the other, the
/// shared weight, the smaller side's weight).
fn figure_agreement(
    a: &Features,
    b: &Features,
    rarity: &Rarity,
    shared_out: &mut Vec<String>,
) -> (Option<f64>, f64, f64) {
    let total = |f: &Features| -> f64 { f.figures.iter().map(|(t, w)| w * rarity.figure(t)).sum() };
    let (ta, tb) = (total(a), total(b));
    let mut shared = 0.0;
    for (t, wa) in &a.figures {
        if let Some(wb) = b.figures.get(t) {
            shared += wa.min(*wb) * rarity.figure(t);
            shared_out.push(t.clone());
        }
    }
    let smaller = ta.min(tb);
    let agreement = (smaller >= 0.5).then(|| (shared / smaller).min(1.0));
    (agreement, shared, smaller)
}

/// (agreement, shared weight, across scripts). Names never veto: a
/// translation renders institutions and exonyms in its own language
/// ("Aqaba Special Economic Zone Authority", "Behörde der
/// Sonderwirtschaftszone Akaba"), and German capitalizes every noun.
/// Across scripts only the Latin side's names that could be written in
/// Arabic letters recognisably (four consonants or more) are counted.
fn name_agreement(
    a: &Features,
    b: &Features,
    rarity: &Rarity,
    shared_out: &mut Vec<String>,
) -> (Option<f64>, f64, bool) {
    if a.arabic != b.arabic {
        let (latin, arabic) = if a.arabic { (b, a) } else { (a, b) };
        let (mut shared, mut total) = (0.0, 0.0);
        for n in &latin.names {
            let sk = latin_skeleton(n);
            let literal = arabic.names.contains(n);
            if sk.chars().count() < MIN_SKELETON && !literal {
                continue;
            }
            let w = rarity.name(n);
            total += w;
            if literal || arabic.skeletons.iter().any(|s| skeletons_match(&sk, s)) {
                shared += w;
                shared_out.push(n.clone());
            }
        }
        let agreement = (total >= 1.0).then(|| shared / total);
        return (agreement, shared, true);
    }
    let total = |f: &Features| -> f64 { f.names.iter().map(|n| rarity.name(n)).sum() };
    let (ta, tb) = (total(a), total(b));
    let mut shared = 0.0;
    for n in a.names.intersection(&b.names) {
        shared += rarity.name(n);
        shared_out.push(n.clone());
    }
    let smaller = ta.min(tb);
    let agreement = (smaller >= 1.0).then(|| (shared / smaller).min(1.0));
    (agreement, shared, false)
}

fn same_author(a: &Features, b: &Features) -> bool {
    a.authors.iter().any(|x| {
        b.authors
            .iter()
            .any(|y| x == y || full_name_skeletons_match(x, y))
    })
}

/// `Tarek Al-Zoubi` and `طارق الزعبي`.
fn full_name_skeletons_match(x: &str, y: &str) -> bool {
    let sk = |n: &str| -> String {
        n.split_whitespace()
            .map(super::features::word_skeleton)
            .collect()
    };
    let (a, b) = (sk(x), sk(y));
    a.chars().count() >= 5 && skeletons_match(&a, &b)
}

/// `a`'s text credits `b`'s author ("Reporting by Tomás Aldana", "Article
/// de Tarek Al-Zoubi", in any script).
fn credits_author(a: &Features, b: &Features) -> bool {
    b.authors.iter().any(|name| mentions(a, name))
}

/// `a`'s text names the outlet `b` comes from.
fn names_outlet(a: &Features, b: &Features) -> bool {
    b.outlet.as_deref().is_some_and(|o| mentions(a, o))
}

/// Whether the folded `name` (two words or more) appears in `f`'s text:
/// literally, or word by word in skeletons when scripts differ.
fn mentions(f: &Features, name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.len() < 2 {
        return false;
    }
    if f.text.contains(&format!(" {} ", words.join(" "))) {
        return true;
    }
    let want: Vec<String> = words
        .iter()
        .map(|w| super::features::word_skeleton(w))
        .collect();
    if want.iter().any(String::is_empty) || want.concat().chars().count() < 5 {
        return false;
    }
    let script_differs = words
        .iter()
        .any(|w| w.chars().any(super::script::is_arabic))
        != f.arabic;
    script_differs
        && f.word_skeletons
            .windows(want.len())
            .any(|w| w == want.as_slice())
}

#[cfg(test)]
#[path = "evidence_tests.rs"]
mod tests;
