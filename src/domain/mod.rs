//! The vocabulary of wirebridge: sources, languages, entries. No I/O, no wire
//! formats, no SQL — every other module speaks in these types.

mod entry;
mod lang;
mod source;
mod story;
pub mod when;

pub use entry::{Entry, EntryKey, EntryLink, Image, LangOrigin, LinkRel, Person};
pub use lang::{Lang, LangError};
pub use source::{Role, SourceId, SourceIdError};
pub use story::EntryRole;
