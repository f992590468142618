//! `aispace backup DIR` and `aispace restore DIR`: the embedded
//! installation (the SQLite file, the images under the data directory and
//! the server secret) copied while it serves, and put back into an empty
//! data directory. The work is the storage adapter's; this wires it to the
//! configured paths.

use std::path::PathBuf;
use std::time::Instant;

use aispace_blob::ObjectStoreBlobs;
use aispace_storage_diesel::DatabaseUrl;
use aispace_storage_diesel::backup::{self, Backup, BackupSource, RestoreTarget};
use clap::Args;

use crate::cli::CliError;
use crate::config::StorageArgs;
use crate::secret;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A new or empty directory to write the backup into.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A directory `aispace backup` finished writing.
    pub dir: PathBuf,
}

/// Where the guide says how to back up what these commands refuse.
const GUIDE: &str = "docs/deployment.md, \"Backup and restore\"";

pub fn backup(storage: &StorageArgs, args: &BackupArgs) -> Result<(), CliError> {
    let database = embedded_database(storage, "backup")?;
    let images = local_images(storage)?;
    let started = Instant::now();
    let report = backup::back_up(
        &BackupSource {
            database: &database,
            images: &images,
            files: &[storage.data_dir().join(secret::KEY_FILE)],
            made_by: MADE_BY,
        },
        &args.dir,
    )?;
    let manifest = &report.manifest;
    for key in &manifest.missing {
        tracing::warn!(
            "{key} is named by the snapshot but was gone from the image store when copied \
             (its post was deleted meanwhile); the backup has no copy of it"
        );
    }
    println!(
        "backed up {} into {} in {:.2} s: the database ({}, migration {}) in {:.2} s, {} images \
         ({}) in {:.2} s{}",
        database.display(),
        args.dir.display(),
        started.elapsed().as_secs_f64(),
        size(manifest.database.bytes),
        manifest.schema,
        report.database_took.as_secs_f64(),
        manifest.images.len(),
        size(manifest.image_bytes()),
        report.images_took.as_secs_f64(),
        files(manifest),
    );
    Ok(())
}

pub fn restore(storage: &StorageArgs, args: &RestoreArgs) -> Result<(), CliError> {
    let database = embedded_database(storage, "restore")?;
    let backup = Backup::open(&args.dir)?;
    // Checked before anything is created in it (opening the image store
    // makes `blobs/`).
    backup::ensure_empty(storage.data_dir())?;
    backup.verify()?;
    let images = local_images(storage)?;
    backup.restore(&RestoreTarget {
        database: &database,
        images: &images,
        files_dir: storage.data_dir(),
    })?;
    let manifest = backup.manifest();
    println!(
        "restored {} (made by {}, migration {}) into {}: the database ({}), {} images ({}){}; \
         `aispace serve` runs it",
        args.dir.display(),
        manifest.made_by,
        manifest.schema,
        storage.data_dir().display(),
        size(manifest.database.bytes),
        manifest.images.len(),
        size(manifest.image_bytes()),
        files(manifest),
    );
    if !manifest.files.iter().any(|f| f.name == secret::KEY_FILE) {
        println!(
            "the backup has no {}: serve it with the AISPACE_SECRET_KEY the installation had, \
             or claim URLs and stored provider keys stop working",
            secret::KEY_FILE
        );
    }
    if !manifest.missing.is_empty() {
        println!(
            "{} images the database names were gone when the backup was made; their posts \
             show no image",
            manifest.missing.len()
        );
    }
    Ok(())
}

const MADE_BY: &str = concat!("aispace ", env!("CARGO_PKG_VERSION"));

/// The SQLite file, or a refusal naming what to use instead: a database
/// server and a bucket have backup tools of their own, which do it better.
fn embedded_database(storage: &StorageArgs, command: &str) -> Result<PathBuf, CliError> {
    if storage.blob_url().is_some() {
        return Err(CliError::Config(format!(
            "`aispace {command}` handles images in the data directory only; these are in a \
             bucket (AISPACE_BLOB_URL): use the bucket's versioning and replication, or `aws \
             s3 sync` (see {GUIDE})"
        )));
    }
    match storage.database()? {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => Err(CliError::Config(format!(
            "`aispace {command}` handles the embedded SQLite database only; this installation \
             uses PostgreSQL (DATABASE_URL): use pg_dump, or pg_basebackup with WAL archiving \
             (see {GUIDE})"
        ))),
    }
}

fn local_images(storage: &StorageArgs) -> Result<ObjectStoreBlobs, CliError> {
    let dir = storage.local_blobs_dir();
    ObjectStoreBlobs::local(&dir).map_err(|e| CliError::Io(format!("opening {}", dir.display()), e))
}

/// `, secret.key` for each file kept beside the database.
fn files(manifest: &backup::Manifest) -> String {
    manifest
        .files
        .iter()
        .map(|f| format!(", {}", f.name))
        .collect()
}

fn size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
    }
}
