//! Multi-row INSERT statements with bind parameters, as many rows per statement as the backend's
//! bind limit allows: a few hundred statements instead of a million round trips.

use indicatif::ProgressBar;

use crate::db::Backend;
use crate::store::Conn;

/// A query of the `Any` driver, being bound.
pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// A row of one table, bindable in `COLUMNS` order.
pub trait Row {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
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

/// Rows of `R` per statement.
pub fn rows_per_statement<R: Row>(backend: Backend) -> usize {
    max_binds(backend) / R::COLUMNS.len()
}

/// The INSERT of `rows` rows. SQLite gets anonymous `?` placeholders: it keeps `$n` as *named*
/// parameters, and looking a name up walks the list of names, so binding `$1…$n` costs O(n²) per
/// execution — seconds for a statement of 30,000 parameters.
fn statement<R: Row>(backend: Backend, rows: usize) -> String {
    let width = R::COLUMNS.len();
    let anonymous = format!("({})", vec!["?"; width].join(", "));
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", R::TABLE, R::COLUMNS.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        match backend {
            Backend::Sqlite => sql.push_str(&anonymous),
            Backend::Postgres => {
                sql.push('(');
                sql.push_str(&crate::db::placeholders(r * width + 1, width));
                sql.push(')');
            }
        }
    }
    sql
}

/// Inserts `rows` on the caller's connection or transaction, advancing `progress` per statement.
pub async fn insert<R: Row>(conn: &mut Conn, backend: Backend, rows: &[R], progress: &ProgressBar) -> sqlx::Result<()> {
    let per_statement = rows_per_statement::<R>(backend);
    // Every full chunk reuses one SQL text, so the driver prepares it once per connection.
    let full = statement::<R>(backend, per_statement.min(rows.len()));
    for chunk in rows.chunks(per_statement) {
        let partial;
        let sql = if chunk.len() == per_statement.min(rows.len()) {
            &full
        } else {
            partial = statement::<R>(backend, chunk.len());
            &partial
        };
        let mut q = sqlx::query(sql);
        for row in chunk {
            q = row.bind(q);
        }
        q.execute(&mut *conn).await?;
        progress.inc(chunk.len() as u64);
    }
    Ok(())
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
    fn statements_number_placeholders_row_by_row() {
        assert_eq!(statement::<Pair>(Backend::Postgres, 2), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(statement::<Pair>(Backend::Sqlite, 2), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        assert_eq!(rows_per_statement::<Pair>(Backend::Sqlite), 16_383);
        assert_eq!(rows_per_statement::<Pair>(Backend::Postgres), 32_767);
    }
}
