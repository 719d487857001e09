//! HTTP/1.1 from clients, served on the proxy's own task: each request's head is parsed where it
//! is read, and each answer goes out as bytes, its head and a small body in one write.
//!
//! hyper's server builds a header map for every request and every answer and runs a dispatcher
//! between the socket and the handler; the proxy passes header lines through, so it keeps them as
//! the bytes they came as (see `http1`). Keep-alive, pipelining (requests are read in turn from the
//! same buffer), `Expect: 100-continue`, bodies by length or chunks, and answers by length, chunks
//! or close are handled here.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::exchange::{self, Answer, ClientIp, Payload, Request};
use crate::http1::{self, BodyState, Framing, Step, READ_CHUNK};
use crate::proxy;
use crate::request_head::{self, HeadScan, Refusal, RequestHead, BAD_REQUEST, BODY_TOO_LARGE};
use crate::request_head::{BodyFraming, MAX_BODY};
use crate::{upstream, Shared};

/// A kept-alive connection with no request for this long is closed (Kong's keepalive_timeout is 60
/// s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Each read of a body and each write of an answer waits at most this long (nginx's
/// client_body_timeout and send_timeout).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// A body may take this long, plus a second per `BODY_MIN_RATE` bytes received.
const BODY_GRACE: Duration = Duration::from_secs(20);
/// Bytes per second a body must average once its grace period is over.
const BODY_MIN_RATE: u64 = 500;
/// An answer up to this size goes out in one write with its head.
const ONE_WRITE: usize = 64 * 1024;

/// Runs the proxy on `workers` threads, each a single-threaded event loop accepting from the
/// shared listening socket (nginx's worker processes, as threads), each with its share of the
/// connection limit.
pub fn serve_on_threads(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    workers: usize,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let workers = workers.max(1);
    let per_worker = (shared.options.limits.max_connections / workers).max(1);
    for i in 0..workers {
        let (listener, shared) = (listener.try_clone()?, shared.clone());
        std::thread::Builder::new().name(format!("proxy-{i}")).spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy event loop");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("proxy listener");
                serve(listener, shared, per_worker).await
            });
        })?;
    }
    Ok(())
}

/// After a failed accept (no descriptor left: EMFILE, ENFILE, ENOBUFS), the worker waits this
/// long before accepting again instead of retrying at once (nginx pauses accepting for 500 ms).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts proxy connections until the task is dropped, keeping at most `max` open.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>, max: usize) {
    let open = Arc::new(Connections::new(max));
    let mut failing = false;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                failing = false;
                accepted
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(
                        "cannot accept a connection ({e}); closing idle ones and pausing"
                    );
                }
                failing = true;
                open.shed(true);
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // At the limit the oldest idle connection makes room; with none to spare the new one is
        // closed.
        let Some(tracked) = open.admit() else { continue };
        stream.set_nodelay(true).ok();
        let (shared, open) = (shared.clone(), open.clone());
        let client_ip: ClientIp = peer.ip().to_string().into();
        tokio::spawn(async move {
            let shed = tracked.shed.clone();
            tokio::select! {
                _ = connection(stream, client_ip, shared, &tracked) => {}
                _ = shed.notified() => {}
            }
            open.forget(&tracked);
        });
    }
}

/// Where a connection is in its request cycle, as `Connections` sees it.
const IDLE: u8 = 0;
const IN_HEAD: u8 = 1;
const BUSY: u8 = 2;
const SHED: u8 = 3;

/// One open client connection as its worker's registry sees it.
pub struct Tracked {
    phase: AtomicU8,
    /// When the current phase began, in ms since the registry was made.
    since_ms: AtomicU64,
    shed: Arc<Notify>,
    epoch: Instant,
}

impl Tracked {
    fn enter(&self, phase: u8) {
        self.phase.store(phase, Ordering::Relaxed);
        self.since_ms.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Marks a request as being served; false when the connection was shed meanwhile.
    fn start_request(&self) -> bool {
        self.phase.swap(BUSY, Ordering::AcqRel) != SHED
    }
}

/// A worker's open connections. Beyond its limit the one that costs least to lose is closed:
/// the longest-idle kept-alive connection, else the one that has been sending its head longest
/// (a slow client, or one trickling bytes on purpose); one serving a request is never cut.
pub struct Connections {
    max: usize,
    live: Mutex<Vec<Arc<Tracked>>>,
    epoch: Instant,
}

impl Connections {
    pub fn new(max: usize) -> Connections {
        Connections { max, live: Mutex::new(Vec::new()), epoch: Instant::now() }
    }

    /// Registers a new connection, shedding another when at the limit; `None` when none can go.
    pub fn admit(&self) -> Option<Arc<Tracked>> {
        if self.live.lock().unwrap_or_else(|p| p.into_inner()).len() >= self.max
            && !self.shed(false)
        {
            return None;
        }
        let tracked = Arc::new(Tracked {
            phase: AtomicU8::new(IN_HEAD),
            since_ms: AtomicU64::new(0),
            shed: Arc::new(Notify::new()),
            epoch: self.epoch,
        });
        tracked.enter(IN_HEAD);
        self.live.lock().unwrap_or_else(|p| p.into_inner()).push(tracked.clone());
        Some(tracked)
    }

    /// Closes the longest-idle connection (or, unless `idle_only`, the longest in its head);
    /// false when there is none.
    pub fn shed(&self, idle_only: bool) -> bool {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let phases: &[u8] = if idle_only { &[IDLE] } else { &[IDLE, IN_HEAD] };
        for phase in phases {
            let oldest = live
                .iter()
                .enumerate()
                .filter(|(_, t)| t.phase.load(Ordering::Relaxed) == *phase)
                .min_by_key(|(_, t)| t.since_ms.load(Ordering::Relaxed))
                .map(|(i, _)| i);
            let Some(i) = oldest else { continue };
            if live[i]
                .phase
                .compare_exchange(*phase, SHED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                live.swap_remove(i).shed.notify_one();
                return true;
            }
        }
        false
    }

    pub fn forget(&self, tracked: &Arc<Tracked>) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = live.iter().position(|t| Arc::ptr_eq(t, tracked)) {
            live.swap_remove(i);
        }
    }

    pub fn len(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why no request could be read: the client went (or idled out), or sent one that is refused.
enum Unreadable {
    Gone,
    Refused(Refusal),
}

async fn connection(
    mut stream: TcpStream,
    client_ip: ClientIp,
    shared: Arc<Shared>,
    tracked: &Tracked,
) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let header_timeout = shared.options.limits.header_timeout;
    // The first head is due within the header timeout of the connection's opening (as nginx times
    // it).
    let mut head_started = Some(Instant::now());
    loop {
        let request =
            match read_request(&mut stream, &mut buf, header_timeout, &mut head_started, tracked)
                .await
            {
                Ok(r) => r,
                Err(Unreadable::Gone) => return,
                Err(Unreadable::Refused(Refusal(status, message))) => {
                    let answer =
                        exchange::kong_error(status, message, &exchange::request_id(), &[]);
                    if write_answer(&mut stream, answer, false, true, false).await.is_ok() {
                        let _ = stream.shutdown().await;
                    }
                    return;
                }
            };
        let head_request = request.method() == "HEAD";
        let answer = proxy::handle(&request, &client_ip, &shared).await;
        match write_answer(&mut stream, answer, request.keep_alive, request.http11, head_request)
            .await
        {
            Ok(true) => {}
            _ => return,
        }
        tracked.enter(if buf.is_empty() { IDLE } else { IN_HEAD });
        head_started = (!buf.is_empty()).then(Instant::now);
    }
}

/// Reads more of a request into `buf`, waiting until `deadline` at most.
async fn read_more(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    deadline: Instant,
) -> Result<(), Unreadable> {
    buf.reserve(READ_CHUNK);
    match tokio::time::timeout_at(deadline.into(), stream.read_buf(buf)).await {
        Ok(Ok(n)) if n > 0 => Ok(()),
        _ => Err(Unreadable::Gone),
    }
}

/// Reads the next request: its head, then its body whole. A head must arrive whole within
/// `header_timeout` of its first byte (of the connection's opening for the first one).
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    header_timeout: Duration,
    head_started: &mut Option<Instant>,
    tracked: &Tracked,
) -> Result<Request, Unreadable> {
    let mut scan = HeadScan::default();
    let (head, len) = loop {
        if !buf.is_empty() && scan.feed(buf).map_err(Unreadable::Refused)? {
            break request_head::parse(buf).map_err(Unreadable::Refused)?;
        }
        // Between requests a kept-alive connection may idle; within a head, the client is late.
        let deadline = match *head_started {
            Some(at) => at + header_timeout,
            None => Instant::now() + IDLE_TIMEOUT,
        };
        read_more(stream, buf, deadline).await?;
        if head_started.is_none() {
            *head_started = Some(Instant::now());
            tracked.enter(IN_HEAD);
        }
    };
    buf.advance(len);
    *head_started = None;
    if !tracked.start_request() {
        return Err(Unreadable::Gone);
    }
    let RequestHead { headers: head, method, target, http11, normalized_path } = head;
    let BodyFraming { framing, keep_alive } =
        request_head::body_framing(&head, http11).map_err(Unreadable::Refused)?;
    // A client that sent `Expect: 100-continue` waits for a go-ahead before sending its body.
    if http11
        && framing != Framing::Empty
        && framing != Framing::Length(0)
        && buf.is_empty()
        && head.get("expect").is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue"))
    {
        tokio::time::timeout(CLIENT_TIMEOUT, stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n"))
            .await
            .map_err(|_| Unreadable::Gone)?
            .map_err(|_| Unreadable::Gone)?;
    }
    let body = read_body(stream, buf, framing).await?;
    Ok(Request {
        head,
        method,
        target,
        normalized_path,
        http11,
        keep_alive,
        framed_body: framing != Framing::Empty,
        body,
    })
}

/// When the next read of a body must have arrived by: each read within the client timeout, and
/// the body as a whole at a minimum rate after a grace period (Apache's mod_reqtimeout:
/// `body=20,MinRate=500`), so a body trickled a byte at a time cannot hold a connection for ever.
fn body_deadline(started: Instant, received: usize) -> Instant {
    let allowed = BODY_GRACE + Duration::from_millis(received as u64 * 1000 / BODY_MIN_RATE);
    (Instant::now() + CLIENT_TIMEOUT).min(started + allowed)
}

async fn read_body(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    framing: Framing,
) -> Result<Bytes, Unreadable> {
    let started = Instant::now();
    match framing {
        Framing::Empty | Framing::UntilClose => Ok(Bytes::new()),
        Framing::Length(n) => {
            let n = n as usize;
            if buf.len() < n {
                buf.reserve(n - buf.len());
            }
            while buf.len() < n {
                read_more(stream, buf, body_deadline(started, buf.len())).await?;
            }
            Ok(http1::take_body(buf, n))
        }
        Framing::Chunked => {
            let (mut state, mut body) = (BodyState::of(framing), BytesMut::new());
            loop {
                let step = http1::next_piece(buf, &mut state)
                    .map_err(|_| Unreadable::Refused(BAD_REQUEST))?;
                // A chunk that announces more than the body may hold is refused before it is read.
                if let BodyState::ChunkData(n) = state {
                    if body.len() as u64 + n > MAX_BODY {
                        return Err(Unreadable::Refused(BODY_TOO_LARGE));
                    }
                }
                match step {
                    Step::Piece(p) => body.extend_from_slice(&p),
                    Step::More => {
                        read_more(stream, buf, body_deadline(started, body.len())).await?
                    }
                    Step::End => return Ok(body.freeze()),
                }
            }
        }
    }
}

async fn write_all(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    match tokio::time::timeout(CLIENT_TIMEOUT, stream.write_all(bytes)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Writes an answer; `Ok(true)` when the connection can serve another request.
async fn write_answer(
    stream: &mut TcpStream,
    answer: Answer,
    keep_alive: bool,
    http11: bool,
    head_request: bool,
) -> std::io::Result<bool> {
    let Answer { mut head, payload } = answer;
    let mut keep_alive = keep_alive;
    let mut chunked = false;
    let (body, streamed) = match payload {
        Payload::Whole(b) => {
            head.header("content-length", http1::digits(b.len() as u64).as_bytes());
            (b, None)
        }
        Payload::Framed(b) => (b, None),
        // No body goes with an answer to HEAD, whatever the upstream did.
        Payload::Streamed(_) if head_request => {
            keep_alive = false;
            (Bytes::new(), None)
        }
        Payload::Streamed(s) => {
            if !s.length_in_head {
                // Without a length the body is sent in chunks, or to an HTTP/1.0 client up to the
                // close.
                if http11 {
                    head.header("transfer-encoding", b"chunked");
                    chunked = true;
                } else {
                    keep_alive = false;
                }
            }
            (Bytes::new(), Some(s))
        }
    };
    if !keep_alive {
        head.header("connection", b"close");
    } else if !http11 {
        head.header("connection", b"keep-alive");
    }
    let body = if head_request { Bytes::new() } else { body };
    let mut out = head.finish(&[]);
    if body.len() <= ONE_WRITE {
        out.extend_from_slice(&body);
        write_all(stream, &out).await?;
    } else {
        write_all(stream, &out).await?;
        write_all(stream, &body).await?;
    }
    let Some(mut s) = streamed else { return Ok(keep_alive) };
    loop {
        match s.conn.next_piece(&mut s.state, s.read_timeout).await {
            Ok(Some(piece)) if chunked => {
                let mut framed = Vec::with_capacity(piece.len() + 12);
                framed.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                framed.extend_from_slice(&piece);
                framed.extend_from_slice(b"\r\n");
                write_all(stream, &framed).await?;
            }
            Ok(Some(piece)) => write_all(stream, &piece).await?,
            Ok(None) => {
                if chunked {
                    write_all(stream, b"0\r\n\r\n").await?;
                }
                upstream::checkin(&s.target, s.conn, s.keep_alive);
                return Ok(keep_alive);
            }
            // The answer's head has gone out: all that can tell the client is the connection
            // closing.
            Err(_) => return Ok(false),
        }
    }
}
