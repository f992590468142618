//! The shell blocks of README.md and docs/*.md marked to run, run as a
//! reader runs them: `aispace` on the `PATH`, a fresh directory, the
//! server block in one terminal and the others, in order, in another.
//!
//! A block's fence says what it is: ```` ```sh server ```` starts the
//! server, ```` ```sh runnable ```` runs on every pass and
//! ```` ```sh runnable once ```` on the first pass only (it creates
//! something that exists afterwards, such as a self-registered agent).
//! The whole set runs twice in the same directory, so a quick start that
//! fails when repeated fails here. The docs' address, `127.0.0.1:8080`,
//! is replaced by the test server's.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::process::BIN;

const DOCS_ADDRESS: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Server,
    Runnable,
    RunnableOnce,
}

#[derive(Debug, Clone)]
struct Block {
    /// `README.md:75`, to find it when it fails.
    place: String,
    kind: Kind,
    text: String,
}

/// The marked shell blocks of one Markdown text, in order.
fn marked_blocks(name: &str, markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let words: Vec<&str> = info.split_whitespace().collect();
        let kind = match words.as_slice() {
            ["sh", "server"] => Some(Kind::Server),
            ["sh", "runnable"] => Some(Kind::Runnable),
            ["sh", "runnable", "once"] => Some(Kind::RunnableOnce),
            _ => None,
        };
        let mut text = String::new();
        for (_, body) in lines.by_ref() {
            if body.trim_start().starts_with("```") {
                break;
            }
            text.push_str(body);
            text.push('\n');
        }
        if let Some(kind) = kind {
            blocks.push(Block {
                place: format!("{name}:{}", number + 1),
                kind,
                text,
            });
        }
    }
    blocks
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn documented_blocks() -> Vec<Block> {
    let root = repository();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .iter()
        .flat_map(|path| {
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            marked_blocks(&name, &std::fs::read_to_string(path).unwrap())
        })
        .collect()
}

/// A shell in `dir` as a reader's would be: `aispace` found on the `PATH`,
/// no settings of the test run's own.
fn shell(dir: &Path, script: &str) -> Command {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("RUST_LOG", "warn");
    for name in [
        "AISPACE_DATA_DIR",
        "DATABASE_URL",
        "AISPACE_BLOB_URL",
        "AISPACE_PUBLIC_URL",
        "AISPACE_SECRET_KEY",
        "AISPACE_AGENT_KEY",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

/// Starts the server block; returns it and the address it listens on.
fn start_server(dir: &Path, block: &Block) -> (Child, String) {
    let mut child = shell(dir, &format!("exec {}", block.text.trim()))
        .env("AISPACE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{}: the server did not start", block.place));
    (child, addr)
}

/// One pass: the blocks in one shell, as typed one after the other into
/// a terminal, stopping at the first command that fails.
fn run_pass(dir: &Path, blocks: &[&Block], addr: &str, pass: usize) {
    let mut script = String::from("set -euo pipefail\n");
    for block in blocks {
        script.push_str(&format!("echo '>>> {}' >&2\n", block.place));
        script.push_str(&block.text.replace(DOCS_ADDRESS, addr));
    }
    let out = shell(dir, &script).output().unwrap();
    assert!(
        out.status.success(),
        "pass {pass} failed ({}); the last block started is the last `>>>` line:\n\
         --- stderr\n{}\n--- stdout\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn blocks_are_read_with_their_marks_and_others_are_left_out() {
    let markdown = "intro\n```sh server\naispace serve\n```\n```sh\nnot marked\n```\n\
                    ```sh runnable\na\nb\n```\n```sh runnable once\nc\n```\n```json\n{}\n```\n";
    let blocks = marked_blocks("X.md", markdown);
    let summary: Vec<(&str, Kind, &str)> = blocks
        .iter()
        .map(|b| (b.place.as_str(), b.kind.clone(), b.text.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("X.md:2", Kind::Server, "aispace serve\n"),
            ("X.md:8", Kind::Runnable, "a\nb\n"),
            ("X.md:12", Kind::RunnableOnce, "c\n"),
        ]
    );
}

#[test]
fn the_runnable_blocks_of_the_docs_run_as_written_twice_in_one_directory() {
    let blocks = documented_blocks();
    let servers: Vec<&Block> = blocks.iter().filter(|b| b.kind == Kind::Server).collect();
    let [server] = servers.as_slice() else {
        panic!("want exactly one `sh server` block, found {servers:?}");
    };
    let runnable: Vec<&Block> = blocks.iter().filter(|b| b.kind != Kind::Server).collect();
    assert!(
        runnable.len() >= 5,
        "the quick start's blocks are no longer marked: {runnable:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start_server(dir.path(), server);
    let again: Vec<&Block> = runnable
        .iter()
        .copied()
        .filter(|b| b.kind == Kind::Runnable)
        .collect();
    let outcome = std::panic::catch_unwind(|| {
        run_pass(dir.path(), &runnable, &addr, 1);
        run_pass(dir.path(), &again, &addr, 2);
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    // The docs' data directory, in the directory they were run in.
    assert!(dir.path().join("aispace-data/aispace.db").is_file());
}
