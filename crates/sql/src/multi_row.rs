//! Multi-row statements: many rows per statement instead of a round trip per row, always within
//! the backend's bind limit, with the placeholders each backend binds fastest. The store's batch
//! writes (invitations, memberships, audit events) and the dataset generator build them here.

use crate::{Backend, Conn};

/// A query of the `Any` driver, being bound.
pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// A row of one table, bindable in `COLUMNS` order.
pub trait Row {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// What follows the `VALUES` list, e.g. `ON CONFLICT (…) DO NOTHING`.
    const ON_CONFLICT: &'static str = "";
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q>;
}

/// The most bind parameters one statement may carry.
fn max_binds(backend: Backend) -> usize {
    match backend {
        // SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
        Backend::Sqlite => 32_766,
        // The wire protocol counts parameters in a 16-bit field.
        Backend::Postgres => 65_535,
    }
}

/// The most rows of `width` parameters one statement may carry.
pub fn max_rows(backend: Backend, width: usize) -> usize {
    max_binds(backend) / width
}

/// The most rows of `R` one statement may carry.
pub fn rows_per_statement<R: Row>(backend: Backend) -> usize {
    max_rows(backend, R::COLUMNS.len())
}

/// Rows per statement of a request's batch writes ([`insert`]). A thousand rows already make the
/// round trips negligible (10 statements for 10,000 rows); past that, a wider statement only
/// costs memory, in the statement caches as well. Below both bind limits for up to 32 columns, so
/// batches are chunked alike on both databases.
pub const BATCH_ROWS: usize = 1_000;

/// Statements of at most this many rows stay in the connection's statement cache even when their
/// width is a one-off (small batches recur); wider one-offs are prepared for their single use.
const CACHED_ROWS: usize = 16;

/// `rows` parenthesised groups of `width` placeholders: `($1, $2), ($3, $4)` on PostgreSQL,
/// `(?, ?), (?, ?)` on SQLite. SQLite keeps `$n` as *named* parameters, and looking a name up
/// walks the list of names, so binding `$1…$n` costs O(n²) per execution — seconds for a
/// statement of 30,000 parameters; anonymous `?` are bound by position.
pub fn values(backend: Backend, rows: usize, width: usize) -> String {
    let anonymous = format!("({})", vec!["?"; width].join(", "));
    let mut sql = String::with_capacity(rows * (anonymous.len() + 2) * 2);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        match backend {
            Backend::Sqlite => sql.push_str(&anonymous),
            Backend::Postgres => {
                sql.push('(');
                sql.push_str(&crate::placeholders(r * width + 1, width));
                sql.push(')');
            }
        }
    }
    sql
}

/// Runs one statement per chunk of at most `per_statement` rows (and at most the bind limit
/// allows) on the caller's connection or transaction: `statement` gets the chunk's [`values`]
/// list of `width` placeholders per row and returns the SQL, `bind` binds one row's `width`
/// values. Calls `done` with the chunk's length after each statement; returns the rows affected.
pub async fn execute_chunks<T>(
    conn: &mut Conn,
    rows: &[T],
    width: usize,
    per_statement: usize,
    statement: impl Fn(&str) -> String,
    bind: impl for<'q> Fn(&'q T, AnyQuery<'q>) -> AnyQuery<'q>,
    mut done: impl FnMut(usize),
) -> sqlx::Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let backend = Backend::of_conn(conn);
    let per_statement = per_statement.clamp(1, max_rows(backend, width));
    // Every full chunk reuses one SQL text, so the driver prepares it once per connection.
    let first = statement(&values(backend, per_statement.min(rows.len()), width));
    let mut affected = 0;
    for chunk in rows.chunks(per_statement) {
        let last;
        let sql = if chunk.len() == per_statement.min(rows.len()) {
            &first
        } else {
            last = statement(&values(backend, chunk.len(), width));
            &last
        };
        let cached = chunk.len() == per_statement || chunk.len() <= CACHED_ROWS;
        let mut q = sqlx::query(sql).persistent(cached);
        for row in chunk {
            q = bind(row, q);
        }
        affected += q.execute(&mut *conn).await?.rows_affected();
        done(chunk.len());
    }
    Ok(affected)
}

/// Inserts `rows`, `per_statement` per statement (see [`execute_chunks`]). Returns the number of
/// rows inserted (fewer than given when `ON_CONFLICT` skipped some).
pub async fn insert_chunks<R: Row>(
    conn: &mut Conn,
    rows: &[R],
    per_statement: usize,
    done: impl FnMut(usize),
) -> sqlx::Result<u64> {
    let statement = |values: &str| {
        let sql = format!("INSERT INTO {} ({}) VALUES {values}", R::TABLE, R::COLUMNS.join(", "));
        match R::ON_CONFLICT {
            "" => sql,
            on_conflict => format!("{sql} {on_conflict}"),
        }
    };
    execute_chunks(conn, rows, R::COLUMNS.len(), per_statement, statement, R::bind, done).await
}

/// Inserts a request's batch of rows on the caller's transaction, [`BATCH_ROWS`] per statement.
/// Returns the number of rows inserted.
pub async fn insert<R: Row>(conn: &mut Conn, rows: &[R]) -> sqlx::Result<u64> {
    insert_chunks(conn, rows, BATCH_ROWS, |_| {}).await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair;

    impl Row for Pair {
        const TABLE: &'static str = "t";
        const COLUMNS: &'static [&'static str] = &["a", "b"];
        fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
            q
        }
    }

    #[test]
    fn placeholders_are_numbered_row_by_row_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(values(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(values(Backend::Postgres, 1, 3), "($1, $2, $3)");
        assert_eq!(rows_per_statement::<Pair>(Backend::Sqlite), 16_383);
        assert_eq!(rows_per_statement::<Pair>(Backend::Postgres), 32_767);
        assert!(BATCH_ROWS * 32 <= max_binds(Backend::Sqlite));
    }
}
