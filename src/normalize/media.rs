//! The entry's image: an image enclosure or `media:content`, else
//! `media:thumbnail` (feed-rs's, or our pass's when it stands alone: feed-rs
//! 3 drops a thumbnail without a `media:content`), else JSON Feed
//! `image`/`banner_image`, else the first `<img>` of the content. Alt text
//! kept when the feed gives one.

use feed_rs::model::{MediaObject, Text};
use once_cell::sync::Lazy;
use regex::Regex;
use url::Url;

use super::extras::ItemExtras;
use super::url::resolve_canonical;
use crate::domain::Image;

const IMAGE_EXTENSIONS: &[&str] = &[".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"];

pub fn pick_image(
    media: &[MediaObject],
    extras: &ItemExtras,
    content_html: Option<&str>,
    base: &Url,
) -> Option<Image> {
    from_media(media, base)
        .or_else(|| thumbnail(media, base))
        .or_else(|| {
            let url = resolve_canonical(extras.thumbnail.as_deref()?, base)?;
            let alt = [&extras.media_description, &extras.media_title]
                .into_iter()
                .flatten()
                .map(|t| super::sanitize::plain_title(t))
                .find(|t| !t.is_empty());
            Some(Image {
                url,
                alt,
                mime: None,
            })
        })
        .or_else(|| {
            extras.image.as_deref().and_then(|src| {
                Some(Image {
                    url: resolve_canonical(src, base)?,
                    alt: None,
                    mime: None,
                })
            })
        })
        .or_else(|| content_html.and_then(first_img))
}

fn from_media(media: &[MediaObject], base: &Url) -> Option<Image> {
    media.iter().find_map(|obj| {
        obj.content.iter().find_map(|c| {
            let url = c.url.as_ref()?.as_str();
            let mime = c.content_type.as_ref().map(|t| t.to_string());
            let is_image = match &mime {
                Some(m) => m.starts_with("image/"),
                None => looks_like_image(url),
            };
            if !is_image {
                return None;
            }
            Some(Image {
                url: resolve_canonical(url, base)?,
                alt: alt_of(obj),
                mime,
            })
        })
    })
}

fn thumbnail(media: &[MediaObject], base: &Url) -> Option<Image> {
    media.iter().find_map(|obj| {
        let thumb = obj.thumbnails.first()?;
        Some(Image {
            url: resolve_canonical(&thumb.image.uri, base)?,
            alt: alt_of(obj),
            mime: None,
        })
    })
}

/// `media:description`, else `media:title`, as alt text.
fn alt_of(obj: &MediaObject) -> Option<String> {
    let text = |t: &Option<Text>| {
        t.as_ref()
            .map(|t| super::sanitize::plain_title(&t.content))
            .filter(|s| !s.is_empty())
    };
    text(&obj.description).or_else(|| text(&obj.title))
}

fn looks_like_image(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    IMAGE_EXTENSIONS.iter().any(|ext| path.ends_with(ext))
}

// On sanitized HTML: URLs already absolute, attributes double-quoted.
static IMG: Lazy<Regex> = Lazy::new(|| Regex::new(r#"(?is)<img\s[^>]*>"#).expect("static regex"));
static SRC: Lazy<Regex> = Lazy::new(|| Regex::new(r#"\ssrc="([^"]+)""#).expect("static regex"));
static ALT: Lazy<Regex> = Lazy::new(|| Regex::new(r#"\salt="([^"]*)""#).expect("static regex"));

fn first_img(html: &str) -> Option<Image> {
    let tag = IMG.find(html)?.as_str();
    let src = SRC.captures(tag)?.get(1)?.as_str().replace("&amp;", "&");
    let alt = ALT
        .captures(tag)
        .and_then(|c| c.get(1))
        .map(|a| super::sanitize::plain_title(a.as_str()))
        .filter(|a| !a.is_empty());
    Some(Image {
        url: super::url::canonical_url(&src)?,
        alt,
        mime: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_content_image_is_used_with_its_alt_text() {
        let html = r#"<p>x</p><img src="https://wire.example.org/i/a.jpg?utm_source=x&amp;w=600" alt="Cranes at dawn"><img src="https://wire.example.org/b.jpg">"#;
        let base = Url::parse("https://wire.example.org/").expect("static URL");
        let image = pick_image(&[], &ItemExtras::default(), Some(html), &base).expect("an image");
        assert_eq!(image.url, "https://wire.example.org/i/a.jpg?w=600");
        assert_eq!(image.alt.as_deref(), Some("Cranes at dawn"));
    }

    #[test]
    fn a_json_feed_image_beats_the_content() {
        let base = Url::parse("https://wire.example.org/").expect("static URL");
        let extras = ItemExtras {
            image: Some("/i/banner.png".into()),
            ..ItemExtras::default()
        };
        let image = pick_image(
            &[],
            &extras,
            Some(r#"<img src="https://x.example/y.jpg">"#),
            &base,
        )
        .expect("an image");
        assert_eq!(image.url, "https://wire.example.org/i/banner.png");
    }
}
