//! The connection edge: accepting TCP connections and serving HTTP/1.1 on
//! them with hyper, under limits a hostile client cannot get around — a cap on
//! open connections (in all and per client address), a deadline for each
//! request head (which is also how long an idle kept-alive connection waits
//! for its next request), and a graceful stop with a deadline.
//!
//! `axum::serve` runs hyper without a timer, so no header timeout ever fires
//! and connections are never closed; this module is what `gloam serve` uses
//! instead. Tests that drive the router in-process do not need it.

use crate::app::AppState;
use axum::Router;
use axum::extract::ConnectInfo;
use dashmap::DashMap;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// Limits on connections; `Default` is what `gloam serve` uses unless told otherwise.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time a client has to send a request's head (line and headers); also
    /// how long a kept-alive connection may sit idle between requests.
    pub header_timeout: Duration,
    /// Open connections in all; beyond it new ones are answered 503 and closed.
    pub max_connections: usize,
    /// Open connections from one client address (0: no cap). Behind a proxy
    /// every client has the proxy's address: raise it or turn it off there.
    pub max_connections_per_client: usize,
    /// On SIGTERM or Ctrl+C, how long requests in flight may take to finish
    /// before their connections are closed.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_connections_per_client: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Headers of one request may take at most this many bytes (hyper's own
/// default is ~400 KiB); larger gets 431.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Counts open connections per client address.
#[derive(Default)]
struct PerClient {
    open: DashMap<IpAddr, usize>,
}

/// One open connection of a client; gives its place back when dropped.
struct ClientSlot {
    clients: Arc<PerClient>,
    address: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl PerClient {
    fn enter(self: &Arc<Self>, address: IpAddr, cap: usize, permit: OwnedSemaphorePermit) -> Option<ClientSlot> {
        let mut open = self.open.entry(address).or_insert(0);
        if cap != 0 && *open >= cap {
            return None;
        }
        *open += 1;
        Some(ClientSlot { clients: self.clone(), address, _permit: permit })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        // Removed at zero, so a scan of many addresses leaves no map behind.
        self.clients.open.remove_if_mut(&self.address, |_, open| {
            *open -= 1;
            *open == 0
        });
    }
}

/// Serves `app` on `listener` until `state` is told to stop; then stops
/// accepting, lets requests in flight finish within the grace period, and
/// returns. Raises the process's soft open-files limit first.
pub async fn serve(listener: TcpListener, app: Router, state: AppState, limits: ConnectionLimits) {
    raise_open_files_limit();
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let clients = Arc::new(PerClient::default());
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(MAX_HEADER_BYTES);
    let mut stopping = state.stopping();
    loop {
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors (or a connection reset before it
                    // was accepted): wait a moment instead of spinning.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopping => break,
        };
        let slot = open
            .clone()
            .try_acquire_owned()
            .ok()
            .and_then(|permit| clients.enter(client.ip(), limits.max_connections_per_client, permit));
        let Some(slot) = slot else {
            state.metrics.count_refused_connection();
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(client));
            app.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // An error here is the client's (it went away, sent garbage or was too slow).
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {:?}; closing their connections", limits.shutdown_grace);
    }
}

/// Answers a connection over a cap with 503 and closes it, without reading
/// its request (the reply is small enough for the socket's buffer).
async fn refuse(mut stream: TcpStream) {
    const REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
        connection: close\r\nretry-after: 1\r\ncontent-length: 41\r\n\r\nGloam: too many open connections; retry\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(REPLY)).await;
}

/// The default soft limit on open files (often 1024) is far below what a
/// server on the internet holds; the hard limit is the operator's to set.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!("open files limit: {limit}"),
        Err(error) => tracing::warn!("cannot raise the open files limit: {error}"),
    }
}
