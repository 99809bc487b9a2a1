//! The dashboard wing: read models only (what a workspace holds and what the viewer may do).

pub mod pages;
