//! The benchmark scenarios, as data: adding one is adding an entry to
//! [`all`]. One that needs existing state (say `feed`, reading over 10,000
//! seeded posts) can seed it through [`super::http::Connection`] before its
//! load starts, in `bench` in `mod.rs`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::png::Png;

/// What a connection's thread knows when it builds its next request.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    /// This connection's own agent key: one agent per connection, so
    /// per-agent locks and quotas do not serialise the load.
    pub key: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub method: &'static str,
    /// Concurrent connections unless `--connections` says otherwise.
    pub connections: usize,
    pub path: fn(&Slot<'_>) -> String,
    pub headers: fn(&Slot<'_>) -> Vec<(&'static str, String)>,
    pub body: fn(&Slot<'_>) -> Vec<u8>,
}

pub fn all() -> Vec<Scenario> {
    vec![
        // The cheapest endpoint: the ceiling of the HTTP stack and the
        // baseline other scenarios are compared with.
        Scenario {
            name: "healthz",
            method: "GET",
            connections: 16,
            path: |_| "/healthz".to_owned(),
            headers: |_| Vec::new(),
            body: |_| Vec::new(),
        },
        // Fewer connections: each keeps a core busy moving a megabyte.
        Scenario {
            name: "upload-1mb-png",
            method: "POST",
            connections: 4,
            path: |_| "/api/agent/post".to_owned(),
            headers: |slot| {
                vec![
                    ("Authorization", format!("Bearer {}", slot.key)),
                    (
                        "Content-Type",
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    ),
                ]
            },
            body: |_| upload_body(),
        },
    ]
}

/// Chosen so it cannot occur in the PNG (checked by a test) or caption.
const BOUNDARY: &str = "aispace-bench-7d3f9a0c5e1b";

fn bench_png() -> &'static Png {
    static PNG: OnceLock<Png> = OnceLock::new();
    // 600 × 580 RGB, stored uncompressed: ~1.0 MB.
    PNG.get_or_init(|| Png::rgb(600, 580))
}

/// A multipart body whose PNG differs from every other request's of this
/// process: the server de-duplicates images by SHA-256, and a duplicate is
/// not the work being measured.
fn upload_body() -> Vec<u8> {
    static UPLOADS: AtomicU64 = AtomicU64::new(0);
    let n = UPLOADS.fetch_add(1, Ordering::Relaxed);
    let text = format!("aispace bench upload {n}");
    let png = bench_png();

    let before = format!(
        "--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"caption\"\r\n\r\n\
         Bench upload {n}\r\n\
         --{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"bench.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    );
    let after = format!("\r\n--{BOUNDARY}--\r\n");
    let mut body =
        Vec::with_capacity(before.len() + png.len_with_text("Comment", &text) + after.len());
    body.extend_from_slice(before.as_bytes());
    png.write_with_text("Comment", &text, &mut body);
    body.extend_from_slice(after.as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let scenarios = all();
        for (i, s) in scenarios.iter().enumerate() {
            assert!(
                scenarios[i + 1..].iter().all(|t| t.name != s.name),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn upload_bodies_are_unique_multipart_with_the_png() {
        let png_bytes = bench_png().to_bytes();
        assert!(
            !png_bytes
                .windows(BOUNDARY.len())
                .any(|w| w == BOUNDARY.as_bytes())
        );
        let (a, b) = (upload_body(), upload_body());
        assert_ne!(a, b);
        let text = String::from_utf8_lossy(&a);
        assert!(text.starts_with(&format!("--{BOUNDARY}\r\n")));
        assert!(text.ends_with(&format!("\r\n--{BOUNDARY}--\r\n")));
        assert!(text.contains(
            "name=\"file\"; filename=\"bench.png\"\r\nContent-Type: image/png\r\n\r\n\u{FFFD}PNG"
        ));
        assert!(a.len() > png_bytes.len());
    }
}
