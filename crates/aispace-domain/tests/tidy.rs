//! The domain stays pure: it may depend only on small, IO-free crates.
//! Adding a dependency here is a design decision, so it means editing this
//! list, in review, with a reason.

const ALLOWED: &[(&str, &str)] = &[
    ("base64", "encoding key secrets"),
    ("hmac", "signing webhook deliveries (Standard Webhooks)"),
    (
        "serde_json",
        "event payloads: fixed JSON written once to the outbox",
    ),
    ("infer", "magic-byte sniffing of image bytes (pure, no IO)"),
    ("sha2", "hashing key secrets and image content"),
    ("subtle", "constant-time comparison"),
    ("thiserror", "error enums"),
    ("time", "RFC 3339 formatting and parsing"),
    (
        "unicode-normalization",
        "tags in any script: one NFC spelling for each (pure tables, no IO)",
    ),
];

#[test]
fn the_domain_depends_on_no_io_crate() {
    let manifest = include_str!("../Cargo.toml");
    let mut section = "";
    let mut deps = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let is_dep_section = section == "[dependencies]" || section.starts_with("[target.");
        if is_dep_section && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.']).next().unwrap_or("").trim();
            deps.push(name.to_owned());
        }
    }
    assert!(!deps.is_empty(), "could not read the manifest");
    for dep in &deps {
        assert!(
            ALLOWED.iter().any(|(allowed, _)| allowed == dep),
            "aispace-domain must not depend on `{dep}`: the domain holds no IO \
             (see ARCHITECTURE.md); put it in an adapter crate behind a port"
        );
    }
}

#[test]
fn the_architecture_guide_lists_the_same_dependencies() {
    let guide = include_str!("../../../ARCHITECTURE.md");
    let start = guide
        .find("**Invariant:** depends only on")
        .expect("ARCHITECTURE.md states the domain's dependencies");
    let paragraph = &guide[start..];
    let paragraph = &paragraph[..paragraph.find("\n**").unwrap_or(paragraph.len())];
    let listed: Vec<&str> = paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.contains('/'))
        .collect();
    let mut allowed: Vec<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    let mut listed_sorted = listed.clone();
    allowed.sort_unstable();
    listed_sorted.sort_unstable();
    assert_eq!(
        listed_sorted, allowed,
        "ARCHITECTURE.md's list of the domain's dependencies has drifted from ALLOWED"
    );
}
