//! `column IN (?, ?, …)` that may be cached as a prepared statement.
//!
//! Diesel's `eq_any` marks every statement it appears in as not reusable
//! (its SQL changes with the number of values), so on SQLite each feed
//! page's viewer lookup was parsed and planned afresh. The SQL of this
//! list depends only on its length, and Diesel caches statements by their
//! SQL, so a lookup is prepared once per page size (at most 51 of them per
//! connection, a few kilobytes each).

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, ValidGrouping, is_aggregate};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, Text};

#[derive(Debug, Clone, Copy)]
pub(crate) struct InList<'a, C> {
    column: C,
    values: &'a [&'a str],
}

/// `column IN (values…)`; `values` must not be empty (`IN ()` is not SQL).
pub(crate) fn in_list<'a, C>(column: C, values: &'a [&'a str]) -> InList<'a, C> {
    debug_assert!(!values.is_empty(), "IN () is not SQL");
    InList { column, values }
}

impl<C> Expression for InList<'_, C>
where
    C: Expression<SqlType = Text>,
{
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for InList<'_, C> where C: AppearsOnTable<QS, SqlType = Text> {}

impl<C, GB> ValidGrouping<GB> for InList<'_, C> {
    type IsAggregate = is_aggregate::Never;
}

impl<C> QueryId for InList<'_, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<'a, C, DB> QueryFragment<DB> for InList<'a, C>
where
    DB: Backend,
    C: QueryFragment<DB>,
    &'a str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        for (i, value) in self.values.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<Text, _>(value)?;
        }
        out.push_sql(")");
        Ok(())
    }
}
