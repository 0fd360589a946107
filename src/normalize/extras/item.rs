//! What one child of an item says, and the text we collect from it.

use quick_xml::events::BytesStart;

use super::{attr, FeedExtras, ItemExtras, RawLink, RawTitle, ATOM, DC, MEDIA, RSS1};

/// Which text we are collecting, and for what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Guid,
    Link,
    Title,
    DcTitle,
    ItemLanguage,
    FeedLanguage,
    Contributor,
    MediaDescription,
    MediaTitle,
}

/// Text being collected from one element and everything inside it.
pub struct Capture {
    pub what: What,
    /// Depth of the element whose text this is; it ends at its end tag.
    pub depth: usize,
    pub text: String,
    /// Whether a child element was seen (inline markup).
    pub markup: bool,
}

impl Capture {
    pub fn new(what: What, depth: usize) -> Capture {
        Capture {
            what,
            depth,
            text: String::new(),
            markup: false,
        }
    }
}

/// Records what an element inside an item says; returns what text to
/// capture if its content matters. `direct` is true for the item's own
/// children (a `<title>` inside `<source>` is not the item's).
pub fn item_child(
    item: &mut ItemExtras,
    ns: Option<&[u8]>,
    local: &str,
    e: &BytesStart<'_>,
    direct: bool,
) -> Option<What> {
    let rss = ns.is_none() || ns == Some(RSS1);
    match (ns, local) {
        (Some(MEDIA), "thumbnail") => {
            if item.thumbnail.is_none() {
                item.thumbnail = attr(e, b"url");
            }
            None
        }
        (Some(MEDIA), "description") => Some(What::MediaDescription),
        (Some(MEDIA), "title") => Some(What::MediaTitle),
        _ if !direct => None,
        (_, "guid") if rss => Some(What::Guid),
        (Some(ATOM), "id") => Some(What::Guid),
        (_, "link") if rss => Some(What::Link),
        (_, "title") if rss || ns == Some(ATOM) => Some(What::Title),
        (Some(DC), "title") => Some(What::DcTitle),
        (Some(DC), "language") => Some(What::ItemLanguage),
        (Some(DC), "contributor") => Some(What::Contributor),
        (Some(ATOM), "link") => {
            if let Some(href) = attr(e, b"href") {
                item.links.push(RawLink {
                    rel: attr(e, b"rel").unwrap_or_else(|| "alternate".into()),
                    href,
                    hreflang: attr(e, b"hreflang"),
                    title: attr(e, b"title"),
                    media_type: attr(e, b"type"),
                });
            }
            None
        }
        (None, "source") => {
            if let Some(href) = attr(e, b"url") {
                item.links.push(RawLink {
                    rel: "via".into(),
                    href,
                    ..RawLink::default()
                });
            }
            None
        }
        _ => None,
    }
}

pub fn finish_capture(out: &mut FeedExtras, c: Capture) {
    let text = c.text.trim().to_string();
    if text.is_empty() {
        return;
    }
    if c.what == What::FeedLanguage {
        out.language.get_or_insert(text);
        return;
    }
    let Some(item) = out.items.last_mut() else {
        return;
    };
    let first = |slot: &mut Option<String>| {
        slot.get_or_insert(text.clone());
    };
    match c.what {
        What::Guid => item.guid = Some(text),
        What::Link => first(&mut item.link),
        What::Title => {
            item.title.get_or_insert(RawTitle {
                text,
                markup: c.markup,
            });
        }
        What::DcTitle => first(&mut item.dc_title),
        What::ItemLanguage => item.language = Some(text),
        What::Contributor => item.contributors.push(text),
        What::MediaDescription => first(&mut item.media_description),
        What::MediaTitle => first(&mut item.media_title),
        What::FeedLanguage => {}
    }
}
