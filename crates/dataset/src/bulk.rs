//! The dataset's tables, written with the widest multi-row INSERTs the backend's bind limit
//! allows (`lyceum_sql::multi_row`): a few hundred statements instead of a million round trips.

use indicatif::ProgressBar;

pub use lyceum_sql::multi_row::{rows_per_statement, AnyQuery, Row};

use lyceum_sql::{multi_row, Backend, Conn};

/// Inserts `rows` on the caller's connection or transaction, advancing `progress` per statement.
pub async fn insert<R: Row>(conn: &mut Conn, backend: Backend, rows: &[R], progress: &ProgressBar) -> sqlx::Result<()> {
    let per_statement = rows_per_statement::<R>(backend);
    multi_row::insert_chunks(conn, rows, per_statement, |n| progress.inc(n as u64)).await?;
    Ok(())
}
