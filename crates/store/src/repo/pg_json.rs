//! A short list carried in another statement's row on PostgreSQL, as JSON: `array_to_json(
//! ARRAY(SELECT json_build_array(…) …))`, read back as a `Vec` of tuples. A page that needs a
//! chart and a few people tied to it asks for both in one statement this way, where the list
//! would otherwise be a statement of its own: a round trip, with the waiting on both sides of it
//! and PostgreSQL's work to start and end a statement. JSON rather than an array of records:
//! Citus's coordinator cannot read an anonymous record back from its workers, and binary
//! records cost PostgreSQL a kilobyte of memory per field sent. For short lists only: building
//! JSON costs more than sending rows once a list runs to tens of rows.

use diesel::QueryResult;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, ValidGrouping, is_aggregate,
};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Text;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// `json_build_array(a, b, …)` of a tuple of expressions: what each row of a subquery given to
/// [`json_list`] selects.
pub(crate) fn fields<T>(fields: T) -> Fields<T> {
    Fields(fields)
}

/// `array_to_json(ARRAY(query))`, where `query` selects [`fields`]: its rows in its order, as
/// one JSON text.
pub(crate) fn json_list<Q>(query: Q) -> JsonList<Q> {
    JsonList(query)
}

/// The rows of a [`json_list`], `table`'s as its error would name them.
pub(crate) fn rows_of<T: DeserializeOwned>(
    table: &'static str,
    json: &str,
) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(json).map_err(|_| StoreError::Corrupt(table))
}

#[derive(Debug, Clone, Copy, QueryId)]
pub(crate) struct Fields<T>(T);

// JSON, which PostgreSQL sends as its text: it is only ever read as text, never compared.
impl<T: Expression> Expression for Fields<T> {
    type SqlType = Text;
}

impl<T: QueryFragment<Pg>> QueryFragment<Pg> for Fields<T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("json_build_array(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

impl<T, QS> AppearsOnTable<QS> for Fields<T>
where
    T: AppearsOnTable<QS>,
    Self: Expression,
{
}

impl<T, QS> SelectableExpression<QS> for Fields<T>
where
    T: SelectableExpression<QS>,
    Self: AppearsOnTable<QS>,
{
}

impl<T: ValidGrouping<GB>, GB> ValidGrouping<GB> for Fields<T> {
    type IsAggregate = T::IsAggregate;
}

#[derive(Debug, Clone, Copy, QueryId)]
pub(crate) struct JsonList<Q>(Q);

impl<Q> Expression for JsonList<Q> {
    type SqlType = Text;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for JsonList<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("array_to_json(ARRAY(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql("))");
        Ok(())
    }
}

// The subqueries given here name none of the outer query's tables (what they depend on is
// bound), so they fit any outer query.
impl<Q, QS> AppearsOnTable<QS> for JsonList<Q> {}

impl<Q, QS> SelectableExpression<QS> for JsonList<Q> {}

impl<Q, GB> ValidGrouping<GB> for JsonList<Q> {
    type IsAggregate = is_aggregate::Never;
}
