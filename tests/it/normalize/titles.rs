//! Titles as a reader shows them: `dc:title` when there is no `<title>`,
//! the text of inline markup kept, entities decoded exactly once.

use super::parse;

fn titles(name: &str) -> Vec<String> {
    parse(name, "en")
        .entries
        .into_iter()
        .map(|e| e.title)
        .collect()
}

#[test]
fn rss_titles_keep_the_text_of_inline_markup_and_decode_entities_once() {
    assert_eq!(
        titles("titles-rss.xml"),
        vec![
            // CDATA markup, and markup written as child elements.
            "Example Atom on the quay",
            "Markup inside the title element",
            // `Q&amp;A` in the XML is `Q&A`.
            "Q&A: the harbour master answers",
            // `&amp;lt;` is `&lt;` once decoded: the publisher wrote about
            // the entity, not a line break.
            "Writing &lt;br&gt; in a headline",
            // No <title>: the dc:title.
            "Only a Dublin Core title here",
        ]
    );
}

#[test]
fn atom_titles_are_read_by_their_type() {
    assert_eq!(
        titles("titles-atom.xml"),
        vec![
            // type="html": markup, whose text a reader sees.
            "Example Atom",
            "Example Atom in XHTML",
            // type="text": decoded once by the XML layer only.
            "Q&A about &lt;tags&gt;",
            // type="html": `&amp;amp;` is the HTML `&amp;`, an ampersand.
            "Fish & chips",
        ]
    );
}
