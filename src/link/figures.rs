//! Figures that survive translation — counts, amounts, percentages,
//! decimals and dates — read in any digit script and grouping: `1,200`
//! (en), `1.200` (de), `1 200` (fr) and `١٬٢٠٠` (ar) are all 1200;
//! `1.26 million`, `1,26 Millionen`, `1,26 milhão` are 1260000; `512 mil`
//! and `٥١٢ ألف` are 512000; `31 March`, `31 mars`, `31. März`, `31 de
//! marzo` and `٣١ مارس` are one date.
//!
//! Written here rather than taken from a crate: locale number parsers
//! (ICU) read one locale's convention at a time and know no scale words,
//! and a translation changes both.

use std::collections::BTreeMap;

use once_cell::sync::Lazy;
use regex::Regex;

use super::calendar::month;
use super::text::{ascii_digits, fold};
use crate::domain::Lang;

/// Token → how much sharing it tells (see `weight`). Values are canonical
/// decimals (`1260000`, `3.4`); dates are `@dd-mm`.
pub type Figures = BTreeMap<String, f64>;

/// Dates tell a lot, but a week of news shares a few.
const DATE_WEIGHT: f64 = 0.8;

static DAY_MONTH: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\b(\d{1,2})(?:er|º|ª|°|\.)?\s+(?:de\s+)?(\p{L}+)").expect("static regex")
});
static MONTH_DAY: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"(\p{L}+)\s+(\d{1,2})\b").expect("static regex"));
static NUMBER: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\d+(?:[.,\u{a0}\u{202f}\u{2009} '’]\d+)*").expect("static regex"));
/// A scale word right after a number, in the folded text: `1,8 millones`,
/// `27 millions d'euros`, `٥١٢ ألف`, `3 mil millones`, `$3.4bn`.
static SCALE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(?:\s?(?:de\s+|d['’]\s?)?)(mil millones|thousands?|mil|tausend|mille|الف|الاف|millions?|millon|millones|milhao|milhoes|millionen|mio|mln|مليون|ملايين|billions?|bn|bilhao|bilhoes|milliarden?|mrd|milliards?|مليار|مليارات)\b",
    )
    .expect("static regex")
});
static ATTACHED_SCALE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(bn|m|k)\b").expect("static regex"));

/// The figures of `text`, written in `lang` (which says whether `1,5` is
/// one and a half or a list).
pub fn figures(text: &str, lang: &Lang) -> Figures {
    let folded = fold(&ascii_digits(text));
    let mut out = Figures::new();
    let mut blank = folded.clone();
    let mut add = |token: String, w: f64| {
        let slot = out.entry(token).or_insert(0.0);
        *slot = slot.max(w);
    };
    for caps in DAY_MONTH.captures_iter(&folded) {
        let (Some(d), Some(m)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        if let Some(token) = date(d.as_str(), m.as_str()) {
            add(token, DATE_WEIGHT);
            blank.replace_range(d.start()..m.end(), &" ".repeat(m.end() - d.start()));
        }
    }
    // Only English writes the month first ("March 31"); elsewhere a
    // month followed by a number is a date and then a count ("27 de
    // marzo 11 litros").
    let snapshot = blank.clone();
    let month_first = if lang.primary() == "en" {
        MONTH_DAY.captures_iter(&snapshot).collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    for caps in month_first {
        let (Some(m), Some(d)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        if let Some(token) = date(d.as_str(), m.as_str()) {
            add(token, DATE_WEIGHT);
            blank.replace_range(d.range(), &" ".repeat(d.len()));
        }
    }
    let decimal_comma = uses_decimal_comma(lang);
    for m in NUMBER.find_iter(&blank) {
        let chunks = chunks(m.as_str());
        let last = chunks.len().saturating_sub(1);
        for (i, chunk) in chunks.iter().enumerate() {
            let (int, frac, grouped) = read(chunk, decimal_comma);
            // Only the last chunk of a run touches the word after it.
            let exp = if i == last {
                scale(&blank[m.end()..], blank[..m.start()].chars().next_back())
            } else {
                0
            };
            if let Some((token, w)) = value(&int, &frac, exp, grouped) {
                add(token, w);
            }
        }
    }
    out
}

fn date(day: &str, month_word: &str) -> Option<String> {
    let d: u8 = day.parse().ok()?;
    let m = month(month_word)?;
    (1..=31).contains(&d).then(|| format!("@{d:02}-{m:02}"))
}

/// Languages that write `1,5` for one and a half (and group with `.` or a
/// space). English and Arabic (whose own decimal mark `٫` becomes `.`)
/// write `1.5`.
fn uses_decimal_comma(lang: &Lang) -> bool {
    !matches!(
        lang.primary(),
        "en" | "ar" | "fa" | "he" | "ja" | "zh" | "ko" | "hi" | "th" | "ms" | "ur"
    )
}

fn is_space_sep(c: char) -> bool {
    matches!(c, '\u{a0}' | '\u{202f}' | '\u{2009}' | ' ' | '\'' | '’')
}

/// Splits a run like `en 2019 1 630` at spaces that do not group
/// thousands: a space groups only a head of at most three digits (or
/// already grouped digits) with exactly three more.
fn chunks(run: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut can_group = false;
    for part in run.split(is_space_sep) {
        let head_digits = part.chars().take_while(char::is_ascii_digit).count();
        let joins = can_group && head_digits == 3 && out.last().is_some();
        if joins {
            if let Some(last) = out.last_mut() {
                last.push_str(part);
            }
        } else {
            out.push(part.to_string());
        }
        can_group = !part.contains(['.', ',']) && (joins || part.len() <= 3);
    }
    out
}

/// Integer digits, fraction digits, and whether a group separator was
/// seen (a grouped number is never a year).
fn read(chunk: &str, decimal_comma: bool) -> (String, String, bool) {
    let seps: Vec<(usize, char)> = chunk
        .char_indices()
        .filter(|(_, c)| *c == '.' || *c == ',')
        .collect();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let Some(&(last_at, last_kind)) = seps.last() else {
        return (chunk.to_string(), String::new(), false);
    };
    let count = |k: char| seps.iter().filter(|(_, c)| *c == k).count();
    let mixed = count('.') > 0 && count(',') > 0;
    let after = &chunk[last_at + 1..];
    let decimal_at = if mixed {
        (count(last_kind) == 1).then_some(last_at)
    } else if seps.len() > 1 {
        None
    } else {
        let is_decimal_mark = (last_kind == ',') == decimal_comma;
        (is_decimal_mark || after.len() != 3).then_some(last_at)
    };
    match decimal_at {
        Some(at) => (
            digits(&chunk[..at]),
            digits(&chunk[at + 1..]),
            seps.len() > 1,
        ),
        None => (digits(chunk), String::new(), true),
    }
}

/// The power of ten a following scale word adds. `m`/`k` only right after
/// a currency amount (`€22m`): elsewhere they are metres and kilos.
fn scale(rest: &str, before: Option<char>) -> u32 {
    if let Some(c) = SCALE.captures(rest).and_then(|c| c.get(1)) {
        return match c.as_str() {
            "mil millones" => 9,
            "thousand" | "thousands" | "mil" | "tausend" | "mille" | "الف" | "الاف" => 3,
            w if w.starts_with("bil") || w.starts_with("milliard") || w.starts_with("مليار") => {
                9
            }
            "bn" | "mrd" => 9,
            _ => 6,
        };
    }
    match ATTACHED_SCALE
        .captures(rest)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
    {
        Some("bn") => 9,
        Some("m") if matches!(before, Some('€' | '$' | '£')) => 6,
        Some("k") if matches!(before, Some('€' | '$' | '£')) => 3,
        _ => 0,
    }
}

/// The canonical token of a number and its weight: how rarely two
/// unrelated articles share it by chance. One-digit counts say nothing,
/// two-digit ones little; years are shared by a week of news.
fn value(int: &str, frac: &str, exp: u32, grouped: bool) -> Option<(String, f64)> {
    let mut digits = format!("{int}{frac}");
    let mut point = int.len() + exp as usize;
    while digits.len() < point {
        digits.push('0');
    }
    let (i, f) = digits.split_at(point);
    let i = i.trim_start_matches('0');
    let f = f.trim_end_matches('0');
    point = i.len();
    if i.is_empty() && f.is_empty() {
        return None;
    }
    let token = match (i.is_empty(), f.is_empty()) {
        (_, true) => i.to_string(),
        (true, false) => format!("0.{f}"),
        (false, false) => format!("{i}.{f}"),
    };
    let significant = format!("{i}{f}").trim_start_matches('0').len();
    let weight = if !f.is_empty() {
        if significant >= 3 {
            1.0
        } else {
            0.6
        }
    } else {
        let n: u64 = i.parse().unwrap_or(u64::MAX);
        match n {
            0..=9 => return None,
            1900..=2100 if exp == 0 && !grouped && point == 4 => 0.3,
            10..=99 => 0.5,
            100..=999 => 0.8,
            _ => 1.0,
        }
    };
    Some((token, weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str, lang: &str) -> Vec<String> {
        figures(text, &Lang::parse(lang).expect("lang"))
            .into_keys()
            .collect()
    }

    #[test]
    fn groupings_and_digit_scripts_meet() {
        let want = vec!["1340".to_string()];
        assert_eq!(keys("all 1,340 welders", "en"), want);
        assert_eq!(keys("alle 1.340 Schweißer", "de"), want);
        assert_eq!(keys("les 1 340 soudeurs", "fr"), want);
        assert_eq!(keys("les 1\u{202f}340 soudeurs", "fr"), want);
        assert_eq!(keys("جميع ١٬٣٤٠ عاملاً", "ar"), want);
    }

    #[test]
    fn decimals_follow_the_language_and_scale_words_multiply() {
        let want = vec!["1260000".to_string()];
        assert_eq!(keys("1.26 million TEU", "en"), want);
        assert_eq!(keys("1,26 Millionen TEU", "de"), want);
        assert_eq!(keys("1,26 milhão de TEU", "pt-BR"), want);
        assert_eq!(keys("١٫٢٦ مليون حاوية", "ar"), want);
        assert_eq!(keys("512 mil TEU", "pt-BR"), keys("٥١٢ ألف حاوية", "ar"));
        assert_eq!(keys("27 millions d'euros", "fr"), keys("€27 million", "en"));
        assert_eq!(keys("3 mil millones", "es"), vec!["3000000000".to_string()]);
        assert_eq!(keys("4,20 euros", "fr"), keys("€4.20", "en"));
    }

    #[test]
    fn dates_meet_across_languages_and_their_day_is_not_a_count() {
        let want = vec!["@31-03".to_string()];
        assert_eq!(keys("on 31 March", "en"), want);
        assert_eq!(keys("on March 31, the", "en"), want);
        assert_eq!(keys("le 31 mars", "fr"), want);
        assert_eq!(keys("am 31. März", "de"), want);
        assert_eq!(keys("el 31 de marzo", "es"), want);
        assert_eq!(keys("يوم ٣١ مارس", "ar"), want);
        assert_eq!(keys("le 1er avril", "fr"), vec!["@01-04".to_string()]);
    }

    #[test]
    fn a_year_next_to_a_count_stays_two_numbers() {
        assert_eq!(
            keys("contre 1 630 en 2019 1 040 couples", "fr"),
            vec!["1040".to_string(), "1630".to_string(), "2019".to_string()]
        );
        let f = figures("in 2019 and 2,019 boxes", &Lang::parse("en").expect("lang"));
        assert_eq!(f.get("2019"), Some(&1.0), "a grouped 2,019 is a count");
    }

    #[test]
    fn small_counts_and_metres_are_not_millions() {
        assert!(keys("3 ships and 7 cranes", "en").is_empty());
        assert_eq!(keys("a 50m wall", "en"), vec!["50".to_string()]);
    }
}
