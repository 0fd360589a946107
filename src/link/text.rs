//! What survives translation, pulled out of text: numbers (any digit
//! script, any grouping), names (capitalized Latin-script words that do not
//! start a sentence), and folding so `Valparaíso` meets `Valparaiso`.

use std::collections::BTreeSet;

use once_cell::sync::Lazy;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed: `Valparaíso` → `valparaiso`.
pub fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Arabic-Indic and extended (Persian) digits as ASCII, so `٤٢٠٠` is 4200.
fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{066B}' => '.',
            '\u{066C}' => ',',
            _ => c,
        })
        .collect()
}

static NUMBER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\d(?:[\d]|[.,\u{a0}\u{202f} ](?:\d{3}|\d{1,2}\b))*").expect("static regex")
});

/// Numbers of two or more digits, separators dropped (`4,200`, `4.200`,
/// `4 200` and `٤٢٠٠` are all `4200`). Years are kept out: every article
/// of a week mentions the same year, so they tell nothing apart.
pub fn numbers(text: &str) -> BTreeSet<String> {
    let text = ascii_digits(text);
    NUMBER
        .find_iter(&text)
        .map(|m| {
            m.as_str()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|n| n.len() >= 2)
        .filter(|n| !(n.len() == 4 && (n.starts_with("19") || n.starts_with("20"))))
        .collect()
}

static WORD: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"[\p{L}][\p{L}\p{M}'’-]*").expect("static regex"));

/// Capitalized Latin-script words that do not open a sentence, folded.
/// German capitalizes every noun, so its "names" are many; the evidence
/// score divides by the smaller side for that reason.
pub fn names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let mut sentence_start = true;
        let mut last_end = 0;
        for m in WORD.find_iter(line) {
            let gap = &line[last_end..m.start()];
            if gap.contains(['.', '!', '?', ':', '«', '“', '"', '—']) {
                sentence_start = true;
            }
            last_end = m.end();
            let word = m.as_str();
            let first = word.chars().next().unwrap_or(' ');
            let latin = word
                .chars()
                .all(|c| c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c) || c == '’');
            if !sentence_start && first.is_uppercase() && latin && word.chars().count() >= 3 {
                out.insert(fold(word));
            }
            sentence_start = false;
        }
    }
    out
}

/// Lower-case folded words, for shingles.
pub fn words(text: &str) -> Vec<String> {
    WORD.find_iter(text).map(|m| fold(m.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_across_grouping_styles_and_digit_scripts() {
        let en = numbers("About 4,200 workers and 37 ships; in 2026.");
        let de = numbers("Etwa 4.200 Arbeiter und 37 Schiffe.");
        let ar = numbers("نحو ٤٢٠٠ عامل و37 سفينة");
        let want: BTreeSet<String> = ["4200", "37"].iter().map(|s| s.to_string()).collect();
        assert_eq!(en, want);
        assert_eq!(de, want);
        assert_eq!(ar, want);
    }

    #[test]
    fn names_skip_sentence_openers_and_fold_accents() {
        let n = names("The strike in Valparaíso grew. Dockers met Marisol Okafor there.");
        assert!(n.contains("valparaiso"));
        assert!(n.contains("marisol"));
        assert!(n.contains("okafor"));
        assert!(!n.contains("the"));
        assert!(!n.contains("dockers"));
    }
}
