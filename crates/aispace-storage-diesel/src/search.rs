//! Full-text search (see the migration): SQLite's FTS5 index and
//! PostgreSQL's `tsvector` under GIN, with the same meaning. The match
//! expressions are built here from the query's words, which hold letters
//! and digits only (see `SearchTerms`), so nothing a caller types reaches
//! either database as syntax; the words themselves are bound values.

use std::collections::HashMap;

use aispace_domain::model::{
    Agent, AgentStatus, Community, Id, PostStatus, SearchDocument, SearchKind, SearchTerms,
};
use aispace_domain::ports::{CommunityStore, SearchStore, StoreError};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::errors::unavailable;
use crate::rows::AgentRow;
use crate::schema::agents;
use crate::{DbConnection, DieselStore};

#[derive(QueryableByName)]
struct DocumentId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    ref_id: String,
}

/// Writes (or rewrites) the index entry of one thing, in the caller's
/// transaction.
pub(crate) fn index(
    conn: &mut DbConnection,
    kind: SearchKind,
    ref_id: &str,
    doc: &SearchDocument,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            let id = diesel::sql_query(
                "INSERT INTO search_documents (kind, ref_id) VALUES (?, ?) \
                 ON CONFLICT (kind, ref_id) DO UPDATE SET kind = excluded.kind RETURNING id",
            )
            .bind::<Text, _>(kind.as_str())
            .bind::<Text, _>(ref_id)
            .get_result::<DocumentId>(c)?
            .id;
            diesel::sql_query("DELETE FROM search_index WHERE rowid = ?")
                .bind::<BigInt, _>(id)
                .execute(c)?;
            diesel::sql_query(
                "INSERT INTO search_index (rowid, kind, title, body) VALUES (?, ?, ?, ?)",
            )
            .bind::<BigInt, _>(id)
            .bind::<Text, _>(kind.as_str())
            .bind::<Text, _>(&doc.title)
            .bind::<Text, _>(&doc.body)
            .execute(c)?;
        }
        DbConnection::Pg(c) => {
            diesel::sql_query(
                "INSERT INTO search_documents (kind, ref_id, title, body) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, body = excluded.body",
            )
            .bind::<Text, _>(kind.as_str())
            .bind::<Text, _>(ref_id)
            .bind::<Text, _>(&doc.title)
            .bind::<Text, _>(&doc.body)
            .execute(c)?;
        }
    }
    Ok(())
}

/// Removes the index entry of one thing, in the caller's transaction.
pub(crate) fn unindex(conn: &mut DbConnection, kind: SearchKind, ref_id: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::sql_query(
                "DELETE FROM search_index WHERE rowid IN \
                 (SELECT id FROM search_documents WHERE kind = ? AND ref_id = ?)",
            )
            .bind::<Text, _>(kind.as_str())
            .bind::<Text, _>(ref_id)
            .execute(c)?;
            diesel::sql_query("DELETE FROM search_documents WHERE kind = ? AND ref_id = ?")
                .bind::<Text, _>(kind.as_str())
                .bind::<Text, _>(ref_id)
                .execute(c)?;
        }
        DbConnection::Pg(c) => {
            diesel::sql_query("DELETE FROM search_documents WHERE kind = $1 AND ref_id = $2")
                .bind::<Text, _>(kind.as_str())
                .bind::<Text, _>(ref_id)
                .execute(c)?;
        }
    }
    Ok(())
}

/// FTS5: every word in the title or body, the last also as a prefix,
/// within the entries of `kind`.
fn fts5_match(kind: SearchKind, terms: &SearchTerms) -> String {
    let words = terms.terms();
    let mut expr = format!("kind : {}", kind.as_str());
    for (i, word) in words.iter().enumerate() {
        let prefix = if i + 1 == words.len() { "*" } else { "" };
        expr.push_str(&format!(" AND {{title body}} : \"{word}\"{prefix}"));
    }
    expr
}

/// PostgreSQL: the same, as a `tsquery`.
fn tsquery(terms: &SearchTerms) -> String {
    let words = terms.terms();
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            if i + 1 == words.len() {
                format!("'{word}':*")
            } else {
                format!("'{word}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// How many of the best matches are ranked before what may not be shown
/// is dropped, per result asked for.
const OVERFETCH: i64 = 4;

/// The ids of `kind` matching `terms`, most relevant first. `join` and
/// `live` narrow them to what may be shown (`d.ref_id` is the id).
///
/// The index ranks its matches alone first and hands over only the best
/// `OVERFETCH × limit`; only those are joined to the tables that say
/// whether they may be shown. Joining every match before ranking cost a
/// row lookup per match: a common word matches half of all posts. The
/// price: when more than three in four of the best matches are hidden
/// (suspended authors, unpublished posts), a page comes back short.
fn ranked_ids(
    conn: &mut DbConnection,
    kind: SearchKind,
    terms: &SearchTerms,
    join: &str,
    live: &str,
    limit: usize,
) -> QueryResult<Vec<String>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let best = limit.saturating_mul(OVERFETCH);
    let found = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT d.ref_id AS ref_id FROM ( \
               SELECT rowid AS doc, bm25(search_index, 0.0, 2.0, 1.0) AS score \
               FROM search_index WHERE search_index MATCH ? \
               ORDER BY score, rowid DESC LIMIT ? \
             ) hit JOIN search_documents d ON d.id = hit.doc {join} \
             WHERE 1 = 1 {live} \
             ORDER BY hit.score, d.ref_id DESC LIMIT ?"
        ))
        .bind::<Text, _>(fts5_match(kind, terms))
        .bind::<BigInt, _>(best)
        .bind::<BigInt, _>(limit)
        .load::<Found>(c)?,
        DbConnection::Pg(c) => diesel::sql_query(format!(
            "SELECT d.ref_id AS ref_id FROM ( \
               SELECT ref_id, ts_rank(document, to_tsquery('simple', $2)) AS score \
               FROM search_documents \
               WHERE kind = $1 AND document @@ to_tsquery('simple', $2) \
               ORDER BY score DESC, ref_id DESC LIMIT $3 \
             ) d {join} \
             WHERE true {live} \
             ORDER BY d.score DESC, d.ref_id DESC LIMIT $4"
        ))
        .bind::<Text, _>(kind.as_str())
        .bind::<Text, _>(tsquery(terms))
        .bind::<BigInt, _>(best)
        .bind::<BigInt, _>(limit)
        .load::<Found>(c)?,
    };
    Ok(found.into_iter().map(|f| f.ref_id).collect())
}

/// Rows loaded by id, put back in the order of `ids`.
fn in_order<T>(ids: &[String], rows: Vec<T>, id_of: impl Fn(&T) -> &str) -> Vec<T> {
    let mut by_id: HashMap<String, T> = rows
        .into_iter()
        .map(|row| (id_of(&row).to_owned(), row))
        .collect();
    ids.iter().filter_map(|id| by_id.remove(id)).collect()
}

impl SearchStore for DieselStore {
    fn search_posts(&self, terms: &SearchTerms, limit: usize) -> Result<Vec<Id>, StoreError> {
        let mut conn = self.conn()?;
        let live = format!(
            "AND p.status = '{}' AND a.status = '{}'",
            PostStatus::Published.as_str(),
            AgentStatus::Active.as_str()
        );
        let ids = ranked_ids(
            &mut conn,
            SearchKind::Post,
            terms,
            "JOIN posts p ON p.id = d.ref_id JOIN agents a ON a.id = p.author_id",
            &live,
            limit,
        )
        .map_err(unavailable)?;
        Ok(ids.into_iter().map(Id::from_trusted).collect())
    }

    fn search_agents(&self, terms: &SearchTerms, limit: usize) -> Result<Vec<Agent>, StoreError> {
        let mut conn = self.conn()?;
        let live = format!("AND a.status = '{}'", AgentStatus::Active.as_str());
        let ids = ranked_ids(
            &mut conn,
            SearchKind::Agent,
            terms,
            "JOIN agents a ON a.id = d.ref_id",
            &live,
            limit,
        )
        .map_err(unavailable)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<AgentRow> = agents::table
            .filter(agents::id.eq_any(&ids))
            .select(AgentRow::as_select())
            .load(&mut *conn)
            .map_err(unavailable)?;
        in_order(&ids, rows, |row| row.id.as_str())
            .into_iter()
            .map(Agent::try_from)
            .collect()
    }

    fn search_communities(
        &self,
        terms: &SearchTerms,
        limit: usize,
    ) -> Result<Vec<Community>, StoreError> {
        let mut conn = self.conn()?;
        let ids = ranked_ids(&mut conn, SearchKind::Community, terms, "", "", limit)
            .map_err(unavailable)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The pooled connection goes back before the next read takes one.
        drop(conn);
        let wanted: Vec<Id> = ids.iter().cloned().map(Id::from_trusted).collect();
        let found = CommunityStore::communities_by_id(self, &wanted)?;
        Ok(in_order(&ids, found, |c| c.id.as_str()))
    }
}
