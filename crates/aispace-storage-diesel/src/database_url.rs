use std::fmt;
use std::path::PathBuf;

/// Which database to use, from `DATABASE_URL` (or the data directory).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file; created on first open.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` connection string.
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
#[error("unsupported database URL {0:?}: expected postgres://…, postgresql://… or sqlite://PATH")]
pub struct DatabaseUrlError(String);

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .filter(|p| !p.is_empty())
            .ok_or_else(|| DatabaseUrlError(redact(raw)))?;
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

/// Connection strings carry passwords; logs and `Debug` get this instead.
fn redact(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &raw[..scheme_end], &raw[at..])
        }
        _ => raw.to_owned(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_databases() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/a.db").unwrap(),
            DatabaseUrl::Sqlite("data/a.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:/abs/a.db").unwrap(),
            DatabaseUrl::Sqlite("/abs/a.db".into())
        );
        assert!(
            DatabaseUrl::parse("postgresql://u@h/db")
                .unwrap()
                .is_postgres()
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_show() {
        let url = DatabaseUrl::parse("postgres://app:hunter2@db:5432/aispace").unwrap();
        assert_eq!(url.to_string(), "postgres://***@db:5432/aispace");
        assert!(!format!("{url:?}").contains("hunter2"));
        let err = DatabaseUrl::parse("mysql://app:hunter2@db/x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
