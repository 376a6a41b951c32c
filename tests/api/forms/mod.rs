//! The forms component through the test host (`POST /api/forms/{form}` and its render tokens), one module
//! per subject.

mod bad_posts;
mod concurrency;
mod posts;
mod spam;
pub(crate) mod support;
mod visitors;
