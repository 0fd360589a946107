//! HTML read the way a browser's tokenizer reads it, for the scans that
//! look for a few elements (`<link>` in a page, `<a>` and `<img>` in an
//! entry's content): html5ever's tokenizer (the one ammonia parses with, so
//! no second parser), which never takes a comment, a `<script>` string or a
//! `<style>` block for markup, and which decodes entities in text and
//! attributes.
//!
//! Tokens, not a tree: the scans need elements in document order and the
//! text between them, and a tokenizer does that in one pass without
//! building a DOM. What a tree builder adds and we write here is one rule
//! of HTML's tree construction: after which start tags the tokenizer reads
//! raw text (`script`, `style`, `title`…) until the matching end tag.

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::TokenizerResult;

/// What a scan sees, in document order.
pub(super) enum Piece<'a> {
    /// A start tag, with its attributes decoded.
    Start(&'a Tag),
    /// An end tag's name.
    End(&'a str),
    /// Text a reader sees (never the inside of `script`, `style` and the
    /// like, never a comment), entities decoded.
    Text(&'a str),
}

/// The value of attribute `name` of `tag`, decoded.
pub(super) fn attr<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| &*a.value)
}

/// `text` on one line, each run of white space one space, as a reader sees
/// it.
pub(super) fn fold_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Calls `visit` with each piece of `html`, in order.
pub(super) fn scan(html: &str, visit: impl FnMut(Piece<'_>)) {
    let sink = Sink {
        visit: RefCell::new(visit),
        raw: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // Our sink never pauses for a script: one feed reads everything.
    while let TokenizerResult::Script(()) = tokenizer.feed(&input) {}
    tokenizer.end();
}

struct Sink<F> {
    visit: RefCell<F>,
    /// Inside an element whose content is raw text, not markup or prose.
    raw: Cell<bool>,
}

/// The start tags after which HTML reads raw text (the tree builder's
/// rules, with scripting enabled as in a browser).
fn raw_kind(name: &str) -> Option<TokenSinkResult<()>> {
    Some(match name {
        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
            TokenSinkResult::RawData(RawKind::Rawtext)
        }
        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
        "plaintext" => TokenSinkResult::Plaintext,
        _ => return None,
    })
}

impl<F: FnMut(Piece<'_>)> TokenSink for Sink<F> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut visit = self.visit.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                visit(Piece::Start(&tag));
                if let Some(next) = raw_kind(&tag.name) {
                    self.raw.set(true);
                    return next;
                }
            }
            Token::TagToken(tag) => {
                // In raw text the tokenizer only ends at the matching tag.
                self.raw.set(false);
                visit(Piece::End(&tag.name));
            }
            Token::CharacterTokens(text) if !self.raw.get() => visit(Piece::Text(&text)),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(html: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut in_text = false;
        scan(html, |p| {
            let text = matches!(p, Piece::Text(_));
            let s = match p {
                Piece::Start(t) => format!("<{}>", &*t.name),
                Piece::End(n) => format!("</{n}>"),
                Piece::Text(t) => t.to_string(),
            };
            // The tokenizer may hand one run of text over in pieces.
            match out.last_mut() {
                Some(last) if text && in_text => last.push_str(&s),
                _ => out.push(s),
            }
            in_text = text;
        });
        out
    }

    #[test]
    fn comments_scripts_and_styles_are_not_markup_or_text() {
        let got = pieces(
            "<p>a &amp; b<!-- <a href=x>no</a> --></p><script>var s = '<a href=\"y\">';</script>\
             <style>a::after{content:'<a>'}</style><title>T <a></title><A HREF=z>yes</A>",
        );
        assert_eq!(
            got,
            [
                "<p>",
                "a & b",
                "</p>",
                "<script>",
                "</script>",
                "<style>",
                "</style>",
                "<title>",
                "</title>",
                "<a>",
                "yes",
                "</a>"
            ]
        );
    }
}
