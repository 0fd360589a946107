//! poll tests.
