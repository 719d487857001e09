//! A per-thread keep-alive pool of HTTP/1.1 connections to upstream targets.
//!
//! Each proxy thread is its own event loop; its upstream connections live on that loop too, so a
//! request, its connection and its response never cross threads. A connection goes back to the
//! pool once its response body has been read in full.

use std::cell::RefCell;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

/// Idle connections kept per target and thread.
const MAX_IDLE: usize = 256;

thread_local! {
    static IDLE: RefCell<crate::config::FastMap<String, Vec<SendRequest<Full<Bytes>>>>> = RefCell::new(Default::default());
}

#[derive(Debug)]
pub enum ConnectError {
    Refused,
    TimedOut,
}

/// An idle connection to `target`, or a new one (within `connect_timeout`).
pub async fn checkout(target: &str, connect_timeout: Duration) -> Result<SendRequest<Full<Bytes>>, ConnectError> {
    let idle = IDLE.with(|p| {
        let mut pool = p.borrow_mut();
        let list = pool.get_mut(target)?;
        while let Some(s) = list.pop() {
            if !s.is_closed() && s.is_ready() {
                return Some(s);
            }
        }
        None
    });
    if let Some(s) = idle {
        return Ok(s);
    }
    let stream = match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(target)).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => return Err(ConnectError::Refused),
        Err(_) => return Err(ConnectError::TimedOut),
    };
    stream.set_nodelay(true).ok();
    let (sender, conn) = http1::Builder::new().writev(false).handshake(TokioIo::new(stream)).await.map_err(|_| ConnectError::Refused)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Returns a connection whose last response was read to the end.
pub fn checkin(target: &str, sender: SendRequest<Full<Bytes>>) {
    if sender.is_closed() {
        return;
    }
    IDLE.with(|p| {
        let mut pool = p.borrow_mut();
        let list = pool.entry(target.to_string()).or_default();
        if list.len() < MAX_IDLE {
            list.push(sender);
        }
    });
}
