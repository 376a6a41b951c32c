//! The app's log lines, on stderr (Spin keeps each component's in a file under its state dir). A line
//! that cannot be written is dropped, never a panic: on a full disk Spin's log file refuses writes, and
//! `eprintln!` would then trap the request and turn a clean `503` into a `500`.

/// Writes one line to stderr, like `eprintln!`, ignoring a failed write.
#[macro_export]
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
