//! Stories: deduplication and translation linking through the real
//! parser, store and linker.

mod scenarios;
