//! Backups of the embedded installation (one SQLite file and the images it
//! names), taken while it serves, and restoring one into an empty place.
//!
//! A backup is a directory holding:
//! - `aispace.db`: a snapshot taken with `VACUUM INTO`, which reads the
//!   whole database in one read transaction: one instant of it, and in WAL
//!   mode a reader neither waits for the writer nor holds it up;
//! - `images/raw/<sha256>.<ext>`: every image the snapshot names, copied
//!   after the snapshot. An image is written before the row naming it
//!   commits and never changes (its name is its hash), so every image the
//!   snapshot names was already there;
//! - the small files kept beside the database (the server secret);
//! - last, `MANIFEST`: each file with its size and SHA-256, the schema
//!   and who made it. A directory without a complete `MANIFEST` is a backup
//!   that did not finish, and is never restored.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aispace_domain::model::{BlobKey, hex};
use aispace_domain::ports::{BlobError, BlobSink};
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use sha2::{Digest, Sha256};

use crate::SQLITE_MIGRATIONS;

/// The file that makes a backup complete; written last, by a rename.
pub const MANIFEST: &str = "MANIFEST";

/// The manifest's first line: its format and version.
const FORMAT: &str = "aispace-backup 1";

/// The snapshot's name in a backup.
const DATABASE: &str = "aispace.db";

/// Where a backup keeps images, each under its key.
const IMAGES: &str = "images";

/// Copies stream through a buffer this big: the database can be large.
const CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: not empty; a backup goes into a new or empty directory", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: already exists; a restore never overwrites anything", .0.display())]
    Exists(PathBuf),
    #[error("no SQLite database at {}", .0.display())]
    NoDatabase(PathBuf),
    #[error(
        "{}: no {MANIFEST}, so this backup did not finish (or is no aispace backup); \
         it cannot be restored",
        .0.display()
    )]
    Unfinished(PathBuf),
    #[error("{}: {reason}; the backup cannot be restored", path.display())]
    BadManifest { path: PathBuf, reason: String },
    #[error("{}: {what}; the backup is damaged", path.display())]
    Damaged { path: PathBuf, what: String },
    #[error(
        "the image store holds other bytes under {key} than its name says; move that file \
         away and back up again (the post will show no image)"
    )]
    DamagedImage { key: String },
    #[error(
        "the backup's database has migration {backup}, which this aispace does not know (it \
         knows up to {known}); restore it with the aispace that made it ({made_by}) or a newer one"
    )]
    UnknownSchema {
        backup: String,
        known: String,
        made_by: String,
    },
    #[error("{}: the integrity check failed: {report}", path.display())]
    Integrity { path: PathBuf, report: String },
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{what}")]
    Sqlite {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("image {key}")]
    Images {
        key: String,
        #[source]
        source: BlobError,
    },
}

/// An I/O failure saying what was being done.
fn io_error(what: String) -> impl FnOnce(io::Error) -> BackupError {
    move |source| BackupError::Io { what, source }
}

/// A SQLite failure saying what was being done.
fn sqlite_error<E: std::error::Error + Send + Sync + 'static>(
    what: String,
) -> impl FnOnce(E) -> BackupError {
    move |source| BackupError::Sqlite {
        what,
        source: Box::new(source),
    }
}

/// A file of a backup: its name there, size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What a backup holds; rendered as `MANIFEST`, one fact a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The program that made it (`aispace 1.2.0`).
    pub made_by: String,
    /// The last migration applied to the snapshot.
    pub schema: String,
    /// When the snapshot was taken, in seconds since the Unix epoch.
    pub taken_at: u64,
    pub database: Entry,
    /// Named by their keys (`raw/<sha256>.<ext>`).
    pub images: Vec<Entry>,
    /// Images the snapshot names that the image store no longer had when
    /// they were copied (deleted with their post in the meantime).
    pub missing: Vec<String>,
    /// The files kept beside the database, by file name.
    pub files: Vec<Entry>,
}

impl Manifest {
    /// Every image's bytes together.
    pub fn image_bytes(&self) -> u64 {
        self.images.iter().map(|e| e.bytes).sum()
    }

    fn render(&self) -> String {
        let mut text = format!(
            "{FORMAT}\nmade-by {}\nschema {}\ntaken-at {}\n",
            self.made_by, self.schema, self.taken_at
        );
        let line = |kind: &str, e: &Entry| format!("{kind} {} {} {}\n", e.sha256, e.bytes, e.name);
        text.push_str(&line("database", &self.database));
        for file in &self.files {
            text.push_str(&line("file", file));
        }
        for image in &self.images {
            text.push_str(&line("image", image));
        }
        for key in &self.missing {
            text.push_str(&format!("missing {key}\n"));
        }
        // Totals an operator can read at a glance; checked when parsed.
        text.push_str(&format!(
            "images {} {}\nend\n",
            self.images.len(),
            self.image_bytes()
        ));
        text
    }

    fn parse(text: &str) -> Result<Manifest, String> {
        let mut lines = text.lines();
        if lines.next() != Some(FORMAT) {
            return Err(format!("does not start with `{FORMAT}`"));
        }
        if !text.ends_with("\nend\n") {
            return Err("does not end with `end`: it was cut short".into());
        }
        let (mut made_by, mut schema, mut taken_at, mut database, mut totals) =
            (None, None, None, None, None);
        let (mut images, mut missing, mut files) = (Vec::new(), Vec::new(), Vec::new());
        for line in lines {
            let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
            match kind {
                "made-by" => made_by = Some(rest.to_owned()),
                "schema" if is_version(rest) => schema = Some(rest.to_owned()),
                "taken-at" => taken_at = Some(number(rest)?),
                "database" => database = Some(entry(rest).filter(|e| e.name == DATABASE)),
                "file" => files.push(entry(rest).filter(|e| is_plain_file_name(&e.name))),
                "image" => images.push(entry(rest).filter(is_image)),
                "missing" if BlobKey::parse(rest).is_some() => missing.push(rest.to_owned()),
                "images" => totals = Some(rest.to_owned()),
                "end" => {}
                _ => return Err(format!("cannot read the line `{line}`")),
            }
        }
        let bad = |what: &str| format!("a malformed `{what}` line");
        let database = database
            .ok_or("no `database` line")?
            .ok_or(bad("database"))?;
        let files = files
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or(bad("file"))?;
        let images = images
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or(bad("image"))?;
        let manifest = Manifest {
            made_by: made_by.ok_or("no `made-by` line")?,
            schema: schema.ok_or("no `schema` line")?,
            taken_at: taken_at.ok_or("no `taken-at` line")?,
            database,
            images,
            missing,
            files,
        };
        let expected = format!("{} {}", manifest.images.len(), manifest.image_bytes());
        if totals.as_deref() != Some(expected.as_str()) {
            return Err(format!(
                "its `images` line does not sum up its images ({expected})"
            ));
        }
        Ok(manifest)
    }

    fn entries(&self) -> impl Iterator<Item = (PathBuf, &Entry)> {
        let database = std::iter::once((PathBuf::from(DATABASE), &self.database));
        let files = self.files.iter().map(|e| (PathBuf::from(&e.name), e));
        let images = self
            .images
            .iter()
            .map(|e| (Path::new(IMAGES).join(&e.name), e));
        database.chain(files).chain(images)
    }
}

/// `<sha256> <bytes> <name>`, the name last so that nothing in it can be
/// mistaken for the other fields.
fn entry(rest: &str) -> Option<Entry> {
    let mut fields = rest.splitn(3, ' ');
    let sha256 = fields.next()?;
    let bytes = fields.next()?.parse().ok()?;
    let name = fields.next()?;
    let hex = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| Entry {
        name: name.to_owned(),
        bytes,
        sha256: sha256.to_owned(),
    })
}

fn number(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

fn is_version(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A name that, joined to the data directory, stays in it and is none of
/// the backup's own names.
fn is_plain_file_name(name: &str) -> bool {
    let plain = Path::new(name).file_name().is_some_and(|n| n == name);
    plain && ![MANIFEST, DATABASE, IMAGES, "..", "."].contains(&name)
}

/// An image is named by its key, and its key by its bytes' hash.
fn is_image(entry: &Entry) -> bool {
    BlobKey::parse(&entry.name).is_some_and(|key| key.content_hash() == entry.sha256)
}

/// What is backed up, and by whom.
pub struct BackupSource<'a> {
    /// The live SQLite file.
    pub database: &'a Path,
    /// Where the images the database names are read from.
    pub images: &'a dyn BlobSink,
    /// Small files kept beside the database (the server secret), copied
    /// when present, readable by their owner only.
    pub files: &'a [PathBuf],
    /// Recorded in the manifest (`aispace 1.2.0`).
    pub made_by: &'a str,
}

impl std::fmt::Debug for BackupSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupSource")
            .field("database", &self.database)
            .field("files", &self.files)
            .field("made_by", &self.made_by)
            .finish_non_exhaustive()
    }
}

/// A finished backup and how long its parts took.
#[derive(Debug)]
pub struct BackupReport {
    pub manifest: Manifest,
    /// Snapshot, integrity check and checksum of the database.
    pub database_took: Duration,
    pub images_took: Duration,
}

/// Backs `source` up into `dir`, which must be new or empty. The live
/// database is only read, in one read transaction.
pub fn back_up(source: &BackupSource<'_>, dir: &Path) -> Result<BackupReport, BackupError> {
    if !source.database.is_file() {
        return Err(BackupError::NoDatabase(source.database.to_owned()));
    }
    ensure_empty(dir)?;
    create_private_dir(dir)?;

    let started = Instant::now();
    let snapshot = dir.join(DATABASE);
    let taken_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    snapshot_into(source.database, &snapshot)?;
    let (schema, keys) = {
        let mut conn = open(&snapshot)?;
        // One self-contained file: reading it later makes no `-wal`
        // beside it. A server opening the restored file turns WAL on.
        conn.batch_execute("PRAGMA journal_mode = DELETE;")
            .map_err(sqlite_error(format!("{}: leaving WAL", snapshot.display())))?;
        check_integrity(&mut conn, &snapshot)?;
        (
            last_migration(&mut conn, &snapshot)?,
            image_keys(&mut conn)?,
        )
    };
    // VACUUM INTO does not sync what it wrote.
    sync_file(&snapshot)?;
    let database = entry_of(&snapshot, DATABASE)?;
    let database_took = started.elapsed();

    let started = Instant::now();
    let (mut images, mut missing) = (Vec::new(), Vec::new());
    for key in keys {
        let bytes = source.images.get(&key).map_err(|e| BackupError::Images {
            key: key.to_string(),
            source: e,
        })?;
        let Some(bytes) = bytes else {
            missing.push(key.to_string());
            continue;
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        if sha256 != key.content_hash() {
            return Err(BackupError::DamagedImage {
                key: key.to_string(),
            });
        }
        write_new(&dir.join(IMAGES).join(key.as_str()), &bytes, false)?;
        images.push(Entry {
            name: key.to_string(),
            bytes: bytes.len() as u64,
            sha256,
        });
    }
    if !images.is_empty() {
        sync_dir(&dir.join(IMAGES).join("raw"))?;
        sync_dir(&dir.join(IMAGES))?;
    }
    let images_took = started.elapsed();

    let mut files = Vec::new();
    for path in source.files {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(format!("reading {}", path.display()))(e)),
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| is_plain_file_name(n))
            .ok_or_else(|| BackupError::Io {
                what: format!("{}: not a name a backup can hold", path.display()),
                source: io::ErrorKind::InvalidInput.into(),
            })?;
        write_new(&dir.join(name), &bytes, true)?;
        files.push(Entry {
            name: name.to_owned(),
            bytes: bytes.len() as u64,
            sha256: hex(&Sha256::digest(&bytes)),
        });
    }

    let manifest = Manifest {
        made_by: source.made_by.to_owned(),
        schema,
        taken_at,
        database,
        images,
        missing,
        files,
    };
    // Written aside and renamed: a manifest is there whole or not at all,
    // and only after everything it lists is on disk.
    let draft = dir.join(format!("{MANIFEST}.draft"));
    write_new(&draft, manifest.render().as_bytes(), false)?;
    sync_dir(dir)?;
    let path = dir.join(MANIFEST);
    fs::rename(&draft, &path).map_err(io_error(format!("writing {}", path.display())))?;
    sync_dir(dir)?;
    Ok(BackupReport {
        manifest,
        database_took,
        images_took,
    })
}

/// `VACUUM INTO`: a fresh, compact copy of the database as of the start of
/// its read transaction, written by SQLite itself. (The online backup API
/// would restart its copy whenever another connection writes, so under a
/// steady stream of writes it might never finish a stepwise copy.)
fn snapshot_into(database: &Path, snapshot: &Path) -> Result<(), BackupError> {
    let target = snapshot.to_str().ok_or_else(|| BackupError::Io {
        what: format!("{}: not UTF-8", snapshot.display()),
        source: io::ErrorKind::InvalidInput.into(),
    })?;
    let mut conn = open(database)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(&mut conn)
        .map_err(sqlite_error(format!(
            "copying {} into {}",
            database.display(),
            snapshot.display()
        )))?;
    Ok(())
}

/// A connection for the backup's own reads. Never migrates: the live
/// server owns the schema. The busy timeout covers the moments another
/// process holds the WAL index exclusively (a checkpoint's restart).
fn open(path: &Path) -> Result<SqliteConnection, BackupError> {
    let what = || format!("opening {}", path.display());
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| sqlite_error(what())(e))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")
        .map_err(sqlite_error(what()))?;
    Ok(conn)
}

#[derive(QueryableByName)]
struct IntegrityLine {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct MediaKey {
    #[diesel(sql_type = Text)]
    media_key: String,
}

/// SQLite's `PRAGMA integrity_check` of the file at `path`: every page,
/// index entry and constraint.
pub fn integrity_check(path: &Path) -> Result<(), BackupError> {
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path.to_owned()));
    }
    check_integrity(&mut open(path)?, path)
}

fn check_integrity(conn: &mut SqliteConnection, path: &Path) -> Result<(), BackupError> {
    let lines = diesel::sql_query("PRAGMA integrity_check")
        .load::<IntegrityLine>(conn)
        .map_err(sqlite_error(format!("checking {}", path.display())))?;
    match lines.as_slice() {
        [only] if only.integrity_check == "ok" => Ok(()),
        _ => Err(BackupError::Integrity {
            path: path.to_owned(),
            report: lines
                .iter()
                .map(|l| l.integrity_check.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        }),
    }
}

fn last_migration(conn: &mut SqliteConnection, path: &Path) -> Result<String, BackupError> {
    let applied = conn
        .applied_migrations()
        .map_err(|source| BackupError::Sqlite {
            what: format!("reading the migrations of {}", path.display()),
            source,
        })?;
    applied
        .iter()
        .map(ToString::to_string)
        .max()
        .ok_or_else(|| BackupError::Integrity {
            path: path.to_owned(),
            report: "no migration was ever applied: this is no aispace database".into(),
        })
}

fn image_keys(conn: &mut SqliteConnection) -> Result<Vec<BlobKey>, BackupError> {
    let rows = diesel::sql_query(
        "SELECT DISTINCT media_key FROM posts WHERE media_key IS NOT NULL ORDER BY media_key",
    )
    .load::<MediaKey>(conn)
    .map_err(sqlite_error("reading the images the posts name".into()))?;
    Ok(rows
        .into_iter()
        .map(|row| BlobKey::from_trusted(row.media_key))
        .collect())
}

/// Every migration this build knows, oldest first.
fn known_migrations() -> Vec<String> {
    let mut names: Vec<String> = MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS)
        .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Refuses a directory that exists and holds anything.
pub fn ensure_empty(dir: &Path) -> Result<(), BackupError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(BackupError::NotEmpty(dir.to_owned())),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(format!("reading {}", dir.display()))(e)),
    }
}

/// Where a backup is restored to.
pub struct RestoreTarget<'a> {
    /// The SQLite file to create; it must not exist.
    pub database: &'a Path,
    /// Where the images go.
    pub images: &'a dyn BlobSink,
    /// Where the files kept beside the database go (the data directory).
    pub files_dir: &'a Path,
}

impl std::fmt::Debug for RestoreTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestoreTarget")
            .field("database", &self.database)
            .field("files_dir", &self.files_dir)
            .finish_non_exhaustive()
    }
}

/// A finished backup: a directory with a complete manifest.
#[derive(Debug)]
pub struct Backup {
    dir: PathBuf,
    manifest: Manifest,
}

impl Backup {
    /// Reads the manifest; a backup without a whole one is refused.
    pub fn open(dir: &Path) -> Result<Backup, BackupError> {
        let path = dir.join(MANIFEST);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BackupError::Unfinished(dir.to_owned()));
            }
            Err(e) => return Err(io_error(format!("reading {}", path.display()))(e)),
        };
        let manifest =
            Manifest::parse(&text).map_err(|reason| BackupError::BadManifest { path, reason })?;
        Ok(Backup {
            dir: dir.to_owned(),
            manifest,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Reads every file the manifest lists and compares its size and
    /// checksum; refuses a database from a newer aispace.
    pub fn verify(&self) -> Result<(), BackupError> {
        self.check_schema()?;
        for (name, expected) in self.manifest.entries() {
            let path = self.dir.join(name);
            let found = match entry_of(&path, &expected.name) {
                Ok(found) => found,
                Err(BackupError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                    return Err(BackupError::Damaged {
                        path,
                        what: "missing".into(),
                    });
                }
                Err(other) => return Err(other),
            };
            compare(&path, expected, &found)?;
        }
        Ok(())
    }

    fn check_schema(&self) -> Result<(), BackupError> {
        let known = known_migrations();
        if known.contains(&self.manifest.schema) {
            return Ok(());
        }
        Err(BackupError::UnknownSchema {
            backup: self.manifest.schema.clone(),
            known: known.last().cloned().unwrap_or_default(),
            made_by: self.manifest.made_by.clone(),
        })
    }

    /// Writes the images, then the files, then the database (last, by a
    /// rename, so a restore cut short has no database). Each file is
    /// checked against the manifest again as it is copied; nothing that
    /// exists is overwritten.
    pub fn restore(&self, to: &RestoreTarget<'_>) -> Result<(), BackupError> {
        self.check_schema()?;
        let mut taken = vec![to.database.to_owned()];
        for suffix in ["-wal", "-shm"] {
            let mut name = to.database.as_os_str().to_owned();
            name.push(suffix);
            taken.push(name.into());
        }
        taken.extend(
            self.manifest
                .files
                .iter()
                .map(|f| to.files_dir.join(&f.name)),
        );
        if let Some(existing) = taken.into_iter().find(|p| p.exists()) {
            return Err(BackupError::Exists(existing));
        }

        for image in &self.manifest.images {
            let path = self.dir.join(IMAGES).join(&image.name);
            let bytes = fs::read(&path).map_err(io_error(format!("reading {}", path.display())))?;
            let found = Entry {
                name: image.name.clone(),
                bytes: bytes.len() as u64,
                sha256: hex(&Sha256::digest(&bytes)),
            };
            compare(&path, image, &found)?;
            let key = BlobKey::from_trusted(image.name.clone());
            let mime = key
                .image_type()
                .map_or("application/octet-stream", |t| t.mime());
            to.images
                .put(&key, &bytes, mime)
                .map_err(|e| BackupError::Images {
                    key: image.name.clone(),
                    source: e,
                })?;
        }

        fs::create_dir_all(to.files_dir)
            .map_err(io_error(format!("creating {}", to.files_dir.display())))?;
        for file in &self.manifest.files {
            let path = self.dir.join(&file.name);
            let bytes = fs::read(&path).map_err(io_error(format!("reading {}", path.display())))?;
            let found = Entry {
                name: file.name.clone(),
                bytes: bytes.len() as u64,
                sha256: hex(&Sha256::digest(&bytes)),
            };
            compare(&path, file, &found)?;
            write_new(&to.files_dir.join(&file.name), &bytes, true)?;
        }

        let from = self.dir.join(DATABASE);
        let parent = to
            .database
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io_error(format!("creating {}", parent.display())))?;
        let mut draft_name = to.database.as_os_str().to_owned();
        draft_name.push(".restoring");
        let draft = PathBuf::from(draft_name);
        let found = copy_new(&from, &draft)?;
        if let Err(e) = compare(&from, &self.manifest.database, &found) {
            let _ = fs::remove_file(&draft);
            return Err(e);
        }
        fs::rename(&draft, to.database)
            .map_err(io_error(format!("writing {}", to.database.display())))?;
        sync_dir(parent)?;
        integrity_check(to.database).inspect_err(|_| {
            let _ = fs::remove_file(to.database);
        })
    }
}

fn compare(path: &Path, expected: &Entry, found: &Entry) -> Result<(), BackupError> {
    let what = if found.bytes != expected.bytes {
        format!(
            "{} bytes where the manifest says {}",
            found.bytes, expected.bytes
        )
    } else if found.sha256 != expected.sha256 {
        "its SHA-256 is not the manifest's".to_owned()
    } else {
        return Ok(());
    };
    Err(BackupError::Damaged {
        path: path.to_owned(),
        what,
    })
}

/// The file's size and SHA-256, read in chunks.
fn entry_of(path: &Path, name: &str) -> Result<Entry, BackupError> {
    let what = || format!("reading {}", path.display());
    let mut file = File::open(path).map_err(io_error(what()))?;
    let (mut hasher, mut bytes, mut buf) = (Sha256::new(), 0u64, vec![0u8; CHUNK]);
    loop {
        let n = file.read(&mut buf).map_err(io_error(what()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(Entry {
        name: name.to_owned(),
        bytes,
        sha256: hex(&hasher.finalize()),
    })
}

/// Copies `from` to the new file `to`, synced; returns what was copied.
fn copy_new(from: &Path, to: &Path) -> Result<Entry, BackupError> {
    let reading = || format!("reading {}", from.display());
    let writing = || format!("writing {}", to.display());
    let mut source = File::open(from).map_err(io_error(reading()))?;
    let mut target = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => BackupError::Exists(to.to_owned()),
            _ => io_error(writing())(e),
        })?;
    let (mut hasher, mut bytes, mut buf) = (Sha256::new(), 0u64, vec![0u8; CHUNK]);
    loop {
        let n = source.read(&mut buf).map_err(io_error(reading()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        target.write_all(&buf[..n]).map_err(io_error(writing()))?;
        bytes += n as u64;
    }
    target.sync_all().map_err(io_error(writing()))?;
    Ok(Entry {
        name: DATABASE.to_owned(),
        bytes,
        sha256: hex(&hasher.finalize()),
    })
}

/// Writes a new file (its directories made as needed), synced; `private`
/// files are readable by their owner only.
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), BackupError> {
    let what = || format!("writing {}", path.display());
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_error(what()))?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => BackupError::Exists(path.to_owned()),
        _ => io_error(what())(e),
    })?;
    file.write_all(bytes).map_err(io_error(what()))?;
    file.sync_all().map_err(io_error(what()))
}

/// A backup holds the server secret and every key hash: only its owner
/// may read it (a directory that already existed keeps its mode).
fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    let what = || format!("creating {}", dir.display());
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error(what()))
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    let what = || format!("syncing {}", path.display());
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_error(what()))
}

/// Makes the names in `dir` durable (a new file's name lives in its
/// directory, not in the file).
fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        sync_file(dir)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use aispace_domain::model::ImageType;

    use super::*;
    use crate::{DatabaseUrl, DieselStore, PoolOptions};

    /// Images in a map: what `BlobSink` promises, nothing more.
    #[derive(Default)]
    struct MapBlobs(Mutex<HashMap<String, Vec<u8>>>);

    impl BlobSink for MapBlobs {
        fn put(&self, key: &BlobKey, bytes: &[u8], _: &str) -> Result<(), BlobError> {
            let mut map = self.0.lock().unwrap();
            map.entry(key.to_string()).or_insert_with(|| bytes.to_vec());
            Ok(())
        }

        fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>, BlobError> {
            Ok(self.0.lock().unwrap().get(key.as_str()).cloned())
        }

        fn list(&self) -> Result<aispace_domain::ports::BlobListing, BlobError> {
            let keys: Vec<_> = self
                .0
                .lock()
                .unwrap()
                .keys()
                .filter_map(|k| BlobKey::parse(k))
                .map(|k| Ok((k, aispace_domain::model::Timestamp::from_millis(0))))
                .collect();
            Ok(Box::new(keys.into_iter()))
        }

        fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
            self.0.lock().unwrap().remove(key.as_str());
            Ok(())
        }
    }

    /// A migrated database with one image post whose image is in `blobs`
    /// and one whose image is not.
    fn installation(dir: &Path, blobs: &MapBlobs) -> (PathBuf, BlobKey, BlobKey) {
        let path = dir.join("aispace.db");
        let store =
            DieselStore::open(&DatabaseUrl::Sqlite(path.clone()), PoolOptions::default()).unwrap();
        store.migrate().unwrap();
        let kept = BlobKey::for_content(b"kept image", ImageType::Png);
        let gone = BlobKey::for_content(b"gone image", ImageType::Png);
        blobs.put(&kept, b"kept image", "image/png").unwrap();
        let mut conn = open(&path).unwrap();
        conn.batch_execute(&format!(
            "INSERT INTO agents (id, handle, name, status, created_at) VALUES ('a1', 'ann', 'Ann', 'ACTIVE', 0);
             INSERT INTO posts (id, author_id, caption, tags, media_id, media_kind, media_key,
                 media_type, media_bytes, status, created_at, publish_at, published_at, kind)
             VALUES ('p1', 'a1', '', '[]', 'm1', 'BLOB', '{kept}', 'image/png', 10,
                     'PUBLISHED', 0, 0, 0, 'IMAGE'),
                    ('p2', 'a1', '', '[]', 'm2', 'BLOB', '{gone}', 'image/png', 10,
                     'PUBLISHED', 0, 0, 0, 'IMAGE');"
        ))
        .unwrap();
        (path, kept, gone)
    }

    fn backup_of(dir: &Path) -> (tempfile::TempDir, BackupReport) {
        let blobs = MapBlobs::default();
        let (database, _, _) = installation(dir, &blobs);
        let secret = dir.join("secret.key");
        fs::write(&secret, "s".repeat(64)).unwrap();
        let target = tempfile::tempdir().unwrap();
        let report = back_up(
            &BackupSource {
                database: &database,
                images: &blobs,
                files: &[secret, dir.join("absent.key")],
                made_by: "aispace test",
            },
            &target.path().join("b"),
        )
        .unwrap();
        (target, report)
    }

    #[test]
    fn a_backup_lists_what_it_copied_and_restores_into_an_empty_place() {
        let live = tempfile::tempdir().unwrap();
        let (target, report) = backup_of(live.path());
        let manifest = &report.manifest;
        let kept = BlobKey::for_content(b"kept image", ImageType::Png);
        let gone = BlobKey::for_content(b"gone image", ImageType::Png);
        assert_eq!(manifest.images.len(), 1);
        assert_eq!(manifest.images[0].name, kept.as_str());
        assert_eq!(manifest.missing, [gone.to_string()]);
        assert_eq!(manifest.files.len(), 1);
        assert_eq!(manifest.files[0].name, "secret.key");
        assert_eq!(manifest.schema, *known_migrations().last().unwrap());

        let backup = Backup::open(&target.path().join("b")).unwrap();
        assert_eq!(backup.manifest(), manifest);
        backup.verify().unwrap();

        let restored = tempfile::tempdir().unwrap();
        let images = MapBlobs::default();
        let database = restored.path().join("data/aispace.db");
        let to = RestoreTarget {
            database: &database,
            images: &images,
            files_dir: &restored.path().join("data"),
        };
        backup.restore(&to).unwrap();
        assert_eq!(images.get(&kept).unwrap().unwrap(), b"kept image");
        assert_eq!(
            fs::read_to_string(restored.path().join("data/secret.key")).unwrap(),
            "s".repeat(64)
        );
        integrity_check(&database).unwrap();
        let mut conn = open(&database).unwrap();
        let keys: Vec<String> = image_keys(&mut conn)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut named = vec![gone.to_string(), kept.to_string()];
        named.sort();
        assert_eq!(keys, named, "the restored posts name both images");

        // A second restore over the first overwrites nothing.
        let again = backup.restore(&to).unwrap_err();
        assert!(matches!(again, BackupError::Exists(_)), "{again}");
    }

    #[test]
    fn a_non_empty_target_is_refused_before_anything_is_written() {
        let live = tempfile::tempdir().unwrap();
        let blobs = MapBlobs::default();
        let (database, _, _) = installation(live.path(), &blobs);
        let target = tempfile::tempdir().unwrap();
        fs::write(target.path().join("notes.txt"), "mine").unwrap();
        let err = back_up(
            &BackupSource {
                database: &database,
                images: &blobs,
                files: &[],
                made_by: "aispace test",
            },
            target.path(),
        )
        .unwrap_err();
        assert!(matches!(err, BackupError::NotEmpty(_)), "{err}");
        let names: Vec<_> = fs::read_dir(target.path()).unwrap().collect();
        assert_eq!(names.len(), 1);

        let nowhere = live.path().join("nothing.db");
        let err = back_up(
            &BackupSource {
                database: &nowhere,
                images: &blobs,
                files: &[],
                made_by: "aispace test",
            },
            &target.path().join("new"),
        )
        .unwrap_err();
        assert!(matches!(err, BackupError::NoDatabase(_)), "{err}");
        assert!(!nowhere.exists(), "looking made a database");
    }

    #[test]
    fn an_unfinished_cut_or_damaged_backup_is_refused() {
        let live = tempfile::tempdir().unwrap();
        let (target, report) = backup_of(live.path());
        let dir = target.path().join("b");
        let manifest = fs::read_to_string(dir.join(MANIFEST)).unwrap();

        // Cut short.
        fs::write(dir.join(MANIFEST), &manifest[..manifest.len() - 4]).unwrap();
        let err = Backup::open(&dir).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");

        // Never written.
        fs::remove_file(dir.join(MANIFEST)).unwrap();
        let err = Backup::open(&dir).unwrap_err();
        assert!(matches!(err, BackupError::Unfinished(_)), "{err}");
        assert!(err.to_string().contains("did not finish"), "{err}");

        // A file name that would leave the data directory.
        let escaping = manifest.replace(" secret.key\n", " ../secret.key\n");
        fs::write(dir.join(MANIFEST), escaping).unwrap();
        let err = Backup::open(&dir).unwrap_err();
        assert!(err.to_string().contains("malformed `file`"), "{err}");

        // One byte of an image changed.
        fs::write(dir.join(MANIFEST), &manifest).unwrap();
        let image = dir.join(IMAGES).join(&report.manifest.images[0].name);
        let mut bytes = fs::read(&image).unwrap();
        bytes[0] ^= 1;
        fs::write(&image, bytes).unwrap();
        let err = Backup::open(&dir).unwrap().verify().unwrap_err();
        assert!(matches!(err, BackupError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("SHA-256"), "{err}");
    }

    #[test]
    fn the_manifest_reads_back_what_was_written() {
        let entry = |name: &str, fill: char| Entry {
            name: name.to_owned(),
            bytes: 12,
            sha256: fill.to_string().repeat(64),
        };
        let key = BlobKey::for_content(b"x", ImageType::Png);
        let manifest = Manifest {
            made_by: "aispace 1.2.3".into(),
            schema: "20261204000014".into(),
            taken_at: 1_767_225_600,
            database: entry(DATABASE, 'a'),
            images: vec![Entry {
                name: key.to_string(),
                bytes: 1,
                sha256: key.content_hash().to_owned(),
            }],
            missing: vec![BlobKey::for_content(b"y", ImageType::Png).to_string()],
            files: vec![entry("secret.key", 'b')],
        };
        let text = manifest.render();
        assert!(text.starts_with("aispace-backup 1\nmade-by aispace 1.2.3\n"));
        assert!(text.ends_with("images 1 1\nend\n"), "{text}");
        assert_eq!(Manifest::parse(&text).unwrap(), manifest);

        // Totals that do not add up are refused.
        let lying = text.replace("images 1 1\n", "images 2 1\n");
        assert!(Manifest::parse(&lying).unwrap_err().contains("sum up"));
    }
}
