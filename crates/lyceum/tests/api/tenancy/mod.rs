//! Tenancy: organisations and workspaces, members, invitations, leaving, the member directory and
//! the Members page.

mod invitations;
mod leave;
mod member_directory;
mod members;
mod orgs;
mod ui_members;
