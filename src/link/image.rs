//! The image as evidence. A translation hot-links the outlet's photo
//! (the exact URL) or re-hosts it on the publisher's CDN, where the path
//! changes but the file name survives — minus the size the CMS appended
//! (`barre-etel-drone-1200x675.jpg` → `barre-etel-drone`). Bytes are not
//! available to pure functions; a descriptive file name is the next best
//! thing. Camera and CMS default names (`IMG_2034.jpg`, `image.png`,
//! `thumbnail.jpg`) say nothing and are ignored.

use once_cell::sync::Lazy;
use regex::Regex;

use super::features::loose_url;

/// How two entries' images relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImageMatch {
    None,
    /// Same descriptive file name under another URL (re-hosted).
    SameFile,
    SameUrl,
}

static SIZE_SUFFIX: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:[-_]\d{2,5}x\d{2,5}|[-_]scaled|@\dx|[-_]w\d{2,5}|[-_]\d{2,5}w|[-_]e\d{10,})+$")
        .expect("static regex")
});
static MEANINGLESS: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(?:img|dsc|dscn|dscf|pict|pic|photo|image|foto|p|gopr|mvimg|pxl|screenshot|capture|untitled|default|placeholder|thumbnail|thumb|featured|hero|cover|header|banner|logo|og|social|share)?[-_ ]?\d*$",
    )
    .expect("static regex")
});

/// The descriptive file name of an image URL: last path segment, lower
/// case, extension and CMS size suffixes removed; `None` when the name is
/// a camera counter, a default or too short to tell anything apart.
pub fn file_stem(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next()?.to_lowercase();
    let stem = match last.rsplit_once('.') {
        Some((s, ext)) if ext.len() <= 5 => s.to_string(),
        _ => last,
    };
    let stem = SIZE_SUFFIX.replace(&stem, "").to_string();
    let letters = stem.chars().filter(|c| c.is_alphabetic()).count();
    if stem.chars().count() < 8 || letters < 4 || MEANINGLESS.is_match(&stem) {
        return None;
    }
    Some(stem)
}

/// How the images at `a` and `b` relate.
pub fn image_match(a: Option<&str>, b: Option<&str>) -> ImageMatch {
    let (Some(a), Some(b)) = (a, b) else {
        return ImageMatch::None;
    };
    if loose_url(a) == loose_url(b) {
        return ImageMatch::SameUrl;
    }
    match (file_stem(a), file_stem(b)) {
        (Some(x), Some(y)) if x == y => ImageMatch::SameFile,
        _ => ImageMatch::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rehosted_copy_keeps_its_file_name_without_the_size() {
        assert_eq!(
            image_match(
                Some("https://lavigie.example/wp-content/uploads/2025/03/barre-etel-drone-1200x675.jpg"),
                Some("https://wire.example.org/media/2025/03/barre-etel-drone.jpg"),
            ),
            ImageMatch::SameFile
        );
        assert_eq!(
            image_match(
                Some("https://a.example/x/quay@2x.webp"),
                Some("https://b.example/quay.jpeg")
            ),
            ImageMatch::None,
            "too short a name to tell"
        );
        assert_eq!(
            image_match(
                Some("http://www.a.example/p.jpg"),
                Some("https://a.example/p.jpg")
            ),
            ImageMatch::SameUrl
        );
    }

    #[test]
    fn camera_and_default_names_say_nothing() {
        assert_eq!(file_stem("https://a.example/IMG_2034.JPG"), None);
        assert_eq!(
            file_stem("https://a.example/uploads/thumbnail-1024x576.png"),
            None
        );
        assert_eq!(file_stem("https://a.example/uploads/DSC-00123.jpg"), None);
        assert_eq!(
            file_stem("https://a.example/uploads/santos-dredger-channel-scaled.jpg").as_deref(),
            Some("santos-dredger-channel")
        );
    }
}
