//! [`SingleFlight`]: identical computations asked for at the same time run once, and every
//! caller gets the result of that one run. Used where concurrent identical requests would each
//! scan the same rows: the breakdown scans of the results (`app::results`) and exports
//! (`app::export`).
//!
//! Only computations in progress are shared; nothing is kept afterwards (that is what the result
//! caches are for). The first caller of a key runs it; the others wait for its value. If the
//! first caller goes away before finishing (its client disconnected, so actix dropped the
//! request's future), its run ends with it, and one of the waiting callers starts it again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use tokio::sync::watch;

/// Computations in progress by key (see the module documentation).
pub struct SingleFlight<K, V> {
    flights: Mutex<HashMap<K, watch::Sender<Option<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<K, V> std::fmt::Debug for SingleFlight<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

/// Removes a flight when its runner finishes or is dropped; waiters without a value then try
/// again.
struct Landing<'a, K: Eq + Hash, V> {
    flights: &'a Mutex<HashMap<K, watch::Sender<Option<V>>>>,
    key: Option<K>,
}

impl<K: Eq + Hash, V> Drop for Landing<'_, K, V> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(self.flights).remove(&key);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each operation leaves the map whole, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a caller does: run the computation, or wait for the caller who does.
enum Role<V> {
    Run,
    Wait(watch::Receiver<Option<V>>),
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// An empty set of flights.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `compute` for `key`: computed here, or by the caller already computing it.
    pub async fn run<F, Fut>(&self, key: K, compute: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = V>,
    {
        loop {
            match self.role(&key) {
                Role::Run => {
                    let landing = Landing {
                        flights: &self.flights,
                        key: Some(key.clone()),
                    };
                    let value = compute().await;
                    if let Some(tx) = lock(&self.flights).get(&key) {
                        tx.send_replace(Some(value.clone()));
                    }
                    drop(landing);
                    return value;
                }
                Role::Wait(mut rx) => {
                    if let Ok(value) = rx.wait_for(Option::is_some).await
                        && let Some(value) = value.clone()
                    {
                        return value;
                    }
                    // The runner went away without a value: try again.
                }
            }
        }
    }

    fn role(&self, key: &K) -> Role<V> {
        let mut flights = lock(&self.flights);
        match flights.get(key) {
            Some(tx) => Role::Wait(tx.subscribe()),
            None => {
                flights.insert(key.clone(), watch::channel(None).0);
                Role::Run
            }
        }
    }

    /// Callers waiting for the run of `key` (tests).
    #[cfg(test)]
    fn waiting(&self, key: &K) -> usize {
        lock(&self.flights)
            .get(key)
            .map_or(0, watch::Sender::receiver_count)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::Notify;

    #[tokio::test]
    async fn concurrent_callers_of_one_key_share_one_run_and_others_run_apart() {
        let flights: Arc<SingleFlight<&str, usize>> = Arc::new(SingleFlight::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let call = |key: &'static str| {
            let (flights, runs, release) = (flights.clone(), runs.clone(), release.clone());
            tokio::spawn(async move {
                flights
                    .run(key, || async {
                        let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                        release.notified().await;
                        n * 10
                    })
                    .await
            })
        };
        let tasks: Vec<_> = (0..8).map(|_| call("a")).collect();
        while flights.waiting(&"a") < 7 {
            tokio::task::yield_now().await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        release.notify_waiters();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 10);
        }
        // Finished flights are forgotten: the next caller runs again.
        let again = call("a");
        while runs.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        release.notify_waiters();
        assert_eq!(again.await.unwrap(), 20);
    }

    #[tokio::test]
    async fn a_waiter_runs_again_when_the_runner_goes_away() {
        let flights: Arc<SingleFlight<u8, u8>> = Arc::new(SingleFlight::new());
        let f = flights.clone();
        let runner = tokio::spawn(async move { f.run(1, std::future::pending).await });
        while lock(&flights.flights).is_empty() {
            tokio::task::yield_now().await;
        }
        let f = flights.clone();
        let waiter = tokio::spawn(async move { f.run(1, || async { 7 }).await });
        while flights.waiting(&1) < 1 {
            tokio::task::yield_now().await;
        }
        runner.abort();
        assert_eq!(waiter.await.unwrap(), 7);
        assert!(lock(&flights.flights).is_empty());
    }
}
