//! Work that keeps a core busy for long (reading a lab report, drawing one of its pages), on
//! threads of its own, no more at once than there are cores. The runtime's blocking pool has as
//! many threads as the store has connections (`cli.rs`), so that a thread that hands a
//! connection back takes the next read waiting with it; such work there would hold a thread a
//! read needs, and reads would queue behind it.

use std::sync::Arc;

use tokio::sync::{Semaphore, oneshot};

#[derive(Clone)]
pub struct Heavy {
    /// One turn for each core.
    turns: Arc<Semaphore>,
}

impl Heavy {
    /// Heavy work on as many threads at once as the machine has cores.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Heavy {
            turns: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Runs `work` on a thread of its own once a core's turn is free. `None` when it could not
    /// be run or did not finish (it panicked).
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let turn = self.turns.clone().acquire_owned().await.ok()?;
        let (done, finished) = oneshot::channel();
        std::thread::Builder::new()
            .name("medvault-heavy".into())
            .spawn(move || {
                let _turn = turn;
                let _ = done.send(work());
            })
            .ok()?;
        finished.await.ok()
    }
}
