//! The databases a run benches (`--database`), where PostgreSQL is found,
//! and the private schema each PostgreSQL run works in.
//!
//! PostgreSQL comes from `AISPACE_BENCH_DATABASE_URL`, else
//! `AISPACE_TEST_DATABASE_URL` (the one CI sets). Each run creates a schema
//! of its own there with `psql`, points the server at it through the URL's
//! `options=-csearch_path%3D…` (the server migrates it on start) and drops
//! it with `CASCADE` when the run ends, failed or not. Only an interrupted
//! bench leaves one behind; its name (`aispace_bench_<pid>_<nanos>`) says
//! whose it was.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const BENCH_URL_VAR: &str = "AISPACE_BENCH_DATABASE_URL";
pub const TEST_URL_VAR: &str = "AISPACE_TEST_DATABASE_URL";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Database {
    #[default]
    Sqlite,
    Postgres,
}

impl Database {
    pub fn label(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }

    /// As `--database` takes it.
    pub fn parse(raw: &str) -> Result<Database, String> {
        match raw.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Database::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Database::Postgres),
            _ => Err(format!("{raw:?}: want sqlite or postgres")),
        }
    }
}

/// What a run will bench: each database once, SQLite first; PostgreSQL's
/// URL and the variable it came from when it is among them; why it is not
/// when it was not asked for and could not be.
#[derive(Debug, PartialEq, Eq)]
pub struct Selection {
    pub databases: Vec<Database>,
    pub postgres: Option<(String, &'static str)>,
    pub skipped: Option<String>,
}

/// `--database`'s choice, or by default SQLite and, when a URL is set,
/// PostgreSQL. `var` reads an environment variable; empty counts as unset.
pub fn select(
    requested: &[Database],
    var: impl Fn(&str) -> Option<String>,
) -> Result<Selection, String> {
    let url = [BENCH_URL_VAR, TEST_URL_VAR].into_iter().find_map(|name| {
        var(name)
            .filter(|v| !v.trim().is_empty())
            .map(|url| (url, name))
    });
    if let Some((url, name)) = &url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        return Err(format!(
            "{name} is {:?}: want a postgres://… URL",
            redact(url)
        ));
    }
    let wanted = |d| {
        (requested.is_empty() && (d == Database::Sqlite || url.is_some())) || requested.contains(&d)
    };
    let databases: Vec<Database> = [Database::Sqlite, Database::Postgres]
        .into_iter()
        .filter(|&d| wanted(d))
        .collect();
    if databases.contains(&Database::Postgres) && url.is_none() {
        return Err(format!(
            "--database postgres needs {BENCH_URL_VAR} (or {TEST_URL_VAR}) set to postgres://… of a database \
             where the bench may create and drop a schema of its own"
        ));
    }
    let skipped = (requested.is_empty() && url.is_none())
        .then(|| format!("PostgreSQL SKIPPED: neither {BENCH_URL_VAR} nor {TEST_URL_VAR} is set"));
    let postgres = url.filter(|_| databases.contains(&Database::Postgres));
    Ok(Selection {
        databases,
        postgres,
        skipped,
    })
}

/// `base` with `search_path` set to `schema` for every connection made
/// with it (libpq's `options` parameter, percent-encoded).
pub fn schema_url(base: &str, schema: &str) -> Result<String, String> {
    if !is_identifier(schema) {
        return Err(format!("{schema:?} is not a plain schema name"));
    }
    let (url, fragment) = base
        .split_once('#')
        .map_or((base, None), |(u, f)| (u, Some(f)));
    let query = url.split_once('?').map(|(_, q)| q);
    if query.is_some_and(|q| q.split('&').any(|p| p.starts_with("options="))) {
        return Err(format!(
            "{} sets `options`, which the bench sets itself",
            redact(base)
        ));
    }
    let separator = match query {
        None => "?",
        Some(q) if q.is_empty() || q.ends_with('&') => "",
        Some(_) => "&",
    };
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    Ok(format!(
        "{url}{separator}options=-csearch_path%3D{schema}{fragment}"
    ))
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

/// A URL with its user info (and so any password) replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end + 3..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + 3 + i);
    match url[..authority_end].rfind('@') {
        Some(at) if at > scheme_end => format!("{}://***{}", &url[..scheme_end], &url[at..]),
        _ => url.to_owned(),
    }
}

/// A schema made for one run, dropped with everything in it on drop.
#[derive(Debug)]
pub struct PgSchema {
    base_url: String,
    pub name: String,
    pub url: String,
}

impl PgSchema {
    pub fn create(base_url: &str) -> Result<PgSchema, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("aispace_bench_{}_{nanos}", std::process::id());
        let url = schema_url(base_url, &name)?;
        psql(base_url, &format!("CREATE SCHEMA {name}"))?;
        Ok(PgSchema {
            base_url: base_url.to_owned(),
            name,
            url,
        })
    }

    /// `VACUUM ANALYZE` of each table in the schema, as autovacuum would do
    /// some time after a bulk load: without statistics the feed's query over
    /// fresh posts is planned as a nested loop that takes seconds, and
    /// without the vacuum the rank indexes keep an entry for every version
    /// of a post the seed's votes wrote (2.0 ms instead of 0.45 ms per
    /// ranked page at 10,000 posts where autovacuum is off).
    pub fn analyze(&self) -> Result<Duration, String> {
        let started = Instant::now();
        let list = format!(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = '{}'",
            self.name
        );
        // One statement per call: VACUUM cannot run in a transaction.
        for table in psql(&self.base_url, &list)?
            .lines()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            psql(&self.base_url, &format!("VACUUM ANALYZE {table}"))?;
        }
        Ok(started.elapsed())
    }

    /// A setting of the server (`server_version`, `autovacuum`).
    pub fn show(&self, setting: &str) -> Option<String> {
        psql(&self.base_url, &format!("SHOW {setting}"))
            .ok()
            .map(|v| v.trim().to_owned())
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        if let Err(e) = psql(&self.base_url, &sql) {
            eprintln!(
                "warning: {e}\n  drop it by hand: psql '{}' -c '{sql}'",
                redact(&self.base_url)
            );
        }
    }
}

/// One statement with `psql` (no psqlrc, no password prompt, tuples only).
fn psql(url: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .arg(url)
        .args([
            "-X",
            "-w",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .env_remove("PGOPTIONS")
        .output()
        .map_err(|e| format!("running psql (the PostgreSQL bench needs postgresql-client): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "psql {} -c {sql:?} failed ({}): {}",
            redact(url),
            out.status,
            stderr.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG: &str = "postgres://postgres@127.0.0.1:5432/test";

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn both_databases_when_a_url_is_set_else_sqlite_with_a_note() {
        let s = select(&[], env(&[(TEST_URL_VAR, PG)])).unwrap();
        assert_eq!(
            (s.databases, s.postgres),
            (
                vec![Database::Sqlite, Database::Postgres],
                Some((PG.into(), TEST_URL_VAR))
            )
        );
        let s = select(&[], env(&[(BENCH_URL_VAR, " "), (TEST_URL_VAR, "")])).unwrap();
        assert_eq!(s.databases, [Database::Sqlite]);
        assert!(s.skipped.unwrap().contains("SKIPPED"));
        let s = select(
            &[Database::Postgres],
            env(&[(BENCH_URL_VAR, "postgres://b@h/b"), (TEST_URL_VAR, PG)]),
        )
        .unwrap();
        assert_eq!(
            (s.databases, s.postgres),
            (
                vec![Database::Postgres],
                Some(("postgres://b@h/b".into(), BENCH_URL_VAR))
            )
        );
        assert!(select(&[Database::Postgres], env(&[])).is_err());
        let e = select(&[], env(&[(TEST_URL_VAR, "mysql://u:secret@h/db")])).unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn schema_urls_set_the_search_path_and_urls_are_shown_without_user_info() {
        assert_eq!(
            schema_url(PG, "s_1").unwrap(),
            format!("{PG}?options=-csearch_path%3Ds_1")
        );
        assert_eq!(
            schema_url("postgres://h/db?sslmode=disable", "s").unwrap(),
            "postgres://h/db?sslmode=disable&options=-csearch_path%3Ds"
        );
        assert_eq!(
            schema_url("postgresql://h/db#x", "s").unwrap(),
            "postgresql://h/db?options=-csearch_path%3Ds#x"
        );
        assert!(schema_url("postgres://h/db?options=-cwork_mem%3D1MB", "s").is_err());
        for bad in ["", "1abc", "a-b", "a;drop", "A", &"a".repeat(64)] {
            assert!(schema_url(PG, bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            redact("postgres://u:secret@127.0.0.1/db?x=1"),
            "postgres://***@127.0.0.1/db?x=1"
        );
        assert_eq!(
            redact("postgres://h/db?options=a@b"),
            "postgres://h/db?options=a@b"
        );
    }
}
