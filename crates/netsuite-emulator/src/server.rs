//! The accept loop. Hand-rolled over hyper (rather than `axum::serve`) so a scripted
//! "reset connection" fault can drop the socket without writing any answer.

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::http::ResetConnection;

/// The error that makes hyper close a connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("emulator fault: connection reset")]
struct Reset;

/// Serves `router` on `listener` until `shutdown` fires (or its sender is dropped).
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let router = router.clone();
                connections.spawn(serve_connection(stream, router));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<ResetConnection>().is_some() {
                return Err(Reset);
            }
            Ok::<_, Reset>(response)
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // Errors here are client disconnects and scripted resets: nothing to report.
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
