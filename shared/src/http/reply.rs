//! The response body of the components that stream: a whole text, or chunks made as the client reads.

use bytes::Bytes;
use futures::Stream;
use http::{HeaderValue, Response, header};
use http_body::Body;

/// A response body: a whole text, or chunks made while the client reads them (a long export), so that
/// memory stays flat however much is sent. A chunk that fails ends the response unfinished: the client
/// sees a broken transfer, never a short one that looks complete.
pub enum Reply {
    Whole(Option<Bytes>),
    Chunks(std::pin::Pin<Box<dyn Stream<Item = anyhow::Result<Bytes>>>>),
}

/// A `200` with binary `body` (a register tile), its content type and `Cache-Control` policy.
pub fn bytes_response(
    body: Vec<u8>,
    content_type: &'static str,
    cache: &'static str,
) -> Response<Reply> {
    let mut response = Response::new(Reply::Whole(Some(Bytes::from(body))));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

impl From<String> for Reply {
    fn from(text: String) -> Self {
        Self::Whole(Some(Bytes::from(text)))
    }
}

impl Body for Reply {
    type Data = Bytes;
    type Error = anyhow::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Whole(bytes) => {
                std::task::Poll::Ready(bytes.take().map(|b| Ok(http_body::Frame::data(b))))
            }
            Self::Chunks(chunks) => chunks
                .as_mut()
                .poll_next(cx)
                .map(|chunk| chunk.map(|chunk| chunk.map(http_body::Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Self::Whole(None))
    }
}
