//! One deadline for the whole generation, and no more read than an image
//! of `max_bytes` needs.

use std::time::{Duration, Instant};

use aispace_domain::ports::GenerationError;
use aispace_imagegen::{GeneratorConfig, OpenAiImageGenerator};

use crate::support::{PNG, Provider, Reply, allow, b64_answer, generate, generator, url_answer};

fn with_timeout(timeout: Duration) -> OpenAiImageGenerator {
    OpenAiImageGenerator::new(GeneratorConfig {
        timeout,
        ..allow("127.0.0.1/32")
    })
}

#[test]
fn a_slow_provider_times_out_promptly() {
    let server = Provider::always("127.0.0.1", || {
        Reply::After(Duration::from_secs(3), Box::new(b64_answer(PNG)))
    });

    let started = Instant::now();
    let result = generate(
        &with_timeout(Duration::from_millis(300)),
        &server.base_url(),
        1024,
    );
    let elapsed = started.elapsed();

    assert_eq!(
        result,
        Err(GenerationError::TimedOut(Duration::from_millis(300)))
    );
    assert!(
        elapsed >= Duration::from_millis(250),
        "gave up early: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[test]
fn fetching_a_url_answer_gets_only_the_time_left() {
    // The provider spends 300 ms of the 600; the image never comes. With a
    // fresh timeout for the fetch the call would last 900 ms or more.
    let server = Provider::start("127.0.0.1", |request| match request.path.as_str() {
        "/v1/images/generations" => Reply::After(
            Duration::from_millis(300),
            Box::new(url_answer(&format!(
                "http://{}/slow.png",
                request.header("host")[0]
            ))),
        ),
        _ => Reply::After(Duration::from_secs(3), Box::new(Reply::Body(PNG.to_vec()))),
    });

    let started = Instant::now();
    let result = generate(
        &with_timeout(Duration::from_millis(600)),
        &server.base_url(),
        1024,
    );
    let elapsed = started.elapsed();

    assert_eq!(
        result,
        Err(GenerationError::TimedOut(Duration::from_millis(600)))
    );
    assert_eq!(server.received().len(), 2, "the image was asked for");
    assert!(
        elapsed >= Duration::from_millis(550),
        "gave up early: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(850), "took {elapsed:?}");
}

#[test]
fn a_b64_image_over_max_bytes_is_too_large_and_one_at_it_is_not() {
    let server = Provider::always("127.0.0.1", || b64_answer(&[7; 1001]));

    assert_eq!(
        generate(&generator(), &server.base_url(), 1000),
        Err(GenerationError::TooLarge(1000))
    );
    assert_eq!(
        generate(&generator(), &server.base_url(), 1001),
        Ok(vec![7; 1001])
    );
}

#[test]
fn a_url_image_over_max_bytes_is_too_large() {
    let server = Provider::start("127.0.0.1", |request| match request.path.as_str() {
        "/v1/images/generations" => {
            url_answer(&format!("http://{}/big.png", request.header("host")[0]))
        }
        _ => Reply::Body(vec![7; 1001]),
    });

    assert_eq!(
        generate(&generator(), &server.base_url(), 1000),
        Err(GenerationError::TooLarge(1000))
    );
}

#[test]
fn a_huge_streamed_answer_is_cut_not_buffered() {
    let total = 50 * 1024 * 1024;
    let server = Provider::always("127.0.0.1", move || Reply::Streamed { total });

    let started = Instant::now();
    // At most 4/3 MiB + 64 KiB of answer is read for a 1 MiB image.
    assert_eq!(
        generate(&generator(), &server.base_url(), 1024 * 1024),
        Err(GenerationError::TooLarge(1024 * 1024))
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    // The server stops once we hang up; what it got out is what we read
    // plus what the loopback socket buffers hold.
    std::thread::sleep(Duration::from_millis(200));
    let written = server.written();
    assert!(written < 20 * 1024 * 1024, "{written} bytes were taken");
}

#[test]
fn a_declared_huge_answer_is_refused_before_reading() {
    let server = Provider::always("127.0.0.1", || Reply::Declared {
        length: 50 * 1024 * 1024,
    });

    let started = Instant::now();
    assert_eq!(
        generate(&generator(), &server.base_url(), 1024 * 1024),
        Err(GenerationError::TooLarge(1024 * 1024))
    );
    // The body never comes; waiting for it would take the full timeout.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}
