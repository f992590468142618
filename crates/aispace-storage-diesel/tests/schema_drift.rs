//! Checks against drift between the three descriptions of the database:
//! `src/schema.rs` (written by hand for Diesel), the SQLite migrations and
//! the PostgreSQL migrations. Each is compared by what the databases say
//! once migrated (their catalogs), not by reading SQL files: tables,
//! columns with their type and NULL-ness, primary keys, unique
//! constraints, indexes (columns, uniqueness, partial or not), foreign
//! keys and the number of CHECK constraints per table.
//!
//! The documented differences between the dialects are left out of the
//! comparison: SQLite has one integer type (so `integer`, `bigint` and
//! `smallint` compare as `int` between dialects, exactly against
//! `schema.rs` on PostgreSQL), and the full-text index is FTS5 on SQLite
//! and a `tsvector` column under GIN on PostgreSQL (`search_*` tables,
//! which `schema.rs` does not describe; `search.rs` holds their SQL).
//!
//! SQLite always; PostgreSQL when `AISPACE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::{BTreeMap, BTreeSet};

use aispace_storage_diesel::pg_schema::PgSchema;
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Diesel's own bookkeeping, not ours.
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

/// The search index differs by design between the dialects.
fn is_search_table(table: &str) -> bool {
    table.starts_with("search_")
}

/// A database described as facts, one line each, e.g.
/// `column posts.caption text null` or `index posts.posts_feed (status,published_at,id)`.
type Facts = BTreeSet<String>;

/// One column as a catalog reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    table: String,
    name: String,
    /// The declared type, lower-cased (`bigint`, `text`, `boolean`, …).
    declared: String,
    nullable: bool,
}

#[derive(Debug, Default)]
struct Catalog {
    columns: Vec<Column>,
    /// Primary keys, unique constraints, indexes, foreign keys, checks.
    keys: Facts,
}

/// The class a declared type falls in across both dialects.
fn class(declared: &str) -> &'static str {
    let d = declared.to_ascii_lowercase();
    match d.as_str() {
        "text" | "character varying" => "text",
        _ if d.starts_with("varchar") => "text",
        "integer" | "bigint" | "smallint" => "int",
        "boolean" => "bool",
        "blob" | "bytea" => "bytes",
        "real" | "double precision" => "float",
        _ if d.starts_with("timestamp") => "timestamp",
        "tsvector" => "tsvector",
        _ => "unknown",
    }
}

impl Catalog {
    /// Facts comparable between the dialects (`int` for any integer).
    fn portable(&self) -> Facts {
        let mut facts = self.keys.clone();
        for c in &self.columns {
            facts.insert(format!(
                "column {}.{} {}{}",
                c.table,
                c.name,
                class(&c.declared),
                if c.nullable { " null" } else { "" }
            ));
        }
        facts
            .into_iter()
            .filter(|fact| {
                let table = fact.split([' ', '.']).nth(1).unwrap_or("");
                !is_search_table(table)
            })
            .collect()
    }
}

/// The lines `query` (one text value, lines joined by `\n`) returns.
fn lines(text: Option<String>) -> Vec<Vec<String>> {
    text.unwrap_or_default()
        .lines()
        .map(|line| line.split('|').map(str::to_owned).collect())
        .collect()
}

fn sqlite_catalog(conn: &mut SqliteConnection) -> Catalog {
    let mut query = |q: &str| -> Vec<Vec<String>> {
        lines(
            diesel::select(sql::<Nullable<Text>>(&format!(
                "(SELECT group_concat(line, char(10)) FROM ({q}))"
            )))
            .get_result(conn)
            .unwrap_or_else(|e| panic!("{q}: {e}")),
        )
    };
    // Ordinary tables only: not SQLite's own, not Diesel's, not FTS5's
    // virtual table nor its shadow tables.
    let tables = format!(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name != '{DIESEL_TABLE}' AND sql NOT LIKE 'CREATE VIRTUAL%' \
         AND NOT EXISTS (SELECT 1 FROM sqlite_schema v WHERE v.sql LIKE 'CREATE VIRTUAL%' \
         AND sqlite_schema.name LIKE v.name || '\\_%' ESCAPE '\\')"
    );
    let mut catalog = Catalog::default();
    let mut pks: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for row in query(&format!(
        "SELECT m.name || '|' || p.name || '|' || p.type || '|' || p.\"notnull\" || '|' || p.pk \
         AS line FROM ({tables}) m JOIN pragma_table_info(m.name) p"
    )) {
        let pk: i64 = row[4].parse().unwrap();
        if pk > 0 {
            pks.entry(row[0].clone())
                .or_default()
                .push((pk, row[1].clone()));
        }
        catalog.columns.push(Column {
            table: row[0].clone(),
            name: row[1].clone(),
            declared: row[2].to_ascii_lowercase(),
            // A primary key column is never NULL (SQLite's declared
            // NULL-ness says otherwise for TEXT keys without NOT NULL).
            nullable: row[3] == "0" && pk == 0,
        });
    }
    for (table, mut columns) in pks {
        columns.sort();
        let names: Vec<String> = columns.into_iter().map(|(_, name)| name).collect();
        catalog
            .keys
            .insert(format!("primary-key {table} ({})", names.join(",")));
    }
    for row in query(&format!(
        "SELECT m.name || '|' || il.name || '|' || il.\"unique\" || '|' || il.origin || '|' || \
         il.partial || '|' || (SELECT group_concat(coalesce(ii.name, '<expression>'), ',') \
         FROM (SELECT * FROM pragma_index_info(il.name) ORDER BY seqno) ii) AS line \
         FROM ({tables}) m JOIN pragma_index_list(m.name) il"
    )) {
        let (table, name, unique, origin, partial, columns) =
            (&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]);
        match origin.as_str() {
            "pk" => {}
            "u" => {
                catalog.keys.insert(format!("unique {table} ({columns})"));
            }
            _ => {
                catalog.keys.insert(index_fact(
                    table,
                    name,
                    unique == "1",
                    partial == "1",
                    columns,
                ));
            }
        }
    }
    for row in query(&format!(
        "SELECT m.name || '|' || f.\"table\" || '|' || group_concat(f.\"from\", ',') || '|' || \
         group_concat(f.\"to\", ',') AS line FROM ({tables}) m \
         JOIN pragma_foreign_key_list(m.name) f GROUP BY m.name, f.id"
    )) {
        catalog.keys.insert(format!(
            "foreign-key {} ({}) -> {} ({})",
            row[0], row[2], row[1], row[3]
        ));
    }
    // CHECKs are only in the CREATE TABLE text on SQLite (its lines
    // joined by U+001F here, so that comments can be told apart).
    for row in query(&format!(
        "SELECT m.name || '|' || replace(s.sql, char(10), char(31)) AS line \
         FROM ({tables}) m JOIN sqlite_schema s ON s.name = m.name"
    )) {
        let checks = check_constraints(&row[1..].join("|"));
        if checks > 0 {
            catalog.keys.insert(format!("checks {} {checks}", row[0]));
        }
    }
    catalog
}

fn pg_catalog(conn: &mut PgConnection) -> Catalog {
    let mut query = |q: &str| -> Vec<Vec<String>> {
        lines(
            diesel::select(sql::<Nullable<Text>>(&format!(
                "(SELECT string_agg(line, E'\\n') FROM ({q}) q)"
            )))
            .get_result(conn)
            .unwrap_or_else(|e| panic!("{q}: {e}")),
        )
    };
    let mut catalog = Catalog::default();
    for row in query(&format!(
        "SELECT table_name || '|' || column_name || '|' || data_type || '|' || is_nullable AS line \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name != '{DIESEL_TABLE}'"
    )) {
        catalog.columns.push(Column {
            table: row[0].clone(),
            name: row[1].clone(),
            declared: row[2].clone(),
            nullable: row[3] == "YES",
        });
    }
    let tables = format!(
        "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname != '{DIESEL_TABLE}'"
    );
    for row in query(&format!(
        "SELECT t.relname || '|' || i.relname || '|' || ix.indisunique || '|' || ix.indisprimary \
         || '|' || (ix.indpred IS NOT NULL) || '|' || EXISTS (SELECT 1 FROM pg_constraint c \
         WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u')) || '|' || \
         (SELECT string_agg(coalesce(a.attname, '<expression>'), ',' ORDER BY k.ord) \
          FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
          LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS line \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN ({tables}) t ON t.oid = ix.indrelid"
    )) {
        let (table, name, unique, primary, partial, constraint, columns) = (
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6],
        );
        let fact = if primary == "true" {
            format!("primary-key {table} ({columns})")
        } else if constraint == "true" {
            format!("unique {table} ({columns})")
        } else {
            index_fact(table, name, unique == "true", partial == "true", columns)
        };
        catalog.keys.insert(fact);
    }
    for row in query(&format!(
        "SELECT t.relname || '|' || r.relname || '|' || \
         (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) \
          WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid \
          AND a.attnum = k.attnum) || '|' || \
         (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) \
          WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.confrelid \
          AND a.attnum = k.attnum) AS line \
         FROM pg_constraint c JOIN ({tables}) t ON t.oid = c.conrelid \
         JOIN pg_class r ON r.oid = c.confrelid WHERE c.contype = 'f'"
    )) {
        catalog.keys.insert(format!(
            "foreign-key {} ({}) -> {} ({})",
            row[0], row[2], row[1], row[3]
        ));
    }
    for row in query(&format!(
        "SELECT t.relname || '|' || count(*) AS line FROM pg_constraint c \
         JOIN ({tables}) t ON t.oid = c.conrelid WHERE c.contype = 'c' GROUP BY t.relname"
    )) {
        catalog.keys.insert(format!("checks {} {}", row[0], row[1]));
    }
    catalog
}

/// How many `CHECK (…)` a CREATE TABLE statement holds, its `--`
/// comments left out.
fn check_constraints(create_table: &str) -> usize {
    create_table
        .split('\u{1f}')
        .map(|line| line.split("--").next().unwrap_or(""))
        .map(|code| {
            let upper = code.to_ascii_uppercase();
            upper
                .match_indices("CHECK")
                .filter(|(at, _)| upper[at + 5..].trim_start().starts_with('('))
                .count()
        })
        .sum()
}

fn index_fact(table: &str, name: &str, unique: bool, partial: bool, columns: &str) -> String {
    format!(
        "index {table}.{name}{}{} ({columns})",
        if unique { " unique" } else { "" },
        if partial { " partial" } else { "" }
    )
}

/// `schema.rs`'s tables: name → (primary key, columns as (name, Diesel type, nullable)).
type DieselTables = BTreeMap<String, (Vec<String>, Vec<(String, String, bool)>)>;

/// Reads the `diesel::table!` blocks of `schema.rs`.
fn diesel_tables(source: &str) -> DieselTables {
    let mut tables = DieselTables::new();
    let mut current: Option<String> = None;
    // `#[sql_name = "type"]` names the next column's SQL column.
    let mut sql_name: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if let Some(name) = line
            .strip_prefix("#[sql_name = \"")
            .and_then(|rest| rest.strip_suffix("\"]"))
        {
            sql_name = Some(name.to_owned());
            continue;
        }
        if line.starts_with("diesel::table!") {
            current = None;
            continue;
        }
        if let Some(table) = &current {
            if let Some((name, ty)) = line.split_once("->") {
                let ty = ty.trim().trim_end_matches(',');
                let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                    Some(inner) => (inner.trim_end_matches('>'), true),
                    None => (ty, false),
                };
                let name = sql_name.take().unwrap_or_else(|| name.trim().to_owned());
                tables
                    .get_mut(table)
                    .unwrap()
                    .1
                    .push((name, ty.to_owned(), nullable));
            } else if line == "}" {
                current = None;
            }
            continue;
        }
        // `name (key, …) {`
        if let Some((name, rest)) = line.split_once(" (")
            && let Some((key, _)) = rest.split_once(')')
            && line.ends_with('{')
        {
            let key = key.split(',').map(|k| k.trim().to_owned()).collect();
            tables.insert(name.trim().to_owned(), (key, Vec::new()));
            current = Some(name.trim().to_owned());
        }
    }
    tables
}

/// The SQL types a Diesel type maps to in `dialect`.
fn diesel_type_matches(diesel: &str, declared: &str, postgres: bool) -> bool {
    let declared = declared.to_ascii_lowercase();
    if !postgres {
        // SQLite: one integer storage class, whatever the declared width.
        return match diesel {
            "Integer" | "BigInt" | "SmallInt" => class(&declared) == "int",
            "Text" => class(&declared) == "text",
            "Bool" => declared == "boolean",
            "Binary" => declared == "blob",
            "Double" | "Float" => class(&declared) == "float",
            "Timestamp" => declared.starts_with("timestamp"),
            _ => false,
        };
    }
    match diesel {
        "Integer" => declared == "integer",
        "BigInt" => declared == "bigint",
        "SmallInt" => declared == "smallint",
        "Text" => class(&declared) == "text",
        "Bool" => declared == "boolean",
        "Binary" => declared == "bytea",
        "Double" => declared == "double precision",
        "Timestamp" => declared.starts_with("timestamp"),
        _ => false,
    }
}

/// What differs between `schema.rs` and a migrated catalog; empty when
/// they agree. Tables the catalog has beyond `schema.rs` are allowed only
/// for the search index.
fn schema_rs_drift(tables: &DieselTables, catalog: &Catalog, postgres: bool) -> Vec<String> {
    let dialect = if postgres { "PostgreSQL" } else { "SQLite" };
    let mut drift = Vec::new();
    let mut by_table: BTreeMap<&str, Vec<&Column>> = BTreeMap::new();
    for column in &catalog.columns {
        by_table.entry(&column.table).or_default().push(column);
    }
    for (table, (key, columns)) in tables {
        let Some(actual) = by_table.get(table.as_str()) else {
            drift.push(format!("schema.rs has table {table}; {dialect} does not"));
            continue;
        };
        for (name, ty, nullable) in columns {
            match actual.iter().find(|c| &c.name == name) {
                None => drift.push(format!("schema.rs has {table}.{name}; {dialect} does not")),
                Some(c) => {
                    if !diesel_type_matches(ty, &c.declared, postgres) {
                        drift.push(format!(
                            "{table}.{name}: schema.rs says {ty}, {dialect} says {}",
                            c.declared
                        ));
                    }
                    if c.nullable != *nullable {
                        drift.push(format!(
                            "{table}.{name}: schema.rs says {}, {dialect} says {}",
                            if *nullable { "nullable" } else { "not null" },
                            if c.nullable { "nullable" } else { "not null" }
                        ));
                    }
                }
            }
        }
        for c in actual {
            if !columns.iter().any(|(name, _, _)| name == &c.name) {
                drift.push(format!(
                    "{dialect} has {table}.{}; schema.rs does not",
                    c.name
                ));
            }
        }
        let pk = format!("primary-key {table} ({})", key.join(","));
        if !catalog.keys.contains(&pk) {
            drift.push(format!(
                "schema.rs keys {table} by ({}); {dialect} does not",
                key.join(",")
            ));
        }
    }
    for table in by_table.keys() {
        if !tables.contains_key(*table) && !is_search_table(table) {
            drift.push(format!("{dialect} has table {table}; schema.rs does not"));
        }
    }
    drift
}

/// Facts one dialect has and the other lacks, each prefixed by where it is.
fn dialect_drift(sqlite: &Catalog, postgres: &Catalog) -> Vec<String> {
    let (a, b) = (sqlite.portable(), postgres.portable());
    a.difference(&b)
        .map(|f| format!("only SQLite: {f}"))
        .chain(b.difference(&a).map(|f| format!("only PostgreSQL: {f}")))
        .collect()
}

fn migrated_sqlite() -> (tempfile::TempDir, SqliteConnection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drift.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    (dir, conn)
}

fn migrated_postgres() -> Option<(PgSchema, PgConnection)> {
    let Some(schema) = PgSchema::from_env() else {
        eprintln!("SKIPPED (PostgreSQL part): AISPACE_TEST_DATABASE_URL is not set");
        return None;
    };
    let mut conn = PgConnection::establish(schema.url()).unwrap();
    conn.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
    Some((schema, conn))
}

const SCHEMA_RS: &str = include_str!("../src/schema.rs");

#[test]
fn schema_rs_describes_the_migrated_sqlite_database() {
    let (_dir, mut conn) = migrated_sqlite();
    let drift = schema_rs_drift(&diesel_tables(SCHEMA_RS), &sqlite_catalog(&mut conn), false);
    assert!(
        drift.is_empty(),
        "schema.rs and SQLite differ:\n{}",
        drift.join("\n")
    );
}

#[test]
fn schema_rs_describes_the_migrated_postgres_database() {
    let Some((_schema, mut conn)) = migrated_postgres() else {
        return;
    };
    let drift = schema_rs_drift(&diesel_tables(SCHEMA_RS), &pg_catalog(&mut conn), true);
    assert!(
        drift.is_empty(),
        "schema.rs and PostgreSQL differ:\n{}",
        drift.join("\n")
    );
}

#[test]
fn the_two_dialects_migrate_to_the_same_tables_columns_keys_and_indexes() {
    let Some((_schema, mut pg)) = migrated_postgres() else {
        return;
    };
    let (_dir, mut sqlite) = migrated_sqlite();
    let drift = dialect_drift(&sqlite_catalog(&mut sqlite), &pg_catalog(&mut pg));
    assert!(
        drift.is_empty(),
        "the SQLite and PostgreSQL migrations differ:\n{}",
        drift.join("\n")
    );
}

#[test]
fn a_column_added_to_one_dialect_only_is_caught() {
    let (_dir, mut sqlite) = migrated_sqlite();
    sqlite
        .batch_execute("ALTER TABLE posts ADD COLUMN mood TEXT")
        .unwrap();
    let catalog = sqlite_catalog(&mut sqlite);
    let drift = schema_rs_drift(&diesel_tables(SCHEMA_RS), &catalog, false);
    assert_eq!(drift, ["SQLite has posts.mood; schema.rs does not"]);

    if let Some((_schema, mut pg)) = migrated_postgres() {
        let drift = dialect_drift(&catalog, &pg_catalog(&mut pg));
        assert_eq!(drift, ["only SQLite: column posts.mood text null"]);
    }
}

#[test]
fn an_index_or_nullability_changed_in_one_dialect_only_is_caught() {
    let (_dir, mut sqlite) = migrated_sqlite();
    sqlite
        .batch_execute("CREATE INDEX posts_by_caption ON posts (caption)")
        .unwrap();
    let catalog = sqlite_catalog(&mut sqlite);
    assert!(
        catalog
            .keys
            .contains("index posts.posts_by_caption (caption)"),
        "{:?}",
        catalog.keys
    );
    if let Some((_schema, mut pg)) = migrated_postgres() {
        pg.batch_execute("ALTER TABLE agents ALTER COLUMN bio SET NOT NULL")
            .unwrap();
        let pg_catalog = pg_catalog(&mut pg);
        let drift = dialect_drift(&catalog, &pg_catalog);
        assert!(drift.contains(&"only SQLite: index posts.posts_by_caption (caption)".to_owned()));
        assert!(drift.contains(&"only PostgreSQL: column agents.bio text".to_owned()));
        let drift = schema_rs_drift(&diesel_tables(SCHEMA_RS), &pg_catalog, true);
        assert_eq!(
            drift,
            ["agents.bio: schema.rs says nullable, PostgreSQL says not null"]
        );
    }
}
