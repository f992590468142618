//! The server secret that claim URLs are derived from: `AISPACE_SECRET_KEY`,
//! or else `<data dir>/secret.key`, made on first start and read on every
//! later one. The value is never logged nor repeated in an error.
//!
//! Every process of one installation must use the same secret: a claim
//! URL is said again in every "not claimed" answer, by whichever process
//! answers, and is only recognised under the secret it was made with.

use std::io::Write;
use std::path::{Path, PathBuf};

use aispace_domain::model::ServerSecret;
use aispace_domain::ports::Entropy;

use crate::cli::CliError;
use crate::config::SecretKey;

/// The shortest secret accepted, in characters.
pub const MIN_CHARS: usize = 32;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Random bytes in a generated key (written as hex).
const GENERATED_BYTES: usize = 32;

/// The configured secret, or the data directory's key file, created with
/// `entropy` when there is none. The secret is the text itself (the key
/// file's without surrounding whitespace), so the key file's content set
/// as `AISPACE_SECRET_KEY` elsewhere is the same secret.
pub fn server_secret(
    configured: Option<&SecretKey>,
    data_dir: &Path,
    entropy: &dyn Entropy,
) -> Result<ServerSecret, CliError> {
    let text = match configured {
        Some(SecretKey(text)) => {
            if text.chars().count() < MIN_CHARS {
                return Err(CliError::Config(format!(
                    "AISPACE_SECRET_KEY must be at least {MIN_CHARS} characters long \
                     (it has {}); e.g. `openssl rand -hex 32`, or unset it to use \
                     {} in the data directory",
                    text.chars().count(),
                    KEY_FILE
                )));
            }
            tracing::info!("the server secret is AISPACE_SECRET_KEY");
            text.clone()
        }
        None => key_file(&data_dir.join(KEY_FILE), entropy)?,
    };
    Ok(ServerSecret::new(text.into_bytes()))
}

/// Reads the key file at `path`, or creates it. Creation is atomic: the
/// key is written to a file of its own (created with `create_new`, mode
/// 0600) and hard-linked to `path`, which fails if `path` exists; so two
/// processes starting at once on one data directory both end up with the
/// key that was linked first, and nobody ever reads a half-written file.
fn key_file(path: &Path, entropy: &dyn Entropy) -> Result<String, CliError> {
    if let Some(text) = read_key_file(path)? {
        tracing::info!(path = %path.display(), "the server secret is in {}", path.display());
        return Ok(text);
    }
    let mut bytes = [0u8; GENERATED_BYTES];
    entropy.fill(&mut bytes);
    let key = aispace_domain::model::hex(&bytes);
    let draft = draft_path(path);
    // Only the link's `AlreadyExists` means another process made it first.
    let linked = match write_private(&draft, &key) {
        Ok(()) => std::fs::hard_link(&draft, path),
        Err(e) => Err(std::io::Error::other(e)),
    };
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a server secret in {}", path.display());
            Ok(key)
        }
        // Another process made it first: theirs is the secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path)?
            .ok_or_else(|| CliError::Config(format!("{} vanished while read", path.display()))),
        Err(e) => Err(CliError::Io(
            format!(
                "creating {} (or set AISPACE_SECRET_KEY instead)",
                path.display()
            ),
            e,
        )),
    }
}

/// The key file's secret, `None` when there is no key file.
fn read_key_file(path: &Path) -> Result<Option<String>, CliError> {
    let raw = match std::fs::read_to_string(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CliError::Io(format!("reading {}", path.display()), e)),
    };
    warn_if_readable_by_others(path);
    let text = raw.trim();
    if text.chars().count() < MIN_CHARS {
        return Err(CliError::Config(format!(
            "{} holds no usable secret (fewer than {MIN_CHARS} characters); restore it, or \
             delete it to have a new one made (the claim URLs of agents not yet claimed \
             then stop working)",
            path.display()
        )));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "{} is readable by others (mode {mode:o}); `chmod 600` it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// A name beside `path` that no other process picks.
fn draft_path(path: &Path) -> PathBuf {
    // The process id tells processes apart, the count the calls within one
    // (threads may read the same clock at once).
    static DRAFTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = DRAFTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{count}.new", std::process::id()));
    path.with_file_name(name)
}

/// Writes `text` and a newline to a new file only its owner may read,
/// flushed to disk.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use aispace_domain::model::Id;

    use super::*;

    // Different bytes on every call, so two generated keys differ.
    use aispace_testkit::fakes::SeededEntropy;

    fn token(secret: &ServerSecret) -> String {
        secret.claim_token(&Id::from_trusted("agent".into()))
    }

    #[test]
    fn the_key_file_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let entropy = SeededEntropy::new(1);
        let first = server_secret(None, dir.path(), &entropy).unwrap();
        let path = dir.path().join(KEY_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64, "{text}");
        assert!(text.trim().bytes().all(|b| b.is_ascii_hexdigit()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = server_secret(None, dir.path(), &entropy).unwrap();
        assert_eq!(token(&first), token(&again));
        // Only the key file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [KEY_FILE]);
        // Its content as AISPACE_SECRET_KEY is the same secret.
        let configured = SecretKey(text.trim().to_owned());
        let elsewhere = tempfile::tempdir().unwrap();
        let same = server_secret(Some(&configured), elsewhere.path(), &entropy).unwrap();
        assert_eq!(token(&first), token(&same));
        assert!(!elsewhere.path().join(KEY_FILE).exists());
    }

    #[test]
    fn processes_starting_at_once_end_up_with_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let entropy = std::sync::Arc::new(SeededEntropy::new(1));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (dir, entropy, barrier) =
                    (dir.path().to_owned(), entropy.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    token(&server_secret(None, &dir, entropy.as_ref()).unwrap())
                })
            })
            .collect();
        let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    }

    #[test]
    fn short_secrets_are_refused_without_being_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let entropy = SeededEntropy::new(1);
        let short = SecretKey("hunter2-hunter2-hunter2".into());
        let err = server_secret(Some(&short), dir.path(), &entropy)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("AISPACE_SECRET_KEY") && err.contains("32"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        assert!(!format!("{short:?}").contains("hunter2"));

        std::fs::write(dir.path().join(KEY_FILE), "abc\n").unwrap();
        let err = server_secret(None, dir.path(), &entropy)
            .unwrap_err()
            .to_string();
        assert!(err.contains(KEY_FILE) && err.contains("32"), "{err}");
    }
}
