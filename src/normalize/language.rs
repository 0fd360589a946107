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
    Lang::parse(iso639_1(info.lang())?).ok()
}

/// whatlang speaks ISO 639-3; feeds and Mastodon speak the two-letter codes.
/// Languages without a two-letter code are left undetected.
fn iso639_1(lang: whatlang::Lang) -> Option<&'static str> {
    use whatlang::Lang as W;
    Some(match lang {
        W::Eng => "en",
        W::Fra => "fr",
        W::Deu => "de",
        W::Por => "pt",
        W::Spa => "es",
        W::Ita => "it",
        W::Nld => "nl",
        W::Ara => "ar",
        W::Rus => "ru",
        W::Ukr => "uk",
        W::Pol => "pl",
        W::Tur => "tr",
        W::Pes => "fa",
        W::Heb => "he",
        W::Urd => "ur",
        W::Hin => "hi",
        W::Cmn => "zh",
        W::Jpn => "ja",
        W::Kor => "ko",
        W::Swe => "sv",
        W::Dan => "da",
        W::Nob => "nb",
        W::Fin => "fi",
        W::Ell => "el",
        W::Ces => "cs",
        W::Ron => "ro",
        W::Hun => "hu",
        W::Ind => "id",
        W::Vie => "vi",
        _ => return None,
    })
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
}
