//! What is wrong with a config file, and where: byte spans turned into the
//! `file:line:column: key: message` lines operators and editors understand.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// A 1-based position in the file; the column counts characters, not bytes,
/// so it matches what an editor shows on lines with accents or Arabic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The position of byte `offset` in `text` (clamped to the text).
    pub fn of(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location { line, column }
    }
}

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `None` when the value came from the environment, not the file.
    pub location: Option<Location>,
    /// The TOML key path, like `sources[1].id`; empty for syntax errors.
    pub key: String,
    pub message: String,
}

impl Problem {
    pub(super) fn at(
        text: &str,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            location: Some(Location::of(text, span.start)),
            key: key.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Every problem found, one per line of the message.
    #[error("{}", Lines { path, problems })]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { problems, .. } => problems,
        }
    }
}

struct Lines<'a> {
    path: &'a PathBuf,
    problems: &'a [Problem],
}

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}", self.path.display())?;
            match p.location {
                Some(Location { line, column }) => write!(f, ":{line}:{column}: ")?,
                None => f.write_str(": ")?,
            }
            if !p.key.is_empty() {
                write!(f, "{}: ", p.key)?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn a_byte_offset_becomes_a_one_based_line_and_character_column() {
        let text = "a = 1\nnom = \"élan\"\nx";
        let offset = text.find("élan").unwrap() + "él".len();
        assert_eq!(
            Location::of(text, offset),
            Location {
                line: 2,
                column: 10
            }
        );
        assert_eq!(Location::of(text, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::of(text, 999), Location { line: 3, column: 2 });
    }
}
