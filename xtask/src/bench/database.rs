//! The databases a run benches (`--database`), where PostgreSQL is found,
//! and the private schema each PostgreSQL run works in.
//!
//! PostgreSQL comes from `AISPACE_BENCH_DATABASE_URL`, else
//! `AISPACE_TEST_DATABASE_URL` (the one CI sets). Each run creates a schema
//! of its own there with `psql` (`aispace_bench_<pid>_<nanos>`), points the
//! server and the CLI at it through the URL's `options=-csearch_path%3D…`
//! (as `aispace-storage-diesel`'s `pg_schema.rs` does for tests; the server
//! migrates it on start) and drops it with `CASCADE` when the run ends,
//! also when it fails. Only an interrupted bench (Ctrl-C) leaves one
//! behind; its name says whose it was.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Read first: a database only for benchmarks.
pub const BENCH_URL_VAR: &str = "AISPACE_BENCH_DATABASE_URL";
/// Read second: the database the PostgreSQL tests use.
pub const TEST_URL_VAR: &str = "AISPACE_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    /// In the order of a run: SQLite, the default, first.
    pub const ALL: [Database; 2] = [Database::Sqlite, Database::Postgres];

    /// As `--database` takes it, and as results.json writes it.
    pub fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }

    /// For people: table titles and the comparison.
    pub fn label(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }

    pub fn parse(raw: &str) -> Result<Database, String> {
        match raw.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Database::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Database::Postgres),
            _ => Err(format!("--database {raw}: want sqlite or postgres")),
        }
    }
}

/// A PostgreSQL URL and the variable it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    pub url: String,
    pub var: &'static str,
}

/// What a run will bench.
#[derive(Debug, PartialEq, Eq)]
pub struct Selection {
    /// Each once, SQLite first.
    pub databases: Vec<Database>,
    /// Set when PostgreSQL is among them.
    pub postgres: Option<PgUrl>,
    /// Why PostgreSQL is not, when it was not asked for and could not be.
    pub skipped: Option<String>,
}

/// The databases to bench: those asked for with `--database` (each once,
/// in the order of [`Database::ALL`]), or by default SQLite and, when a URL
/// is set, PostgreSQL. `var` reads an environment variable; empty counts
/// as unset.
pub fn select(
    requested: &[Database],
    var: impl Fn(&str) -> Option<String>,
) -> Result<Selection, String> {
    let url = [BENCH_URL_VAR, TEST_URL_VAR].into_iter().find_map(|name| {
        var(name)
            .filter(|v| !v.trim().is_empty())
            .map(|url| PgUrl { url, var: name })
    });
    if let Some(PgUrl { url, var }) = &url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        return Err(format!(
            "{var} is {:?}: want a postgres://… or postgresql://… URL",
            redact(url)
        ));
    }
    let wants_postgres = requested.contains(&Database::Postgres);
    if wants_postgres && url.is_none() {
        return Err(format!(
            "--database postgres needs a PostgreSQL URL: set {BENCH_URL_VAR} (or \
             {TEST_URL_VAR}) to postgres://… of a database where the bench may create and \
             drop a schema of its own"
        ));
    }
    if requested.is_empty() {
        return Ok(match url {
            Some(url) => Selection {
                databases: Database::ALL.to_vec(),
                postgres: Some(url),
                skipped: None,
            },
            None => Selection {
                databases: vec![Database::Sqlite],
                postgres: None,
                skipped: Some(format!(
                    "PostgreSQL SKIPPED: neither {BENCH_URL_VAR} nor {TEST_URL_VAR} is set; \
                     set one to postgres://… (a database where the bench may create and drop \
                     a schema of its own) to bench PostgreSQL too"
                )),
            },
        });
    }
    Ok(Selection {
        databases: Database::ALL
            .into_iter()
            .filter(|d| requested.contains(d))
            .collect(),
        postgres: if wants_postgres { url } else { None },
        skipped: None,
    })
}

/// `base` with `search_path` set to `schema` for every connection made
/// with it (libpq's `options` parameter, percent-encoded).
pub fn schema_url(base: &str, schema: &str) -> Result<String, String> {
    if !is_identifier(schema) {
        return Err(format!("{schema:?} is not a plain schema name"));
    }
    let (before_fragment, fragment) = match base.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (base, None),
    };
    let query = before_fragment.split_once('?').map(|(_, q)| q);
    if query.is_some_and(|q| q.split('&').any(|p| p.starts_with("options="))) {
        return Err(format!(
            "{} already sets `options`; the bench sets `options=-csearch_path%3D…` itself, \
             so leave it out",
            redact(base)
        ));
    }
    let separator = match query {
        None => "?",
        Some("") => "",
        Some(q) if q.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut url = format!("{before_fragment}{separator}options=-csearch_path%3D{schema}");
    if let Some(fragment) = fragment {
        url.push('#');
        url.push_str(fragment);
    }
    Ok(url)
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
        Some(at) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A schema created for one run, dropped with everything in it when this
/// value is dropped.
#[derive(Debug)]
pub struct PgSchema {
    base_url: String,
    name: String,
    url: String,
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

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base URL with this schema as the search path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `VACUUM ANALYZE` of every table in the schema (and nothing else), as
    /// autovacuum would do some time after a bulk load: without statistics
    /// PostgreSQL plans the feed's query over 10,000 fresh posts as a
    /// nested loop that takes seconds, not milliseconds; and without the
    /// vacuum the rank indexes keep an entry for every version of a post
    /// the seed's votes wrote (two dead rows per live one), which the
    /// ranked feeds walk through: 2.0 ms instead of 0.45 ms per page at
    /// 10,000 posts. The PostgreSQL these figures were first taken on runs
    /// with `autovacuum=off`, so it would never do either.
    pub fn analyze(&self) -> Result<Duration, String> {
        let started = Instant::now();
        let tables = psql(
            &self.base_url,
            &format!(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables \
                 WHERE schemaname = '{}'",
                self.name
            ),
        )?;
        // One statement per call: VACUUM cannot run in a transaction, and
        // several statements in one `-c` are one.
        for table in tables.lines().map(str::trim).filter(|t| !t.is_empty()) {
            psql(&self.base_url, &format!("VACUUM ANALYZE {table}"))?;
        }
        Ok(started.elapsed())
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        match psql(&self.base_url, &sql) {
            Ok(_) => eprintln!("dropped PostgreSQL schema {}", self.name),
            Err(e) => eprintln!(
                "warning: could not drop PostgreSQL schema {}: {e}\n  drop it by hand: psql \
                 '{}' -c '{sql}'",
                self.name,
                redact(&self.base_url)
            ),
        }
    }
}

/// A setting of the server (`SHOW name`: `server_version`, `autovacuum`…),
/// for the report.
pub fn show(base_url: &str, name: &str) -> Option<String> {
    if !is_identifier(name) {
        return None;
    }
    psql(base_url, &format!("SHOW {name}"))
        .ok()
        .map(|out| out.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Runs one statement with `psql` (no psqlrc, never a password prompt,
/// unaligned tuples only); its output, or why it failed.
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
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "psql was not found on PATH; the PostgreSQL part of the bench needs it to \
                 create and drop its schema (Debian: apt-get install postgresql-client)"
                    .to_owned()
            } else {
                format!("running psql: {e}")
            }
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "psql {} -c {sql:?} failed ({}): {}",
            redact(url),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const PG: &str = "postgres://postgres@127.0.0.1:5432/test";

    #[test]
    fn parses_database_names() {
        assert_eq!(Database::parse("sqlite"), Ok(Database::Sqlite));
        assert_eq!(Database::parse("Postgres"), Ok(Database::Postgres));
        assert_eq!(Database::parse("postgresql"), Ok(Database::Postgres));
        assert!(Database::parse("mysql").is_err());
        assert!(Database::parse("").is_err());
    }

    #[test]
    fn default_is_both_when_a_url_is_set_else_sqlite_with_a_note() {
        let s = select(&[], env(&[(TEST_URL_VAR, PG)])).unwrap();
        assert_eq!(s.databases, [Database::Sqlite, Database::Postgres]);
        assert_eq!(s.postgres.as_ref().map(|u| u.var), Some(TEST_URL_VAR));
        assert_eq!(s.skipped, None);

        let s = select(&[], env(&[])).unwrap();
        assert_eq!(s.databases, [Database::Sqlite]);
        assert_eq!(s.postgres, None);
        let note = s.skipped.unwrap();
        assert!(
            note.contains("SKIPPED") && note.contains(BENCH_URL_VAR),
            "{note}"
        );

        // Empty is unset.
        let s = select(&[], env(&[(BENCH_URL_VAR, " "), (TEST_URL_VAR, "")])).unwrap();
        assert_eq!(s.databases, [Database::Sqlite]);
    }

    #[test]
    fn the_bench_variable_wins() {
        let vars = [(BENCH_URL_VAR, "postgres://bench@h/b"), (TEST_URL_VAR, PG)];
        let s = select(&[Database::Postgres], env(&vars)).unwrap();
        assert_eq!(s.databases, [Database::Postgres]);
        assert_eq!(
            s.postgres,
            Some(PgUrl {
                url: "postgres://bench@h/b".into(),
                var: BENCH_URL_VAR
            })
        );
    }

    #[test]
    fn asked_for_databases_once_each_in_run_order() {
        let vars = [(TEST_URL_VAR, PG)];
        let s = select(
            &[Database::Postgres, Database::Sqlite, Database::Postgres],
            env(&vars),
        )
        .unwrap();
        assert_eq!(s.databases, [Database::Sqlite, Database::Postgres]);
        let s = select(&[Database::Sqlite], env(&vars)).unwrap();
        assert_eq!((s.databases, s.postgres), (vec![Database::Sqlite], None));
    }

    #[test]
    fn postgres_without_a_url_or_with_a_bad_one_is_an_error() {
        let e = select(&[Database::Postgres], env(&[])).unwrap_err();
        assert!(e.contains(BENCH_URL_VAR) && e.contains(TEST_URL_VAR), "{e}");
        let e = select(&[], env(&[(TEST_URL_VAR, "mysql://u:secret@h/db")])).unwrap_err();
        assert!(e.contains(TEST_URL_VAR) && !e.contains("secret"), "{e}");
    }

    #[test]
    fn schema_urls_set_the_search_path() {
        assert_eq!(
            schema_url(PG, "aispace_bench_1_2").unwrap(),
            "postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Daispace_bench_1_2"
        );
        assert_eq!(
            schema_url("postgres://h/db?sslmode=disable", "s").unwrap(),
            "postgres://h/db?sslmode=disable&options=-csearch_path%3Ds"
        );
        assert_eq!(
            schema_url("postgres://h/db?", "s").unwrap(),
            "postgres://h/db?options=-csearch_path%3Ds"
        );
        assert_eq!(
            schema_url("postgresql://h/db#x", "s").unwrap(),
            "postgresql://h/db?options=-csearch_path%3Ds#x"
        );
        assert!(schema_url("postgres://h/db?options=-cwork_mem%3D1MB", "s").is_err());
        for bad in ["", "1abc", "a-b", "a;drop", "A", &"a".repeat(64)] {
            assert!(schema_url(PG, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn redacts_user_info_only() {
        assert_eq!(
            redact("postgres://u:secret@127.0.0.1:5432/db?x=1"),
            "postgres://***@127.0.0.1:5432/db?x=1"
        );
        assert_eq!(redact("postgres://127.0.0.1/db"), "postgres://127.0.0.1/db");
        // An @ after the host is not user info.
        assert_eq!(
            redact("postgres://h/db?options=a@b"),
            "postgres://h/db?options=a@b"
        );
        assert_eq!(redact("not a url"), "not a url");
    }
}
