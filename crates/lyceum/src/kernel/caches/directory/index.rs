//! One organisation's members held in memory for the member list: people in list order (email,
//! then user id) with their lower-cased email and name laid end to end in one buffer, and each
//! workspace's members. A search is one SIMD substring scan of that buffer in list order that stops
//! as soon as the page is full, so a common term costs as little as a rare one.

use std::collections::HashMap;

use lyceum_domain::id::UserId;
#[cfg(test)]
use lyceum_domain::id::WorkspaceId;
use lyceum_domain::role::MemberStatus;
use lyceum_domain::{MemberRole, OrgRole, WorkspaceRole};
use memchr::memmem;
use rustc_hash::FxBuildHasher;
use uuid::Uuid;

use crate::tenancy::queries::members::{DirectoryMembership, MemberRow};

type Map<K, V> = HashMap<K, V, FxBuildHasher>;

/// Ends each field in the search buffer. No email or name holds it (both are parsed without
/// control characters), and a search text holding it matches nobody, so no match spans two fields.
const FIELD_END: u8 = 0;

/// A workspace smaller than the buffer divided by this is searched member by member rather than
/// by scanning the whole organisation's buffer.
const SCAN_RATIO: usize = 16;

/// One member, compactly: 100,000 of them take about 15 MB with their text.
struct Person {
    user_id: Uuid,
    /// Where the email as stored starts in `OrgIndex::originals` (the name follows it).
    at: u32,
    email_len: u32,
    name_len: u32,
    role: OrgRole,
    status: MemberStatus,
}

impl Person {
    /// The email as stored, from the index's `originals`.
    fn email<'a>(&self, originals: &'a str) -> &'a str {
        &originals[self.at as usize..(self.at + self.email_len) as usize]
    }

    /// The name as stored, from the index's `originals`.
    fn name<'a>(&self, originals: &'a str) -> &'a str {
        let from = (self.at + self.email_len) as usize;
        &originals[from..from + self.name_len as usize]
    }
}

#[derive(Clone, Copy)]
struct WorkspaceMember {
    /// Index into `people` (so a workspace's members sorted by it are in list order).
    person: u32,
    role: WorkspaceRole,
    status: MemberStatus,
}

/// Which members a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Org,
    Workspace(Uuid),
}

/// A page request, with the meaning of `store::members::ListQuery`.
pub struct PageQuery<'a> {
    /// Lower-cased (`str::to_lowercase`) search text: a substring of the email or the name.
    pub text: Option<&'a str>,
    pub role: Option<&'a str>,
    pub status: Option<&'a str>,
    /// The (email, user id) of the last row of the previous page.
    pub after: Option<(&'a str, &'a str)>,
    /// Rows wanted; `limit + 1` are returned when more follow.
    pub limit: usize,
}

/// Why rows could not be indexed (a role or id the server does not know): the caller falls back
/// to the database.
#[derive(Debug, thiserror::Error)]
#[error("unindexable member row: {0}")]
pub struct Unindexable(String);

pub struct OrgIndex {
    /// Sorted by (email, user id), bytewise — the list order on both databases.
    people: Vec<Person>,
    /// Each person's email and name as stored, end to end.
    originals: String,
    /// For each person in order: lower-cased email, `FIELD_END`, lower-cased name, `FIELD_END`.
    text: Vec<u8>,
    /// Where each person's fields start in `text`, plus `text.len()` at the end.
    starts: Vec<u32>,
    /// Who is a member (for invalidation when a person's profile changes).
    by_user: Map<Uuid, u32>,
    /// Each workspace's members, sorted by person.
    workspaces: Map<Uuid, Vec<WorkspaceMember>>,
}

/// Builds an index from rows as they stream from the database, holding only the compact form:
/// members first (`member`), then `workspaces` sorts them, then memberships.
#[derive(Default)]
pub struct Builder {
    people: Vec<Person>,
    originals: String,
}

impl Builder {
    pub fn member(&mut self, m: &MemberRow) -> Result<(), Unindexable> {
        let user_id = m.user_id.to_uuid();
        let MemberRole::Org(role) = m.role else { return Err(Unindexable(format!("workspace role {}", m.role))) };
        let status = m.status;
        let at = offset(self.originals.len())?;
        self.originals.push_str(&m.email);
        self.originals.push_str(&m.name);
        let (email_len, name_len) = (offset(m.email.len())?, offset(m.name.len())?);
        self.people.push(Person { user_id, at, email_len, name_len, role, status });
        Ok(())
    }

    /// Puts the members in list order and lays out their search text; memberships come next.
    pub fn workspaces(self) -> Result<WorkspacesBuilder, Unindexable> {
        let Builder { mut people, mut originals } = self;
        originals.shrink_to_fit();
        people.sort_unstable_by(|a, b| (a.email(&originals), a.user_id).cmp(&(b.email(&originals), b.user_id)));
        let mut text = Vec::with_capacity(originals.len() + 2 * people.len());
        let mut starts = Vec::with_capacity(people.len() + 1);
        let mut by_user = Map::with_capacity_and_hasher(people.len(), FxBuildHasher);
        for (i, p) in people.iter().enumerate() {
            starts.push(offset(text.len())?);
            for field in [p.email(&originals), p.name(&originals)] {
                text.extend_from_slice(field.to_lowercase().replace(FIELD_END as char, " ").as_bytes());
                text.push(FIELD_END);
            }
            by_user.insert(p.user_id, i as u32);
        }
        starts.push(offset(text.len())?);
        text.shrink_to_fit();
        let index = OrgIndex { people, originals, text, starts, by_user, workspaces: Map::default() };
        Ok(WorkspacesBuilder { index })
    }
}

/// The second half of a build: workspace memberships, then `finish`.
pub struct WorkspacesBuilder {
    index: OrgIndex,
}

impl WorkspacesBuilder {
    pub fn membership(&mut self, w: &DirectoryMembership) -> Result<(), Unindexable> {
        let ws = w.workspace_id.to_uuid();
        let user = w.user_id.to_uuid();
        // A workspace membership always has an organisation membership (foreign key).
        let person = *self.index.by_user.get(&user).ok_or_else(|| Unindexable(w.user_id.to_string()))?;
        let (role, status) = (w.role, w.status);
        self.index.workspaces.entry(ws).or_default().push(WorkspaceMember { person, role, status });
        Ok(())
    }

    pub fn finish(mut self) -> OrgIndex {
        for list in self.index.workspaces.values_mut() {
            list.sort_unstable_by_key(|m| m.person);
            list.shrink_to_fit();
        }
        self.index
    }
}

impl OrgIndex {
    /// Builds the index of an organisation's members and workspace memberships at once.
    pub fn build(members: &[MemberRow], memberships: &[DirectoryMembership]) -> Result<OrgIndex, Unindexable> {
        let mut builder = Builder::default();
        for m in members {
            builder.member(m)?;
        }
        let mut builder = builder.workspaces()?;
        for w in memberships {
            builder.membership(w)?;
        }
        Ok(builder.finish())
    }

    /// How many members the index holds.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The memory the index holds, approximately (its allocations, not the allocator's overhead).
    pub fn heap_bytes(&self) -> usize {
        let map_entry = std::mem::size_of::<(Uuid, u32)>() + 1;
        let workspaces: usize =
            self.workspaces.values().map(|w| w.capacity() * std::mem::size_of::<WorkspaceMember>() + 64).sum();
        self.people.capacity() * std::mem::size_of::<Person>()
            + self.originals.capacity()
            + self.text.capacity()
            + self.starts.capacity() * std::mem::size_of::<u32>()
            + self.by_user.capacity() * map_entry
            + workspaces
    }

    /// Whether a user is a member (so a change to their profile changes this index).
    pub fn contains(&self, user: Uuid) -> bool {
        self.by_user.contains_key(&user)
    }

    /// One page of members, in list order: up to `limit + 1` rows, as the database would list them.
    pub fn page(&self, listing: Listing, q: &PageQuery<'_>) -> Vec<MemberRow> {
        let first = q.after.map_or(0, |after| self.first_after(after));
        let mut out = Vec::new();
        let want = q.limit + 1;
        let text = q.text.filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.as_bytes().contains(&FIELD_END)) {
            return out;
        }
        let finder = text.map(memmem::Finder::new);
        match listing {
            Listing::Org => {
                let take = |i: usize| {
                    let p = &self.people[i];
                    if filters_pass(q, p.role.as_str(), p.status) {
                        out.push(self.row(p, MemberRole::Org(p.role), p.status));
                    }
                    out.len() < want
                };
                match &finder {
                    Some(f) => self.scan(f, first, take),
                    None => {
                        (first..self.people.len()).all(take);
                    }
                }
            }
            Listing::Workspace(ws) => {
                let members = self.workspaces.get(&ws).map_or(&[][..], Vec::as_slice);
                let members = &members[members.partition_point(|m| (m.person as usize) < first)..];
                // Scanning the buffer costs its length; testing each member costs a call each.
                let scan = members.len() * SCAN_RATIO >= self.people.len() - first;
                self.workspace_page(members, first, q, finder.as_ref(), scan, &mut out);
            }
        }
        out
    }

    /// A workspace's page from `members` (those from `first` on), by scanning the buffer or by
    /// testing each member.
    fn workspace_page(
        &self,
        members: &[WorkspaceMember],
        first: usize,
        q: &PageQuery<'_>,
        finder: Option<&memmem::Finder<'_>>,
        scan: bool,
        out: &mut Vec<MemberRow>,
    ) {
        let want = q.limit + 1;
        let mut take = |m: &WorkspaceMember| {
            let p = &self.people[m.person as usize];
            if filters_pass(q, m.role.as_str(), m.status) {
                out.push(self.row(p, MemberRole::Workspace(m.role), m.status));
            }
            out.len() < want
        };
        match finder {
            Some(f) if scan => {
                let mut cursor = 0;
                self.scan(f, first, |i| {
                    cursor += members[cursor..].partition_point(|m| (m.person as usize) < i);
                    match members.get(cursor) {
                        Some(m) if m.person as usize == i => take(m),
                        _ => true,
                    }
                });
            }
            Some(f) => {
                members.iter().filter(|m| f.find(self.fields(m.person as usize)).is_some()).all(take);
            }
            None => {
                members.iter().all(take);
            }
        }
    }

    /// Calls `visit` with each person from `first` on whose email or name contains the finder's
    /// text, in list order, once each, until it answers `false`.
    fn scan(&self, finder: &memmem::Finder<'_>, first: usize, mut visit: impl FnMut(usize) -> bool) {
        let Some(&from) = self.starts.get(first) else { return };
        let mut last = None;
        for at in finder.find_iter(&self.text[from as usize..]) {
            let at = from as usize + at;
            // The person whose fields hold the match: the last start at or before it.
            let i = self.starts.partition_point(|&s| s as usize <= at) - 1;
            if last == Some(i) {
                continue;
            }
            last = Some(i);
            if !visit(i) {
                return;
            }
        }
    }

    /// The first person after a cursor's (email, user id) in list order.
    fn first_after(&self, (email, id): (&str, &str)) -> usize {
        self.people.partition_point(|p| {
            let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
            (p.email(&self.originals), &*p.user_id.hyphenated().encode_lower(&mut buf)) <= (email, id)
        })
    }

    fn row(&self, p: &Person, role: MemberRole, status: MemberStatus) -> MemberRow {
        MemberRow {
            user_id: UserId::from_uuid(p.user_id),
            email: p.email(&self.originals).to_owned(),
            name: p.name(&self.originals).to_owned(),
            role,
            status,
        }
    }

    /// A person's lower-cased fields, each followed by `FIELD_END`.
    fn fields(&self, i: usize) -> &[u8] {
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

fn filters_pass(q: &PageQuery<'_>, role: &str, status: MemberStatus) -> bool {
    q.role.is_none_or(|r| r == role) && q.status.is_none_or(|s| s == status.as_str())
}

fn offset(n: usize) -> Result<u32, Unindexable> {
    u32::try_from(n).map_err(|_| Unindexable(format!("{n} bytes of names and emails")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member with an organisation role (or, for a name that is only a workspace role, that
    /// workspace role: a row of the wrong kind).
    fn member(n: u128, email: &str, name: &str, role: &str, status: &str) -> MemberRow {
        MemberRow {
            user_id: UserId::from_uuid(Uuid::from_u128(n)),
            email: email.into(),
            name: name.into(),
            role: MemberRole::parse_org(role).or_else(|_| MemberRole::parse_workspace(role)).expect("a role"),
            status: MemberStatus::parse(status).expect("a status"),
        }
    }

    fn membership(ws: u128, user: u128, role: &str) -> DirectoryMembership {
        DirectoryMembership {
            workspace_id: WorkspaceId::from_uuid(Uuid::from_u128(ws)),
            user_id: UserId::from_uuid(Uuid::from_u128(user)),
            role: WorkspaceRole::parse(role).expect("a workspace role"),
            status: MemberStatus::Accepted,
        }
    }

    fn emails(rows: &[MemberRow]) -> Vec<&str> {
        rows.iter().map(|r| r.email.as_str()).collect()
    }

    fn query(text: Option<&str>, limit: usize) -> PageQuery<'_> {
        PageQuery { text, role: None, status: None, after: None, limit }
    }

    fn sample() -> OrgIndex {
        let members = vec![
            member(1, "zoe@x.test", "Zoë Smithers", "guest", "accepted"),
            member(2, "anna@x.test", "Anna Lee", "owner", "accepted"),
            member(3, "emile@x.test", "Émile Zola", "viewer", "pending"),
            member(4, "marc@x.test", "Marc Smith", "guest", "accepted"),
            member(5, "bob.smith@x.test", "Bob", "editor", "accepted"),
        ];
        let memberships = vec![membership(9, 4, "learner"), membership(9, 2, "owner"), membership(9, 3, "viewer")];
        OrgIndex::build(&members, &memberships).expect("indexable")
    }

    #[test]
    fn lists_in_email_order_and_finds_substrings_of_email_or_name_once() {
        let ix = sample();
        let all = ix.page(Listing::Org, &query(None, 10));
        assert_eq!(emails(&all), ["anna@x.test", "bob.smith@x.test", "emile@x.test", "marc@x.test", "zoe@x.test"]);
        // "smith" is in Bob's email, in Marc's name and in Zoë's name: each listed once.
        let smith = ix.page(Listing::Org, &query(Some("smith"), 10));
        assert_eq!(emails(&smith), ["bob.smith@x.test", "marc@x.test", "zoe@x.test"]);
        // Case folding is Unicode's, on both sides.
        assert_eq!(emails(&ix.page(Listing::Org, &query(Some("émile"), 10))), ["emile@x.test"]);
        assert_eq!(emails(&ix.page(Listing::Org, &query(Some("zoë"), 10))), ["zoe@x.test"]);
        // A match never spans the end of a field: "test" + "zoë" is not in anyone's fields.
        assert!(ix.page(Listing::Org, &query(Some("test\0zo"), 10)).is_empty());
        assert!(ix.page(Listing::Org, &query(Some("x.testzo"), 10)).is_empty());
    }

    #[test]
    fn pages_stop_at_limit_plus_one_and_resume_after_the_cursor() {
        let ix = sample();
        let first = ix.page(Listing::Org, &query(Some("@"), 1));
        assert_eq!(emails(&first), ["anna@x.test", "bob.smith@x.test"], "one more than the limit");
        let after = Some(("anna@x.test", first[0].user_id.as_str()));
        let next = ix.page(Listing::Org, &PageQuery { after, ..query(Some("@"), 2) });
        assert_eq!(emails(&next), ["bob.smith@x.test", "emile@x.test", "marc@x.test"]);
        // A cursor between rows (an email no longer listed) resumes at the next one.
        let gap = ix.page(Listing::Org, &PageQuery { after: Some(("c", "")), ..query(None, 10) });
        assert_eq!(emails(&gap), ["emile@x.test", "marc@x.test", "zoe@x.test"]);
    }

    #[test]
    fn workspaces_list_their_members_with_their_workspace_roles() {
        let ix = sample();
        let ws = Listing::Workspace(Uuid::from_u128(9));
        let all = ix.page(ws, &query(None, 10));
        assert_eq!(emails(&all), ["anna@x.test", "emile@x.test", "marc@x.test"]);
        assert_eq!(all.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(), ["owner", "viewer", "learner"]);
        assert_eq!(all[1].status, MemberStatus::Accepted, "the workspace membership's status, not the organisation's");
        assert_eq!(emails(&ix.page(ws, &query(Some("smith"), 10))), ["marc@x.test"]);
        let learners = ix.page(ws, &PageQuery { role: Some("learner"), ..query(None, 10) });
        assert_eq!(emails(&learners), ["marc@x.test"]);
        assert!(ix.page(Listing::Workspace(Uuid::from_u128(8)), &query(None, 10)).is_empty());
        let pending = ix.page(Listing::Org, &PageQuery { status: Some("pending"), ..query(None, 10) });
        assert_eq!(emails(&pending), ["emile@x.test"]);
    }

    /// The figure the configuration documents (≈ 150 bytes a member), for people like the
    /// benchmark's: an email of ~26 bytes, a name of ~13, two workspaces each.
    #[test]
    fn a_member_takes_about_150_bytes() {
        let n = 10_000u128;
        let people: Vec<_> = (0..n)
            .map(|i| member(i + 1, &format!("first.last{i:05}@example.com"), "First Lastname", "guest", "accepted"))
            .collect();
        let memberships: Vec<_> = (0..n)
            .flat_map(|i| {
                [membership(1_000_000 + i % 100, i + 1, "learner"), membership(2_000_000 + i % 7, i + 1, "viewer")]
            })
            .collect();
        let ix = OrgIndex::build(&people, &memberships).expect("indexable");
        let per_member = ix.heap_bytes() / n as usize;
        assert!((100..=200).contains(&per_member), "{per_member} bytes a member");
    }

    #[test]
    fn rows_of_the_wrong_kind_are_not_indexed() {
        // Unknown role names and ids that are not canonical cannot reach the index: the store
        // refuses to decode them. What remains: a workspace role in the organisation's list, and
        // a workspace membership without its organisation membership.
        let wrong_kind = vec![member(1, "a@x.test", "A", "trainer", "accepted")];
        assert!(OrgIndex::build(&wrong_kind, &[]).is_err());
        let orphan = vec![membership(9, 7, "owner")];
        assert!(OrgIndex::build(&[member(1, "a@x.test", "A", "guest", "accepted")], &orphan).is_err());
    }

    impl OrgIndex {
        fn workspace_page_for_test(&self, ws: u128, q: &PageQuery<'_>, scan: bool) -> Vec<MemberRow> {
            let first = q.after.map_or(0, |after| self.first_after(after));
            let members = self.workspaces.get(&Uuid::from_u128(ws)).map_or(&[][..], Vec::as_slice);
            let members = &members[members.partition_point(|m| (m.person as usize) < first)..];
            let finder = q.text.map(memmem::Finder::new);
            let mut out = Vec::new();
            self.workspace_page(members, first, q, finder.as_ref(), scan, &mut out);
            out
        }
    }

    proptest::proptest! {
        /// Scanning the buffer, walking a workspace's members and filtering every person agree.
        #[test]
        fn every_strategy_lists_what_a_plain_filter_lists(
            names in proptest::collection::vec("[a-cA-CÉé ]{0,6}", 1..40),
            text in "[a-cé]{1,2}",
            in_ws in proptest::collection::vec(proptest::bool::ANY, 40),
            limit in 1usize..6,
        ) {
            let members: Vec<_> = names.iter().enumerate()
                .map(|(i, n)| member(i as u128 + 1, &format!("{}{i}@x.test", n.replace(' ', "").to_lowercase()), n, "guest", "accepted"))
                .collect();
            let memberships: Vec<_> = (0..names.len()).filter(|i| in_ws[*i]).map(|i| membership(9, i as u128 + 1, "learner")).collect();
            let ix = OrgIndex::build(&members, &memberships).expect("indexable");
            let mut sorted = members.clone();
            sorted.sort_by(|a, b| (&a.email, &a.user_id).cmp(&(&b.email, &b.user_id)));
            let matches = |m: &MemberRow| m.email.to_lowercase().contains(&text) || m.name.to_lowercase().contains(&text);
            for (listing, scan) in [(Listing::Org, None), (Listing::Workspace(Uuid::from_u128(9)), Some(true)), (Listing::Workspace(Uuid::from_u128(9)), Some(false))] {
                let expected: Vec<&str> = sorted.iter()
                    .filter(|m| listing == Listing::Org || in_ws[m.user_id.to_uuid().as_u128() as usize - 1])
                    .filter(|m| matches(m))
                    .map(|m| m.email.as_str())
                    .collect();
                // Page through with the cursor, as a client would.
                let mut got = Vec::new();
                let mut after: Option<(String, String)> = None;
                loop {
                    let q = PageQuery { after: after.as_ref().map(|(e, i)| (e.as_str(), i.as_str())), ..query(Some(&text), limit) };
                    let mut page = match scan {
                        None => ix.page(listing, &q),
                        Some(scan) => ix.workspace_page_for_test(9, &q, scan),
                    };
                    let more = page.len() > limit;
                    page.truncate(limit);
                    after = page.last().map(|r| (r.email.clone(), r.user_id.to_string()));
                    got.extend(page.into_iter().map(|r| r.email));
                    if !more { break; }
                }
                proptest::prop_assert_eq!(got, expected);
            }
        }
    }
}
