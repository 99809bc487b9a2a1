//! How a use case reaches the database: through a connection it already holds (a write
//! transaction, a pooled connection), or through one taken from the pool on first use, so that a
//! read answered wholly from the caches never takes one (taking and returning one costs a round
//! trip to the database's worker).

use std::future::Future;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};

use crate::kernel::sql::Conn;

/// Something that can lend a database connection.
pub trait Db: Send {
    fn conn(&mut self) -> impl Future<Output = sqlx::Result<&mut Conn>> + Send;
}

impl Db for AnyConnection {
    async fn conn(&mut self) -> sqlx::Result<&mut Conn> {
        Ok(self)
    }
}

impl Db for PoolConnection<Any> {
    async fn conn(&mut self) -> sqlx::Result<&mut Conn> {
        Ok(&mut **self)
    }
}

impl Db for super::change::Change {
    async fn conn(&mut self) -> sqlx::Result<&mut Conn> {
        Ok(&mut **self)
    }
}

/// A pooled connection taken at the first `conn()`, then kept for the rest of the use case.
pub struct LazyConn<'a> {
    pool: &'a AnyPool,
    held: Option<PoolConnection<Any>>,
}

impl<'a> LazyConn<'a> {
    pub fn new(pool: &'a AnyPool) -> LazyConn<'a> {
        LazyConn { pool, held: None }
    }
}

impl Db for LazyConn<'_> {
    async fn conn(&mut self) -> sqlx::Result<&mut Conn> {
        if self.held.is_none() {
            self.held = Some(self.pool.acquire().await?);
        }
        match self.held.as_mut() {
            Some(conn) => Ok(&mut **conn),
            None => Err(sqlx::Error::PoolClosed),
        }
    }
}
