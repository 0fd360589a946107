//! The entry's image: an image enclosure or `media:content`, else
//! `media:thumbnail` (feed-rs's, or our pass's when it stands alone: feed-rs
//! 3 drops a thumbnail without a `media:content`), else JSON Feed
//! `image`/`banner_image`, else the first `<img>` of the content. Alt text
//! kept when the feed gives one.

use feed_rs::model::{MediaObject, Text};
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

/// The first `<img>` with a usable `src` in sanitized content (URLs already
/// absolute), read with the HTML tokenizer: never one inside a comment or
/// a script.
fn first_img(html: &str) -> Option<Image> {
    use super::html_scan::{attr, fold_spaces, scan, Piece};

    let mut found = None;
    scan(html, |piece| {
        let Piece::Start(tag) = piece else { return };
        if found.is_some() || &*tag.name != "img" {
            return;
        }
        let Some(url) = attr(tag, "src").and_then(super::url::canonical_url) else {
            return;
        };
        let alt = attr(tag, "alt").map(fold_spaces).filter(|a| !a.is_empty());
        found = Some(Image {
            url,
            alt,
            mime: None,
        });
    });
    found
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

    #[test]
    fn an_image_in_a_comment_or_a_script_is_not_the_entrys() {
        let html = r#"<!-- <img src="https://old.example/a.jpg"> --><script>x = '<img src="https://js.example/b.jpg">';</script><p><img src="https://wire.example.org/c.jpg" alt="Quay &amp; cranes"></p>"#;
        let image = first_img(html).expect("an image");
        assert_eq!(image.url, "https://wire.example.org/c.jpg");
        assert_eq!(image.alt.as_deref(), Some("Quay & cranes"));
    }
}
