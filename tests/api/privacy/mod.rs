//! The privacy centre through the test host, one module per subject.

mod answers;
mod asking;
mod staff;
mod support;
