//! The threads posting runs on. Posting waits on image hosts and image
//! providers for seconds, so it does not run on the small blocking pool the
//! other use cases share; but starting a thread per post cost a `clone`
//! of the stack mapping and a thread start for every request. The pool
//! starts a thread only when none is idle, up to its size, and keeps it.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Threads started and still running.
    threads: usize,
    /// Of those, waiting for a job.
    idle: usize,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("jobs", &self.jobs.len())
            .field("threads", &self.threads)
            .field("idle", &self.idle)
            .finish()
    }
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    size: usize,
}

/// At most `size` threads, started as needed and kept. Callers bound how
/// many jobs they hand it at once (the posting lane's semaphore), so with
/// `size` at least that bound a job never waits for a thread.
#[derive(Debug, Clone)]
pub struct PostingPool {
    shared: Arc<Shared>,
}

impl PostingPool {
    pub fn new(size: usize) -> Self {
        PostingPool {
            shared: Arc::new(Shared {
                queue: Mutex::default(),
                ready: Condvar::new(),
                size: size.max(1),
            }),
        }
    }

    /// Runs `job` on a pool thread.
    pub fn run(&self, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let mut queue = self.shared.lock();
        queue.jobs.push_back(Box::new(job));
        if queue.idle < queue.jobs.len() && queue.threads < self.shared.size {
            let shared = Arc::clone(&self.shared);
            std::thread::Builder::new()
                .name("aispace-posting".into())
                .spawn(move || shared.work())?;
            queue.threads += 1;
        }
        drop(queue);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Threads started and still running.
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// Of those, waiting for a job.
    #[cfg(test)]
    fn idle(&self) -> usize {
        self.shared.lock().idle
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Jobs run outside the lock, so a panicking job cannot poison it;
        // recover anyway rather than take posting down.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn work(self: Arc<Self>) {
        // A job that panics ends this thread; the count must say so, or the
        // pool would believe it still has the thread.
        struct Leaving<'a>(&'a Shared);
        impl Drop for Leaving<'_> {
            fn drop(&mut self) {
                self.0.lock().threads -= 1;
            }
        }
        let _leaving = Leaving(&self);
        loop {
            let mut queue = self.lock();
            let job = loop {
                if let Some(job) = queue.jobs.pop_front() {
                    break job;
                }
                queue.idle += 1;
                queue = self.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
                queue.idle -= 1;
            };
            drop(queue);
            job();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn jobs_one_after_another_reuse_their_threads() {
        let pool = PostingPool::new(64);
        for i in 0..50 {
            let (done, finished) = mpsc::channel();
            pool.run(move || done.send(i).unwrap()).unwrap();
            assert_eq!(finished.recv().unwrap(), i);
            // The job has answered; its thread is on its way back to wait,
            // which a loaded machine may take a while to schedule. Once it
            // waits, the next job must take it rather than start another.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while pool.idle() < pool.threads() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "a thread never came back"
                );
                std::thread::yield_now();
            }
        }
        assert_eq!(pool.threads(), 1);
    }

    #[test]
    fn concurrent_jobs_get_threads_up_to_the_size_and_all_finish() {
        let pool = PostingPool::new(4);
        let gate = Arc::new(std::sync::Barrier::new(4));
        let (done, finished) = mpsc::channel();
        for _ in 0..4 {
            let (gate, done) = (Arc::clone(&gate), done.clone());
            // Each waits for the other three: only four threads at once
            // let them through.
            pool.run(move || {
                gate.wait();
                done.send(()).unwrap();
            })
            .unwrap();
        }
        for _ in 0..4 {
            finished.recv().unwrap();
        }
        assert_eq!(pool.threads(), 4);
        // More jobs than threads queue and still run.
        for _ in 0..20 {
            let done = done.clone();
            pool.run(move || done.send(()).unwrap()).unwrap();
        }
        for _ in 0..20 {
            finished.recv().unwrap();
        }
        assert_eq!(pool.threads(), 4);
    }

    #[test]
    fn a_panicking_job_gives_its_thread_back() {
        let pool = PostingPool::new(1);
        pool.run(|| panic!("a bug in a use case")).unwrap();
        let (done, finished) = mpsc::channel();
        // The pool starts a new thread once the panicked one is gone.
        let started = std::time::Instant::now();
        loop {
            if pool.threads() == 0 {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        pool.run(move || done.send(()).unwrap()).unwrap();
        finished.recv().unwrap();
    }
}
