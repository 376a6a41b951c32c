//! HTTP at the edge of every component: the one error type and its status codes, responses, request
//! headers, and reading request bodies within a size limit.

mod error;
mod headers;
mod read;
mod reply;
mod response;

pub use error::{ApiError, FieldError};
pub use headers::{bearer, bearer_is, constant_time_eq, last_header, prefers_html};
pub use read::read_body;
pub use reply::{Reply, bytes_response};
pub use response::{
    CONSOLE_CSP, LOOK, asset, banner_page_csp, console_page, escape_html, html_response,
    json_response, no_content, page, page_csp, page_in, probe_response, see_other, with_cookie,
};
