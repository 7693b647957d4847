//! Long work that is not the database's (reading a lab report, drawing one of its pages), on
//! threads of its own. The runtime's blocking pool has as many threads as the store has
//! connections (`cli.rs`), so that a thread that hands a connection back takes the next read
//! waiting with it; such work there would hold a thread a read needs for seconds, and reads
//! would queue behind it.

use std::sync::Arc;

use tokio::sync::{Semaphore, oneshot};

pub struct Heavy {
    /// How many threads may run such work at once.
    turns: Arc<Semaphore>,
}

impl Default for Heavy {
    /// Such work on up to four threads a core (sixteen at least, as many as the blocking pool
    /// lent it before): most of it waits on the programs that do it (`pdftoppm`, `tesseract`,
    /// each under `prlimit`), so a bound by the cores would keep a reviewer's page waiting
    /// behind a report being read; the bound only keeps a flood of page requests from starting
    /// threads without end.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Heavy {
            turns: Arc::new(Semaphore::new((cores * 4).max(16))),
        }
    }
}

impl Heavy {
    /// Runs `work` on a thread of its own once a turn is free. `None` when it could not
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
