//! A counting gate: how many of one kind of heavy work run at once.

use std::sync::{Condvar, Mutex, PoisonError};

/// For CPU- and memory-bound work (rendering a meme, hashing a password):
/// more at once than there are cores only adds memory, not speed, and
/// lets a burst of requests take the memory of all of them. Callers beyond
/// the limit wait their turn.
#[derive(Debug)]
pub struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

#[derive(Debug)]
pub struct Pass<'a>(&'a Gate);

impl Gate {
    pub fn new(limit: usize) -> Self {
        Gate {
            free: Mutex::new(limit.max(1)),
            freed: Condvar::new(),
        }
    }

    pub fn enter(&self) -> Pass<'_> {
        // The count stays right even if a holder panicked: `Pass::drop`
        // still runs while unwinding.
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Pass(self)
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn no_more_than_the_limit_are_inside_at_once() {
        let gate = Arc::new(Gate::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _pass = gate.enter();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
