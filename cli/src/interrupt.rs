//! Ctrl-C: the first asks the command to stop cleanly (deliver or commit what it has, then
//! exit); a second one exits at once with status 130, for when stopping cleanly hangs.

use tokio::sync::watch;

/// A handle on the Ctrl-C watch; clones share it.
#[derive(Debug, Clone)]
pub struct Interrupt {
    seen: watch::Receiver<bool>,
}

impl Interrupt {
    /// Starts watching for Ctrl-C (SIGINT). Must be called inside the tokio runtime.
    pub fn install() -> Self {
        let (tx, seen) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                // No signal handling here: Ctrl-C keeps its default (ends the process).
                return;
            }
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kafkit: interrupted twice: exiting without waiting");
                std::process::exit(130);
            }
        });
        Interrupt { seen }
    }

    /// Whether Ctrl-C was pressed.
    pub fn is_set(&self) -> bool {
        *self.seen.borrow()
    }

    /// Waits for Ctrl-C (never returns if signals cannot be watched).
    pub async fn wait(&mut self) {
        if self.seen.wait_for(|seen| *seen).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
