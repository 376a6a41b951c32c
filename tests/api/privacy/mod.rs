//! The privacy centre through the test host, one module per subject.

mod answers;
mod asking;
mod downstream;
mod staff;
pub(crate) mod support;
