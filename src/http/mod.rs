//! The HTTP surface. `router(state)` apart from `serve`; errors are turned
//! into statuses here and nowhere else.
