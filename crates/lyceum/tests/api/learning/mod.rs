//! The learning wing: courses with their draft and versions, the optimistic draft save under
//! concurrency, the library's search and filters, duplicate, templates, the trash and its purge,
//! and who may read or change what.

mod courses;
mod generation;
mod uploads;
