//! fetch tests.
