//! Names across scripts: `Saint-Nazaire` and `سان نازير`, `Haitham
//! Al-Kindi` and `هيثم الكندي` are the same names, and no dictionary
//! lists the people in tomorrow's news. Both sides are reduced to a
//! consonant skeleton — Arabic writes few vowels, transliteration keeps the
//! consonants — in classes that merge what the two scripts spell
//! differently (`g`/`j`/`k`/`q`/`kh` → K, `s`/`z`/`sh`/`ch` → S, `v`/`f` →
//! F; `h`, `ʿ`, `w`, `y` and vowels dropped).
//!
//! Precision first: a skeleton must have at least four consonants to
//! match across scripts (three-consonant roots are everywhere in Arabic),
//! and only longer ones may differ by one consonant (`Bertrand` /
//! `برتران`, `Nordwind` / `نوردفيند`). Written here: transliteration
//! crates (any_ascii, deunicode) romanize one way and do not compare.

use std::collections::BTreeSet;

/// Shorter skeletons match too much by chance across scripts.
pub const MIN_SKELETON: usize = 4;
/// From this length one consonant may differ.
const FUZZY_FROM: usize = 5;

/// Whether a letter is Arabic script.
pub fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}')
}

/// The skeleton of a folded Latin-script word (`al-kindi` → `LKND`).
pub fn latin_skeleton(folded: &str) -> String {
    let chars: Vec<char> = folded.chars().filter(|c| c.is_alphabetic()).collect();
    let mut out = String::new();
    let mut i = 0;
    let at = |j: usize| chars.get(j).copied().unwrap_or(' ');
    while i < chars.len() {
        let (c, n, nn) = (chars[i], at(i + 1), at(i + 2));
        let (class, used) = match (c, n) {
            ('s', 'c') if nn == 'h' => (Some('S'), 3),
            ('s' | 'c', 'h') => (Some('S'), 2),
            // Italian `zz`, German `tz`: written `تس` in Arabic.
            ('t' | 'z', 'z') => {
                if !out.ends_with('T') {
                    out.push('T');
                }
                (Some('S'), 2)
            }
            ('t', 'h') | ('d', 't') => (Some('T'), 2),
            ('p', 'h') => (Some('F'), 2),
            ('k' | 'g', 'h') => (Some('K'), 2),
            ('d', 'h') => (Some('D'), 2),
            ('c', 'k') | ('q', 'u') => (Some('K'), 2),
            ('g', 'u') if matches!(nn, 'e' | 'i') => (Some('K'), 2),
            ('c', 'e' | 'i' | 'y') => (Some('S'), 1),
            ('x', _) => {
                out.push('K');
                (Some('S'), 1)
            }
            _ => (latin_class(c), 1),
        };
        if let Some(k) = class {
            if !out.ends_with(k) {
                out.push(k);
            }
        }
        i += used;
    }
    out
}

fn latin_class(c: char) -> Option<char> {
    Some(match c {
        'b' | 'p' => 'B',
        't' => 'T',
        'd' => 'D',
        'f' | 'v' => 'F',
        'c' | 'g' | 'j' | 'k' | 'q' => 'K',
        's' | 'z' | 'ç' => 'S',
        'l' => 'L',
        'm' => 'M',
        'n' => 'N',
        'r' => 'R',
        _ => return None,
    })
}

/// The skeleton of an Arabic word as written (`الكندي` → `LKND`). Spanish
/// `ch` is written `تش`: the `ت` before `ش` is dropped.
pub fn arabic_skeleton(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if *c == 'ت' && chars.get(i + 1) == Some(&'ش') {
            continue;
        }
        let class = match c {
            'ب' | 'پ' => 'B',
            'ت' | 'ط' | 'ث' => 'T',
            'د' | 'ض' | 'ذ' | 'ظ' => 'D',
            'ف' | 'ڤ' => 'F',
            'ج' | 'چ' | 'خ' | 'غ' | 'ق' | 'ك' | 'گ' | 'ک' => 'K',
            'س' | 'ص' | 'ش' | 'ز' => 'S',
            'ل' => 'L',
            'م' => 'M',
            'ن' => 'N',
            'ر' => 'R',
            _ => continue,
        };
        if !out.ends_with(class) {
            out.push(class);
        }
    }
    out
}

/// The skeletons an Arabic word may stand for: as written, and without
/// the article and the one-letter proclitics (`والكندي`, `بسانتوس`).
pub fn arabic_variants(word: &str) -> Vec<String> {
    let mut forms = vec![word.to_string()];
    for prefix in ["وال", "بال", "فال", "كال", "لل", "ال"] {
        if let Some(rest) = word.strip_prefix(prefix) {
            forms.push(rest.to_string());
        }
    }
    for prefix in ['و', 'ب', 'ل', 'ف', 'ك'] {
        if let Some(rest) = word.strip_prefix(prefix) {
            if rest.chars().count() >= 3 {
                forms.push(rest.to_string());
            }
        }
    }
    let mut out: Vec<String> = forms.iter().map(|f| arabic_skeleton(f)).collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a Latin-script skeleton and an Arabic-script one name the same
/// thing.
pub fn skeletons_match(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la.min(lb) < MIN_SKELETON {
        return false;
    }
    a == b || (la.min(lb) >= FUZZY_FROM && within_one_edit(a, b))
}

/// The skeletons of every Arabic word of `text` that is long enough to
/// match (with its proclitic variants).
pub fn arabic_skeletons(text: &str) -> BTreeSet<String> {
    arabic_words(text)
        .flat_map(|w| arabic_variants(&w))
        .filter(|s| s.chars().count() >= MIN_SKELETON)
        .collect()
}

/// The Arabic words of `text`, folded.
pub fn arabic_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(is_arabic(c) && c.is_alphabetic()) && c != '\u{0640}')
        .filter(|w| !w.is_empty())
        .map(super::text::fold)
}

/// Whether most letters of `text` are Arabic.
pub fn mostly_arabic(text: &str) -> bool {
    let (mut arabic, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if is_arabic(c) {
            arabic += 1;
        } else {
            other += 1;
        }
    }
    arabic > other
}

fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::text::fold;

    fn meets(latin: &str, arabic: &str) -> bool {
        let l = latin_skeleton(&fold(latin));
        arabic_variants(&fold(arabic))
            .iter()
            .any(|a| skeletons_match(&l, a))
    }

    #[test]
    fn transliterated_names_meet_their_latin_spelling() {
        for (latin, arabic) in [
            ("Al-Kindi", "الكندي"),
            ("Santos", "سانتوس"),
            ("Rotterdam", "روتردام"),
            ("Chañaral", "تشانيارال"),
            ("Humboldt", "هومبولت"),
            ("Quintela", "كينتيلا"),
            ("Bertrand", "برتران"),
            ("Mazzoleni", "ماتسوليني"),
            ("Navarino", "نافارينو"),
            ("Sampierdarena", "سامبيردارينا"),
            ("Marittima", "ماريتيما"),
            ("Atlantique", "لاتلانتيك"),
            ("Wijnberg", "فاينبرغ"),
        ] {
            assert!(meets(latin, arabic), "{latin} / {arabic}");
        }
    }

    #[test]
    fn short_or_different_names_do_not() {
        assert!(!meets("Sohar", "صحار"), "two consonants are too few");
        assert!(!meets("Santos", "سبتة"));
        assert!(!meets("Rotterdam", "روما"));
        assert!(!meets("Marittima", "مارتينيز"));
    }

    #[test]
    fn arabic_text_is_told_from_latin() {
        assert!(mostly_arabic("ميناء صحار (Sohar) يفتتح رصيفاً"));
        assert!(!mostly_arabic("Port of Sohar"));
    }
}
