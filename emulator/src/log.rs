//! Request log: one line per request on stdout, written by a dedicated thread so that a slow or
//! unread stdout pipe can never stall (or, on EPIPE, crash) request handling. Lines are dropped
//! when the queue is full.

use std::io::Write;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::OnceLock;

static TX: OnceLock<SyncSender<String>> = OnceLock::new();

fn sender() -> &'static SyncSender<String> {
    TX.get_or_init(|| {
        let (tx, rx) = sync_channel::<String>(10_000);
        let _ = std::thread::Builder::new()
            .name("oss-emulator-log".into())
            .spawn(move || {
                while let Ok(line) = rx.recv() {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                    let _ = out.flush();
                }
            });
        tx
    })
}

/// Queue one log line.
pub fn line(s: String) {
    match sender().try_send(s) {
        Ok(()) | Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
    }
}
