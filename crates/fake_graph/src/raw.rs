//! The response body type that carries an answer to hyper: all at once with its length, dripped
//! out a few bytes at a time (chunked), or cut short after some bytes. (Raw bytes given in base64,
//! e.g. gzip data, are decoded in `options.rs`.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// How a body is sent: `chunk` bytes, then a pause of `interval`, until it is all out. Without a
/// drip the body goes out in one piece with a Content-Length; with one it is sent chunked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Drip {
    pub interval: Duration,
    pub chunk: usize,
}

/// How long a cut body waits between its last bytes and the cut.
const CUT_PAUSE: Duration = Duration::from_millis(20);

/// The error that ends a body cut short: hyper then drops the connection mid-body.
#[derive(Debug)]
pub(crate) struct BodyCut;

impl std::fmt::Display for BodyCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body cut short on purpose")
    }
}

impl std::error::Error for BodyCut {}

/// The response body: all at once, or dripped; optionally cut short after some bytes (the
/// Content-Length still announces all of them).
pub(crate) struct ReplyBody {
    data: Bytes,
    drip: Option<Drip>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    announced: u64,
    cut: bool,
}

impl ReplyBody {
    pub(crate) fn new(data: Bytes, drip: Option<Drip>) -> ReplyBody {
        ReplyBody {
            announced: data.len() as u64,
            data,
            drip,
            pause: None,
            cut: false,
        }
    }

    /// Sends only the first `bytes` bytes, then fails the body.
    pub(crate) fn cut_after(mut self, bytes: usize) -> ReplyBody {
        if bytes < self.data.len() {
            self.data.truncate(bytes);
            self.cut = true;
        }
        self
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = BodyCut;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyCut>>> {
        let this = &mut *self;
        if this.data.is_empty() {
            if this.cut {
                // Wait a moment first, so that hyper flushes what was sent before the cut.
                let pause = this
                    .pause
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_PAUSE)));
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.cut = false;
                return Poll::Ready(Some(Err(BodyCut)));
            }
            return Poll::Ready(None);
        }
        let Some(drip) = this.drip else {
            return Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut this.data)))));
        };
        if let Some(pause) = this.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let chunk = this.data.split_to(drip.chunk.clamp(1, this.data.len()));
        this.pause = Some(Box::pin(tokio::time::sleep(drip.interval)));
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty() && !self.cut
    }

    fn size_hint(&self) -> SizeHint {
        match self.drip {
            None => SizeHint::with_exact(self.announced),
            Some(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    /// The frames of `body`, each with the time since the first poll.
    fn frames(mut body: ReplyBody) -> Vec<(Bytes, Duration)> {
        runtime().block_on(async move {
            let started = std::time::Instant::now();
            let mut frames = Vec::new();
            while let Some(frame) =
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            {
                frames.push((frame.unwrap().into_data().unwrap(), started.elapsed()));
            }
            frames
        })
    }

    #[test]
    fn whole_bodies_go_out_in_one_frame_with_their_length() {
        let body = ReplyBody::new(Bytes::from_static(b"hello"), None);
        assert_eq!(body.size_hint().exact(), Some(5));
        let sent: Vec<Bytes> = frames(body).into_iter().map(|(b, _)| b).collect();
        assert_eq!(sent, vec![Bytes::from_static(b"hello")]);
        let empty = ReplyBody::new(Bytes::new(), None);
        assert_eq!(empty.size_hint().exact(), Some(0));
        assert!(empty.is_end_stream());
        assert!(frames(empty).is_empty());
    }

    #[test]
    fn cut_bodies_announce_everything_send_a_part_then_fail() {
        let mut body = ReplyBody::new(Bytes::from_static(b"abcdef"), None).cut_after(2);
        assert_eq!(body.size_hint().exact(), Some(6));
        runtime().block_on(async {
            async fn next(body: &mut ReplyBody) -> Option<Result<Frame<Bytes>, BodyCut>> {
                std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
            }
            let first = next(&mut body).await.unwrap().unwrap().into_data().unwrap();
            assert_eq!(first, Bytes::from_static(b"ab"));
            assert!(next(&mut body).await.unwrap().is_err());
            assert!(next(&mut body).await.is_none());
        });
        let whole = ReplyBody::new(Bytes::from_static(b"ab"), None).cut_after(5);
        assert_eq!(frames(whole).len(), 1);
    }

    #[test]
    fn dripped_bodies_come_in_chunks_separated_by_the_interval() {
        let interval = Duration::from_millis(30);
        let body = ReplyBody::new(
            Bytes::from_static(b"abcde"),
            Some(Drip { interval, chunk: 2 }),
        );
        assert_eq!(body.size_hint().exact(), None);
        let sent = frames(body);
        let chunks: Vec<&[u8]> = sent.iter().map(|(b, _)| &b[..]).collect();
        assert_eq!(chunks, vec![&b"ab"[..], b"cd", b"e"]);
        // The first chunk goes out at once, each next one only after a full interval.
        for pair in sent.windows(2) {
            assert!(pair[1].1 - pair[0].1 >= interval, "{sent:?}");
        }
    }
}
