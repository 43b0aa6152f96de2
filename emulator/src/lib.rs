//! A local Alibaba Cloud OSS + STS emulator for development and tests.
//!
//! It verifies OSS V4 (`OSS4-HMAC-SHA256`) and V1 signatures with its own verifier written from
//! the reference text (never from the library crate), stores objects on disk, answers CORS like
//! OSS, mints STS-style credentials, and has a fault-injection admin API. See `README.md`.

pub mod admin;
pub mod appserver;
pub mod auth;
pub mod client_sign;
pub mod cors;
pub mod crc64;
pub mod encode;
pub mod error;
pub mod faults;
pub mod form;
pub mod http;
pub mod log;
pub mod md5;
pub mod policy;
pub mod post;
pub mod realsts;
pub mod server;
pub mod sign;
pub mod state;
pub mod statics;
pub mod store;
pub mod throttle;
pub mod time;
pub mod xml;

use std::sync::Arc;

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// Bound address.
    pub addr: std::net::SocketAddr,
    /// Shared state.
    pub state: Arc<state::State>,
    /// Server task.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Bind and start serving in the current tokio runtime.
pub async fn start(cfg: state::Config) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind((cfg.host.as_str(), cfg.port)).await?;
    let addr = listener.local_addr()?;
    let st = Arc::new(state::State::new(cfg)?);
    st.port
        .store(u64::from(addr.port()), std::sync::atomic::Ordering::Relaxed);
    let task = tokio::spawn(server::serve(st.clone(), listener));
    Ok(Running {
        addr,
        state: st,
        task,
    })
}
