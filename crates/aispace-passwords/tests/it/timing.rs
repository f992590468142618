//! The default cost's time per hash. Ignored: run it in release, on the
//! machine that will serve, with
//! `cargo test --release -p aispace-passwords -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use aispace_domain::ports::PasswordHasher;
use aispace_passwords::{Argon2Hasher, HashCost};

const HASHES: u32 = 10;

#[test]
#[ignore = "a measurement, not a check: run in release with --nocapture"]
fn time_per_hash_at_the_default_cost() {
    let hasher = Argon2Hasher::default();
    // One unmeasured hash: first use of the memory, CPU feature detection.
    let warm = hasher.hash("warm-up").unwrap();

    let mut times = Vec::new();
    for i in 0..HASHES {
        let password = format!("password number {i}");
        let started = Instant::now();
        let stored = hasher.hash(&password).unwrap();
        times.push(started.elapsed());
        assert!(stored.starts_with("$argon2id$v=19$"));
    }
    let started = Instant::now();
    assert!(hasher.verify("warm-up", &warm));
    let verify = started.elapsed();

    let total: Duration = times.iter().sum();
    let mean = total / HASHES;
    let min = times.iter().min().copied().unwrap_or_default();
    let max = times.iter().max().copied().unwrap_or_default();
    let HashCost {
        memory_kib,
        iterations,
        parallelism,
    } = hasher.cost();
    println!(
        "argon2id m={memory_kib} KiB ({} MiB), t={iterations}, p={parallelism}: \
         {HASHES} hashes, mean {:.1} ms, min {:.1} ms, max {:.1} ms; one verify {:.1} ms",
        memory_kib / 1024,
        ms(mean),
        ms(min),
        ms(max),
        ms(verify),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
