//! Hostile uploads against a real `serve`, measured from outside: a
//! hundred connections sending megabyte bodies with wrong keys, a hundred
//! sending 4.5 MiB of a body with a right one and then a few bytes a second,
//! then more full-size images at once than the server takes. Wrong keys are answered
//! before their bodies are read, slow bodies are cut at the body deadline,
//! image posts beyond the upload slots are turned away with 503 before
//! their bodies are read, the server's memory stays within its stated
//! budget, and reads are answered promptly throughout. All traffic goes to
//! 127.0.0.1; every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aispace_testkit::http;
use aispace_testkit::images;

use crate::process::{Server, aispace_json, upload_body};

const CONNECTIONS: usize = 100;
/// `AISPACE_MAX_UPLOADS`' default, which the server runs with here.
const UPLOAD_SLOTS: usize = 16;
/// Short, so the test is; the default is 30 s.
const BODY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an image post waits for a slot before its 503.
const SLOT_QUEUE: Duration = Duration::from_secs(1);
const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// What one image post may cost: its body and the blob store's copy while
/// it is written (twice the image limit), and as much again for the freed
/// blocks glibc's allocator keeps for reuse (measured: up to half as much).
const PER_UPLOAD: u64 = 4 * MAX_IMAGE_BYTES;
/// What actix may buffer for any open connection before a handler reads:
/// its read buffer (128 KiB) and a body's unread chunks (32 KiB).
const PER_CONNECTION: u64 = 160 * 1024;
const MIB: f64 = 1024.0 * 1024.0;
/// Twice the slots: half of them wait for one.
const FULL_SIZE_UPLOADS: usize = 2 * UPLOAD_SLOTS;

/// The server's `field` (`VmRSS`, `VmHWM`) from `/proc`, in bytes.
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .unwrap();
    kib * 1024
}

/// Starts a new peak: `VmHWM` falls back to the current RSS.
fn reset_peak(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
}

/// An answer read off a raw connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
    /// The server closed the connection after it.
    closed: bool,
}

impl Answer {
    fn parse(raw: &[u8], closed: bool) -> Option<Answer> {
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some(Answer {
            status,
            head: head.to_ascii_lowercase(),
            body: String::from_utf8_lossy(&raw[split + 4..]).into_owned(),
            closed,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            (n.trim() == name).then(|| v.trim())
        })
    }

    /// The AIspace envelope's code.
    fn code(&self) -> String {
        let body: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: not the envelope: {self:?}"));
        assert_eq!(body["ok"], false, "{self:?}");
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// What became of one upload.
#[derive(Debug)]
struct Outcome {
    answer: Option<Answer>,
    /// From the request's head to the answer's first byte.
    after: Duration,
}

/// The head of a multipart upload to `/api/agent/post` declaring
/// `length` body bytes.
fn upload_head(key: &str, content_type: &str, length: usize, extra: &str) -> Vec<u8> {
    format!(
        "POST /api/agent/post HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\n{extra}\r\n"
    )
    .into_bytes()
}

/// How one hostile upload is sent: its head and the first `first` bytes
/// of its body at once, then `step` bytes every `every` (none when 0)
/// until the server answers. The answer is awaited for at most `give_up`.
#[derive(Debug, Clone, Copy)]
struct Pace {
    first: usize,
    step: usize,
    every: Duration,
    give_up: Duration,
}

fn send(addr: SocketAddr, head: Vec<u8>, body: Arc<Vec<u8>>, pace: Pace) -> Outcome {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let started = Instant::now();
    let answered = Arc::new(AtomicBool::new(false));
    // Written from a thread of its own, so the answer is read while a
    // write waits on a server that does not read.
    let writer = {
        let (mut stream, answered) = (stream.try_clone().unwrap(), answered.clone());
        std::thread::spawn(move || {
            if stream.write_all(&head).is_err() {
                return;
            }
            for piece in body[..pace.first].chunks(64 * 1024) {
                if answered.load(Ordering::SeqCst) || stream.write_all(piece).is_err() {
                    return;
                }
            }
            let mut at = pace.first;
            while pace.step > 0 && at < body.len() {
                std::thread::sleep(pace.every);
                if answered.load(Ordering::SeqCst) {
                    return;
                }
                let end = (at + pace.step).min(body.len());
                if stream.write_all(&body[at..end]).is_err() {
                    return;
                }
                at = end;
            }
        })
    };
    let (mut raw, mut after) = (Vec::new(), None);
    let mut buf = [0u8; 16 * 1024];
    let closed = loop {
        if started.elapsed() > pace.give_up {
            break false;
        }
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => {
                if after.is_none() {
                    answered.store(true, Ordering::SeqCst);
                    after = Some(started.elapsed());
                }
                raw.extend_from_slice(&buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            // A reset after the answer is a close too.
            Err(_) => break true,
        }
    };
    answered.store(true, Ordering::SeqCst);
    let _ = stream.shutdown(Shutdown::Both);
    writer.join().unwrap();
    Outcome {
        answer: Answer::parse(&raw, closed),
        after: after.unwrap_or(pace.give_up),
    }
}

/// `GET /api/agent/feed` every 200 ms until `stop`: each answer's status
/// and how long it took.
fn keep_reading(
    addr: SocketAddr,
    key: String,
    stop: Arc<AtomicBool>,
) -> JoinHandle<Vec<(u16, Duration)>> {
    std::thread::spawn(move || {
        let auth = format!("Bearer {key}");
        let mut seen = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            let resp = http::request(
                addr,
                "GET",
                "/api/agent/feed?sort=latest",
                &[("Authorization", &auth)],
                b"",
            )
            .unwrap();
            seen.push((resp.status, started.elapsed()));
            std::thread::sleep(Duration::from_millis(200));
        }
        seen
    })
}

/// The server's RSS every 20 ms until `stop`: the largest seen.
fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::SeqCst) {
            peak = peak.max(memory(pid, "VmRSS"));
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    })
}

fn agent(dir: &Path, handle: &str) -> String {
    let created = aispace_json(
        dir,
        None,
        &[
            "agent", "create", "--handle", handle, "--name", handle, "--json",
        ],
    );
    created["key"].as_str().unwrap().to_owned()
}

#[test]
fn hostile_uploads_are_refused_cut_or_turned_away_within_the_memory_budget() {
    let data = tempfile::tempdir().unwrap();
    let dripper = agent(data.path(), "dripper");
    let painter = agent(data.path(), "painter");
    let reader = agent(data.path(), "reader");
    let timeout = format!("{}s", BODY_TIMEOUT.as_secs());
    let server = Server::start_with(
        data.path(),
        None,
        &[
            ("AISPACE_BODY_TIMEOUT", timeout.as_str()),
            // The wrong keys come "from" other addresses through a proxy,
            // so their failures do not get this one refused.
            ("AISPACE_TRUSTED_PROXIES", "127.0.0.1"),
            ("AISPACE_QUOTA_POSTS_PER_DAY", "1000"),
            ("AISPACE_FEED_CACHE", "0s"),
        ],
    );
    let (addr, pid) = (server.addr, server.pid());

    // The baseline: warmed up by an upload and a read.
    let warm = server.upload(&painter, &images::png(64, 64, 1), &[], &[]);
    assert_eq!(warm.status, 200, "{}", warm.text());
    assert_eq!(server.get("/api/agent/feed", &reader).status, 200);
    let baseline = memory(pid, "VmRSS");
    let budget = |connections: usize| {
        baseline + UPLOAD_SLOTS as u64 * PER_UPLOAD + connections as u64 * PER_CONNECTION
    };

    // A body of nearly the largest image, sent by nobody in full.
    let (content_type, body) = upload_body(&images::png(1300, 1300, 2), &[]);
    assert!(body.len() > 4 * 1024 * 1024 && body.len() < MAX_IMAGE_BYTES as usize);

    // Wrong keys; and right keys that send 4.5 MiB, then drip.
    reset_peak(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let rss = sample_rss(pid, stop.clone());
    let reads = keep_reading(addr, reader.clone(), stop.clone());
    let started = Instant::now();
    let body = Arc::new(body);
    let wrong: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let (body, content_type) = (body.clone(), content_type.clone());
            std::thread::spawn(move || {
                let key = format!("wrongkey{i:03}.{}", "A".repeat(43));
                let from = format!("X-Forwarded-For: 203.0.113.{}\r\n", i + 1);
                let head = upload_head(&key, &content_type, body.len(), &from);
                let pace = Pace {
                    first: 64 * 1024,
                    step: 0,
                    every: Duration::ZERO,
                    give_up: Duration::from_secs(20),
                };
                send(addr, head, body, pace)
            })
        })
        .collect();
    let dripping: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (body, content_type, key) = (body.clone(), content_type.clone(), dripper.clone());
            std::thread::spawn(move || {
                let head = upload_head(&key, &content_type, body.len(), "");
                let pace = Pace {
                    first: 9 * 512 * 1024,
                    step: 4,
                    every: Duration::from_secs(1),
                    give_up: Duration::from_secs(20),
                };
                send(addr, head, body, pace)
            })
        })
        .collect();
    let wrong: Vec<Outcome> = wrong.into_iter().map(|t| t.join().unwrap()).collect();
    let dripping: Vec<Outcome> = dripping.into_iter().map(|t| t.join().unwrap()).collect();
    let attack_took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let sampled = rss.join().unwrap();
    let reads = reads.join().unwrap();
    let attack_peak = memory(pid, "VmHWM").max(sampled);

    for outcome in &wrong {
        let answer = outcome
            .answer
            .as_ref()
            .unwrap_or_else(|| panic!("{outcome:?}"));
        assert_eq!(
            (answer.status, answer.code()),
            (401, "INVALID_AGENT_KEY".into())
        );
        // Answered without the rest of the body, long before a body
        // that was waited for would have been cut; and not waited for
        // after.
        assert!(outcome.after < BODY_TIMEOUT / 2, "{outcome:?}");
        assert!(answer.closed, "{outcome:?}");
    }
    let (mut cut, mut turned_away) = (0, 0);
    for outcome in &dripping {
        let answer = outcome
            .answer
            .as_ref()
            .unwrap_or_else(|| panic!("{outcome:?}"));
        assert!(answer.closed, "{outcome:?}");
        match answer.status {
            408 => {
                assert_eq!(answer.code(), "REQUEST_TIMEOUT");
                assert!(
                    outcome.after >= BODY_TIMEOUT && outcome.after < BODY_TIMEOUT * 2,
                    "{outcome:?}"
                );
                cut += 1;
            }
            503 => {
                assert_eq!(answer.code(), "SERVICE_UNAVAILABLE");
                assert_eq!(answer.header("retry-after"), Some("1"));
                assert!(outcome.after < SLOT_QUEUE * 3, "{outcome:?}");
                turned_away += 1;
            }
            other => panic!("{other}: {outcome:?}"),
        }
    }
    assert_eq!(
        (cut, turned_away),
        (UPLOAD_SLOTS, CONNECTIONS - UPLOAD_SLOTS)
    );
    assert!(reads.len() >= 5, "{reads:?}");
    let slowest = reads.iter().map(|(_, took)| *took).max().unwrap();
    assert!(reads.iter().all(|(status, _)| *status == 200), "{reads:?}");
    assert!(slowest < Duration::from_secs(2), "{reads:?}");

    // Full-size images at full speed, more at once than there are slots.
    reset_peak(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let rss = sample_rss(pid, stop.clone());
    let images: Vec<Vec<u8>> = std::thread::scope(|s| {
        let halves = [0u8, 1].map(|half| {
            s.spawn(move || {
                (0..FULL_SIZE_UPLOADS as u8 / 2)
                    .map(|i| images::png(1300, 1300, 10 + 2 * i + half))
                    .collect::<Vec<_>>()
            })
        });
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let uploads: Vec<_> = images
        .into_iter()
        .map(|png| {
            let key = painter.clone();
            std::thread::spawn(move || {
                let (content_type, body) = upload_body(&png, &[]);
                let head = upload_head(&key, &content_type, body.len(), "");
                let pace = Pace {
                    first: body.len(),
                    step: 0,
                    every: Duration::ZERO,
                    give_up: Duration::from_secs(60),
                };
                send(addr, head, Arc::new(body), pace)
            })
        })
        .collect();
    let uploads: Vec<Outcome> = uploads.into_iter().map(|t| t.join().unwrap()).collect();
    stop.store(true, Ordering::SeqCst);
    let upload_peak = memory(pid, "VmHWM").max(rss.join().unwrap());
    let mut stored = 0;
    for outcome in &uploads {
        let answer = outcome
            .answer
            .as_ref()
            .unwrap_or_else(|| panic!("{outcome:?}"));
        match answer.status {
            200 => stored += 1,
            503 => assert_eq!(answer.header("retry-after"), Some("1"), "{outcome:?}"),
            other => panic!("{other}: {outcome:?}"),
        }
    }
    assert!(stored >= UPLOAD_SLOTS, "{uploads:?}");

    eprintln!(
        "upload pressure: baseline {:.1} MiB; peak under {CONNECTIONS} wrong-key uploads and \
         {CONNECTIONS} slow drips {:.1} MiB ({:.1} s, slowest feed read {} ms); peak under {} \
         full-size uploads at once {:.1} MiB ({stored} stored); budgets {:.1} and {:.1} MiB \
         (baseline + {UPLOAD_SLOTS} slots x {:.0} MiB + 160 KiB a connection)",
        baseline as f64 / MIB,
        attack_peak as f64 / MIB,
        attack_took.as_secs_f64(),
        slowest.as_millis(),
        uploads.len(),
        upload_peak as f64 / MIB,
        budget(2 * CONNECTIONS) as f64 / MIB,
        budget(FULL_SIZE_UPLOADS) as f64 / MIB,
        PER_UPLOAD as f64 / MIB,
    );
    assert!(attack_peak < budget(2 * CONNECTIONS), "{attack_peak}");
    assert!(upload_peak < budget(FULL_SIZE_UPLOADS), "{upload_peak}");
    // Still serving.
    assert_eq!(server.get("/api/agent/feed", &reader).status, 200);
}

/// Every surface's JSON bodies are read under the same deadline, and the
/// timeout is answered in the surface's own envelope. A body left unread,
/// chunked or not, closes its connection at once: it is never read to its
/// end at the client's pace.
#[test]
fn a_slow_body_on_any_surface_is_cut_with_408_in_its_envelope() {
    let data = tempfile::tempdir().unwrap();
    let key = agent(data.path(), "slowpoke");
    let timeout = format!("{}s", BODY_TIMEOUT.as_secs());
    let server = Server::start_with(
        data.path(),
        None,
        &[("AISPACE_BODY_TIMEOUT", timeout.as_str())],
    );
    let addr = server.addr;
    let json = br#"{"postId":"p1","medal":"gold","vote":1,"concept":"a cat"}"#.to_vec();
    let one_byte_chunks = b"1\r\nx\r\n".repeat(100);
    let wrong_key = format!("wrongkey001.{}", "A".repeat(43));
    // Path, key, framing, body, bytes a second.
    let cases = [
        ("/api/agent/vote", &key, "Content-Length", &json, 1),
        ("/api/v1/memes", &key, "Content-Length", &json, 1),
        ("/api/discuss/vote", &key, "Content-Length", &json, 1),
        ("/api/agent/vote", &key, "chunked", &one_byte_chunks, 6),
        (
            "/api/agent/post",
            &wrong_key,
            "chunked",
            &one_byte_chunks,
            6,
        ),
    ];
    let slow: Vec<_> = cases
        .into_iter()
        .map(|(path, key, framing, body, step)| {
            let (key, body) = (key.clone(), Arc::new(body.clone()));
            std::thread::spawn(move || {
                let length = match framing {
                    "chunked" => "Transfer-Encoding: chunked".to_owned(),
                    _ => format!("Content-Length: {}", body.len()),
                };
                let content_type = match path {
                    "/api/agent/post" => "multipart/form-data; boundary=b",
                    _ => "application/json",
                };
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
                     Content-Type: {content_type}\r\n{length}\r\n\r\n"
                );
                // Long enough for the deadline and actix's one second of
                // lingering, not for a body read to its end.
                let pace = Pace {
                    first: 0,
                    step,
                    every: Duration::from_secs(1),
                    give_up: BODY_TIMEOUT + Duration::from_secs(4),
                };
                (path, framing, send(addr, head.into_bytes(), body, pace))
            })
        })
        .collect();
    for thread in slow {
        let (path, framing, outcome) = thread.join().unwrap();
        let answer = outcome
            .answer
            .as_ref()
            .unwrap_or_else(|| panic!("{path} {framing}: {outcome:?}"));
        assert!(answer.closed, "{path} {framing}: {outcome:?}");
        assert!(
            answer.header("x-request-id").is_some(),
            "{path} {framing}: {outcome:?}"
        );
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        if path == "/api/agent/post" {
            // Refused before its body: nothing to wait for.
            assert_eq!(answer.code(), "INVALID_AGENT_KEY", "{outcome:?}");
            assert!(outcome.after < BODY_TIMEOUT / 2, "{outcome:?}");
            continue;
        }
        assert_eq!(answer.status, 408, "{path} {framing}: {outcome:?}");
        assert!(
            outcome.after >= BODY_TIMEOUT && outcome.after < BODY_TIMEOUT * 2,
            "{path} {framing}: {outcome:?}"
        );
        let code = match path {
            "/api/v1/memes" => &body["error"]["code"],
            "/api/discuss/vote" => {
                assert_eq!(body["success"], false, "{body}");
                &body["code"]
            }
            _ => {
                assert_eq!(body["ok"], false, "{body}");
                &body["error"]["code"]
            }
        };
        assert_eq!(code, "REQUEST_TIMEOUT", "{path}: {body}");
    }
    // A body that arrives in time is read as ever.
    let on_time = server.post_json(
        "/api/agent/vote",
        &key,
        &serde_json::json!({"postId": "nope", "medalType": "gold"}),
    );
    assert_eq!(on_time.status, 404, "{}", on_time.text());
}
