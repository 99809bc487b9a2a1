//! The SQL helpers every wing's store uses. Each wing's queries are written once in SQL that
//! SQLite and PostgreSQL both run (`$n` placeholders, BIGINT/TEXT columns, times in Unix ms;
//! batches go through `kernel::multi_row`, which gives SQLite anonymous `?` instead). Store
//! functions take the caller's connection so a use case can run several of them in one
//! transaction.

pub use lyceum_sql::Conn;

/// Whether an error is a unique-constraint violation (e.g. an email already taken).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Column `name` of `row` as a typed value (an id, a role, a status) parsed from its stored text;
/// text that does not parse is a decoding error, never a silently wrong value.
pub fn typed<T>(row: &sqlx::any::AnyRow, name: &str) -> sqlx::Result<T>
where
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    use sqlx::Row as _;
    let text: String = row.try_get(name)?;
    parse(name, text)
}

/// Like [`typed`], for a nullable column.
pub fn typed_opt<T>(row: &sqlx::any::AnyRow, name: &str) -> sqlx::Result<Option<T>>
where
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    use sqlx::Row as _;
    let text: Option<String> = row.try_get(name)?;
    text.map(|t| parse(name, t)).transpose()
}

/// Stored text of column `name` parsed as a typed value; text that does not parse is a decoding
/// error of that column.
pub fn parse<T>(name: &str, text: String) -> sqlx::Result<T>
where
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    decoded(name, T::try_from(text))
}

/// A parse of column `name`'s stored value, its failure a decoding error of that column.
pub fn decoded<T, E: std::error::Error + Send + Sync + 'static>(name: &str, parsed: Result<T, E>) -> sqlx::Result<T> {
    parsed.map_err(|e| sqlx::Error::ColumnDecode { index: name.to_owned(), source: Box::new(e) })
}
