//! Settles an entry's language: what the item says, else what the feed says,
//! else the source's configured language — overridden by detection only when
//! the text plainly is another language.
//!
//! Why detection comes last and is so cautious: the source's configured
//! language is always present, so "else detected" would never run if taken
//! literally. But an outlet configured as `en` that publishes an Arabic piece
//! without saying so would otherwise put Arabic text in the English feed and
//! tag it `en` for Mastodon's language filter. So when neither item nor feed
//! declares a language, whatlang may override the configured one, but only
//! if it is reliable on a reasonably long text *and* names a different
//! primary language. When it agrees (or is unsure) the configured tag wins,
//! which keeps its region: detection only knows `pt`, the config says `pt-BR`.

use crate::domain::{Lang, LangOrigin};

/// Below this many characters whatlang's guesses are noise.
const MIN_DETECT_CHARS: usize = 60;

/// Picks the language and says where it came from. Declared tags that do
/// not parse as BCP 47 are ignored, not fatal.
pub fn resolve(
    item: Option<&str>,
    feed: Option<&Lang>,
    fallback: &Lang,
    text: &str,
) -> (Lang, LangOrigin) {
    if let Some(lang) = item.and_then(|raw| Lang::parse(raw).ok()) {
        return (lang, LangOrigin::Entry);
    }
    if let Some(lang) = feed {
        return (lang.clone(), LangOrigin::Feed);
    }
    match detect(text) {
        Some(found) if found.primary() != fallback.primary() => (found, LangOrigin::Detected),
        _ => (fallback.clone(), LangOrigin::Config),
    }
}

/// A language whatlang is sure of, as a BCP 47 primary tag.
pub fn detect(text: &str) -> Option<Lang> {
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_DETECT_CHARS {
        return None;
    }
    let info = whatlang::detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    Lang::parse(bcp47(info.lang())).ok()
}

/// whatlang names languages by ISO 639-3; BCP 47 wants the ISO 639-1 code
/// where one exists (and the 639-3 code only where none does). Every
/// language whatlang 0.18 detects has a 639-1 code. Mandarin (`cmn`) and
/// Iranian Persian (`pes`) are tagged by their macrolanguages `zh` and
/// `fa`, the tags feeds and Mastodon's language filter use. The match is
/// exhaustive so that a language added by a later whatlang fails to compile
/// here instead of going undetected.
fn bcp47(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang as W;
    match lang {
        W::Afr => "af",
        W::Aka => "ak",
        W::Amh => "am",
        W::Ara => "ar",
        W::Aze => "az",
        W::Bel => "be",
        W::Ben => "bn",
        W::Bul => "bg",
        W::Cat => "ca",
        W::Ces => "cs",
        W::Cmn => "zh",
        W::Cym => "cy",
        W::Dan => "da",
        W::Deu => "de",
        W::Ell => "el",
        W::Eng => "en",
        W::Epo => "eo",
        W::Est => "et",
        W::Fin => "fi",
        W::Fra => "fr",
        W::Guj => "gu",
        W::Heb => "he",
        W::Hin => "hi",
        W::Hrv => "hr",
        W::Hun => "hu",
        W::Hye => "hy",
        W::Ind => "id",
        W::Ita => "it",
        W::Jav => "jv",
        W::Jpn => "ja",
        W::Kan => "kn",
        W::Kat => "ka",
        W::Khm => "km",
        W::Kor => "ko",
        W::Lat => "la",
        W::Lav => "lv",
        W::Lit => "lt",
        W::Mal => "ml",
        W::Mar => "mr",
        W::Mkd => "mk",
        W::Mya => "my",
        W::Nep => "ne",
        W::Nld => "nl",
        W::Nob => "nb",
        W::Ori => "or",
        W::Pan => "pa",
        W::Pes => "fa",
        W::Pol => "pl",
        W::Por => "pt",
        W::Ron => "ro",
        W::Rus => "ru",
        W::Sin => "si",
        W::Slk => "sk",
        W::Slv => "sl",
        W::Sna => "sn",
        W::Spa => "es",
        W::Srp => "sr",
        W::Swe => "sv",
        W::Tam => "ta",
        W::Tel => "te",
        W::Tgl => "tl",
        W::Tha => "th",
        W::Tuk => "tk",
        W::Tur => "tr",
        W::Ukr => "uk",
        W::Urd => "ur",
        W::Uzb => "uz",
        W::Vie => "vi",
        W::Yid => "yi",
        W::Zul => "zu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(tag: &str) -> Lang {
        Lang::parse(tag).expect("valid tag")
    }

    const ARABIC: &str = "أعلنت نقابة عمال الميناء اليوم عن إضراب مفتوح احتجاجا على تأخر الأجور، \
        وقال ممثلو العمال إن المفاوضات مع الإدارة وصلت إلى طريق مسدود بعد أسابيع من الحوار.";
    const PORTUGUESE: &str = "Os trabalhadores do porto anunciaram hoje uma greve por tempo \
        indeterminado contra o atraso dos salários, e os representantes disseram que as negociações \
        chegaram a um impasse.";

    #[test]
    fn the_item_wins_over_the_feed_and_keeps_its_region() {
        assert_eq!(
            resolve(Some("pt_br"), Some(&lang("en")), &lang("fr"), ""),
            (lang("pt-BR"), LangOrigin::Entry)
        );
    }

    #[test]
    fn an_invalid_item_tag_falls_back_to_the_feed() {
        assert_eq!(
            resolve(Some("english please"), Some(&lang("de")), &lang("fr"), ""),
            (lang("de"), LangOrigin::Feed)
        );
    }

    #[test]
    fn the_feed_is_trusted_over_detection() {
        assert_eq!(
            resolve(None, Some(&lang("en")), &lang("en"), ARABIC),
            (lang("en"), LangOrigin::Feed)
        );
    }

    #[test]
    fn undeclared_text_plainly_in_another_language_is_detected() {
        assert_eq!(
            resolve(None, None, &lang("en"), ARABIC),
            (lang("ar"), LangOrigin::Detected)
        );
    }

    #[test]
    fn detection_agreeing_with_the_config_keeps_the_configured_region() {
        assert_eq!(
            resolve(None, None, &lang("pt-BR"), PORTUGUESE),
            (lang("pt-BR"), LangOrigin::Config)
        );
    }

    #[test]
    fn short_text_is_not_guessed_at() {
        assert_eq!(
            resolve(None, None, &lang("en"), "Bom dia"),
            (lang("en"), LangOrigin::Config)
        );
    }

    #[test]
    fn every_language_whatlang_detects_has_a_distinct_valid_tag() {
        let mut seen = std::collections::HashMap::new();
        for &w in whatlang::Lang::all() {
            let tag = bcp47(w);
            let parsed = Lang::parse(tag).unwrap_or_else(|e| panic!("{w:?} -> {tag}: {e}"));
            assert_eq!(parsed.primary(), tag, "{w:?} maps to a bare primary tag");
            if let Some(other) = seen.insert(tag, w) {
                panic!("{other:?} and {w:?} both map to {tag}");
            }
        }
        assert_eq!(seen.len(), whatlang::Lang::all().len());
    }

    #[test]
    fn a_language_outside_the_old_table_is_detected_too() {
        // Georgian was among the 41 languages whatlang found but we left
        // tagged with the configured language.
        let georgian = "დღეს ქალაქის ნავსადგურის მუშებმა გამოაცხადეს გაფიცვა ხელფასების \
            დაგვიანების გამო, და მათი წარმომადგენლები ამბობენ, რომ მოლაპარაკებები ჩიხში შევიდა.";
        assert_eq!(
            resolve(None, None, &lang("en"), georgian),
            (lang("ka"), LangOrigin::Detected)
        );
    }
}
