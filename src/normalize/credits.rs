//! Translator credits written into the article text: "Translated by X",
//! "Traduit par X", "Übersetzt von X", "Traduzido por X", "Traducido por X",
//! "ترجمة: X". Several names split on commas and the language's "and".

use once_cell::sync::Lazy;
use regex::Regex;

// Latin-script phrases are specific verbs, so they may sit mid-line
// ("Report by A, translated by B"). The names run to the end of the clause.
static LATIN_CREDIT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"(?i)\b(?:translated\s+by|translation\s+by|translation\s*:|traduit\s+(?:de\s+l['’]\w+\s+)?par|traduction\s*(?:par|:)|übersetzt\s+(?:aus\s+dem\s+\w+\s+)?von|übersetzung\s*(?:von|:)|traduzido\s+(?:do\s+\w+\s+)?por|tradução\s*(?:de|:)|traducido\s+(?:del\s+\w+\s+)?por|traducción\s*(?:de|:))\s*:?\s*(?P<names>[^\n;|()\[\]]+)",
    )
    .expect("static regex")
});

// "ترجمة" is also the everyday noun "translation", so it only counts as a
// credit at the start of a line.
static ARABIC_CREDIT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?m)^\s*(?:ترجمة|ترجمه|تَرجمة|الترجمة)\s*[:：]?\s*(?P<names>[^\n;|()\[\].]+)")
        .expect("static regex")
});

// Commas (Latin and Arabic) and the spaced conjunctions. The Arabic "و" is
// only split when written apart: attached, it may begin a name (وليد).
static SEPARATORS: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\s*[,،]\s*|\s+(?:and|et|und|e|y|&|و)\s+").expect("static regex"));

/// Translator names credited in `text` (plain text, one line per block),
/// in order, without duplicates.
pub fn translators_in(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let found = LATIN_CREDIT
        .captures_iter(text)
        .chain(ARABIC_CREDIT.captures_iter(text));
    for caps in found {
        let Some(clause) = caps.name("names") else {
            continue;
        };
        for name in SEPARATORS.split(end_of_clause(clause.as_str())) {
            let name = name
                .trim()
                .trim_end_matches(|c: char| c.is_ascii_punctuation() || c == '.' || c == '،')
                .trim();
            if plausible_name(name) && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// Cuts a clause at the first sentence end: ". " or " — ", but not after an
/// initial ("J. Mendes").
fn end_of_clause(clause: &str) -> &str {
    let mut cut = clause.len();
    if let Some(i) = clause.find(" — ").or_else(|| clause.find(" - ")) {
        cut = i;
    }
    let mut from = 0;
    while let Some(rel) = clause[from..cut].find(". ") {
        let at = from + rel;
        let word_len = clause[..at]
            .rsplit(char::is_whitespace)
            .next()
            .map_or(0, |w| w.chars().count());
        if word_len > 1 {
            cut = at;
            break;
        }
        from = at + 2;
    }
    &clause[..cut]
}

/// A name is short: a whole sentence caught by accident is not a person.
fn plausible_name(name: &str) -> bool {
    let words = name.split_whitespace().count();
    name.chars().count() >= 2 && name.chars().count() <= 60 && (1..=5).contains(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_credit_with_two_names() {
        assert_eq!(
            translators_in("Lede paragraph.\nTranslated by Maya Okafor and Lin Qiao."),
            vec!["Maya Okafor", "Lin Qiao"]
        );
    }

    #[test]
    fn french_credit_with_et_and_an_initial() {
        assert_eq!(
            translators_in("Traduit de l'anglais par J. Mercier et Odile Fave. Merci."),
            vec!["J. Mercier", "Odile Fave"]
        );
    }

    #[test]
    fn german_credit_with_und_and_commas() {
        assert_eq!(
            translators_in("Übersetzt von Jonas Weber, Petra Lang und Emil Roth"),
            vec!["Jonas Weber", "Petra Lang", "Emil Roth"]
        );
    }

    #[test]
    fn portuguese_credit_with_e() {
        assert_eq!(
            translators_in("Traduzido por Beatriz Nunes e Caio Ramos"),
            vec!["Beatriz Nunes", "Caio Ramos"]
        );
    }

    #[test]
    fn spanish_credit_mid_sentence() {
        assert_eq!(
            translators_in("Reportaje de Ana Ruiz, traducido por Tomás Gil."),
            vec!["Tomás Gil"]
        );
    }

    #[test]
    fn arabic_credit_with_colon_and_spaced_waw() {
        assert_eq!(
            translators_in("نص المقال هنا\nترجمة: ليلى حداد و سامي نور"),
            vec!["ليلى حداد", "سامي نور"]
        );
        assert_eq!(translators_in("ترجمة وليد كرم"), vec!["وليد كرم"]);
    }

    #[test]
    fn the_word_translation_inside_a_sentence_is_not_a_credit() {
        assert!(translators_in("تحدث الكاتب عن ترجمة الكتاب إلى لغات عدة").is_empty());
        assert!(translators_in("Nobody translated anything here.").is_empty());
    }
}
