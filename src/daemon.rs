//! `serve`: one cancellation token, tracked tasks, ordered shutdown.
