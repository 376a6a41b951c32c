//! The consent component through the test host (`/api/consent`), one module per subject.

mod decisions;
mod signals;
pub(crate) mod support;
