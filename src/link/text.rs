//! Text as linking reads it: folding so `Valparaíso` meets `Valparaiso`,
//! digits of any script as ASCII, the word-and-number tokens that
//! duplicates are compared on, and names (capitalized Latin-script words
//! that do not start a sentence).

use std::collections::BTreeSet;

use once_cell::sync::Lazy;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::calendar::is_calendar_word;

/// Lower case, accents removed: `Valparaíso` → `valparaiso`. Arabic loses
/// its vowel marks and hamza seats (`أبريل` → `ابريل`) and the tatweel.
pub fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c) && *c != '\u{0640}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Arabic-Indic and extended (Persian) digits as ASCII, so `٤٢٠٠` is 4200;
/// the Arabic decimal and thousands marks as `.` and `,`.
pub fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{066B}' => '.',
            '\u{066C}' => ',',
            '\u{066A}' => '%',
            _ => c,
        })
        .collect()
}

static WORD: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"[\p{L}][\p{L}\p{M}'’-]*").expect("static regex"));
static TOKEN: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"[\p{L}][\p{L}\p{M}'’-]*|\d+(?:[.,\u{a0}\u{202f}]\d+)*").expect("static regex")
});

/// Lower-case folded words, for mentions.
pub fn words(text: &str) -> Vec<String> {
    WORD.find_iter(text).map(|m| fold(m.as_str())).collect()
}

/// Folded words and numbers (digits only, any script, separators
/// dropped), in order: what the exact and near duplicate checks compare.
/// Numbers count: a daily bulletin and the next day's differ only in them.
pub fn tokens(text: &str) -> Vec<String> {
    TOKEN
        .find_iter(&ascii_digits(text))
        .map(|m| {
            let t = m.as_str();
            if t.starts_with(|c: char| c.is_ascii_digit()) {
                format!(
                    "#{}",
                    t.chars().filter(char::is_ascii_digit).collect::<String>()
                )
            } else {
                fold(t)
            }
        })
        .collect()
}

/// The numbers among `tokens`, sorted: two copies of one article carry the
/// same ones.
pub fn number_tokens(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tokens
        .iter()
        .filter(|t| t.starts_with('#'))
        .cloned()
        .collect();
    out.sort();
    out
}

/// Capitalized Latin-script words that do not open a sentence, folded.
/// French elisions are cut (`l'Atlantique` → `atlantique`), hyphenated
/// names are kept whole and in parts (`Al-Kindi`, `kindi`), months and
/// weekdays are left out, and so are title-cased lines (every word of an
/// English headline is capitalized). German capitalizes every noun, so
/// its "names" are many; the evidence divides by the smaller side.
pub fn names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if title_cased(line) {
            continue;
        }
        let mut sentence_start = true;
        let mut last_end = 0;
        for m in WORD.find_iter(line) {
            let gap = &line[last_end..m.start()];
            if gap.contains(['.', '!', '?', ':', '«', '“', '"', '—', '„']) {
                sentence_start = true;
            }
            last_end = m.end();
            let word = strip_elision(m.as_str());
            let first = word.chars().next().unwrap_or(' ');
            let latin = word
                .chars()
                .all(|c| c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c) || c == '’');
            let opener = std::mem::replace(&mut sentence_start, false);
            if opener || !first.is_uppercase() || !latin || word.chars().count() < 3 {
                continue;
            }
            let folded = fold(word);
            if is_calendar_word(&folded) {
                continue;
            }
            for part in folded.split('-').filter(|p| p.chars().count() >= 3) {
                if part != folded {
                    out.insert(part.to_string());
                }
            }
            out.insert(folded);
        }
    }
    out
}

/// `l'Atlantique` → `Atlantique`, `d'Étel` → `Étel`.
fn strip_elision(word: &str) -> &str {
    match word.find(['\'', '’']) {
        Some(i) if i <= 2 => {
            let rest = &word[i..];
            rest.trim_start_matches(['\'', '’'])
        }
        _ => word,
    }
}

/// A headline in title case: nearly every word capitalized.
fn title_cased(line: &str) -> bool {
    let words: Vec<&str> = WORD.find_iter(line).map(|m| m.as_str()).collect();
    if words.len() < 4 {
        return false;
    }
    let caps = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    caps * 10 >= words.len() * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_skip_sentence_openers_calendar_words_and_fold_accents() {
        let n = names("The strike in Valparaíso grew on Monday. Dockers met Marisol Okafor there.");
        assert!(n.contains("valparaiso"));
        assert!(n.contains("marisol"));
        assert!(n.contains("okafor"));
        assert!(!n.contains("the"));
        assert!(!n.contains("dockers"));
        assert!(!n.contains("monday"));
    }

    #[test]
    fn elisions_and_hyphenated_names() {
        let n = names("Les chantiers de l'Atlantique et Haitham Al-Kindi à Saint-Nazaire.");
        assert!(n.contains("atlantique"), "{n:?}");
        assert!(n.contains("al-kindi") && n.contains("kindi"), "{n:?}");
        assert!(
            n.contains("saint-nazaire") && n.contains("nazaire"),
            "{n:?}"
        );
    }

    #[test]
    fn a_title_cased_headline_gives_no_names() {
        assert!(names("Storm Frees Thousands Of Salmon From A Farm").is_empty());
    }

    #[test]
    fn tokens_keep_numbers_so_templated_items_differ() {
        let a = tokens("Bulletin 12: the river stood at 3.4 metres");
        let b = tokens("Bulletin 13: the river stood at 3.5 metres");
        assert_ne!(a, b);
        assert_eq!(
            number_tokens(&a),
            vec!["#12".to_string(), "#34".to_string()]
        );
        assert_eq!(tokens("١٬٢٠٠ طن"), tokens("1,200 طن"));
    }
}
