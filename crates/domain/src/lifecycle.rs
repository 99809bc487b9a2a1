//! The states of courses, assignments, attempts, invoices and leases (PRODUCT.md §4–§8, API.md),
//! each with its allowed transitions held as data, so a use case asks `can_transition_to` rather
//! than spelling the rule again.

use crate::named::named_enum;

/// A closed set of states and the moves allowed between them. A state never "moves" to itself:
/// staying put is not a transition.
pub trait Lifecycle: Copy + Eq + 'static {
    /// Every allowed move, `(from, to)`.
    const TRANSITIONS: &'static [(Self, Self)];

    /// Whether `self → next` is an allowed move.
    fn can_transition_to(self, next: Self) -> bool {
        Self::TRANSITIONS.contains(&(self, next))
    }

    /// The states reachable from `self` in one move.
    fn next_states(self) -> impl Iterator<Item = Self> {
        Self::TRANSITIONS.iter().filter(move |(from, _)| *from == self).map(|(_, to)| *to)
    }

    /// Whether no move leaves `self`.
    fn is_final(self) -> bool {
        self.next_states().next().is_none()
    }
}

named_enum!(
    /// Where a course is in its life. A course has one draft and numbered published versions;
    /// `published` means it has at least one. Publishing again adds a version and stays `published`.
    CourseStatus, "status" {
        /// Never published: only the draft exists.
        Draft => "draft",
        /// At least one published version; assignable.
        Published => "published",
        /// In the trash, until restored or purged.
        Trashed => "trashed",
    }
);

impl Lifecycle for CourseStatus {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (CourseStatus::Draft, CourseStatus::Published),
        (CourseStatus::Draft, CourseStatus::Trashed),
        (CourseStatus::Published, CourseStatus::Trashed),
        // Restore goes back to what it was: a draft if it never had a version, else published.
        (CourseStatus::Trashed, CourseStatus::Draft),
        (CourseStatus::Trashed, CourseStatus::Published),
    ];
}

named_enum!(
    /// The `status` filter of the course list (API.md): a state, or where the course came from.
    CourseFilter, "status" {
        /// Courses never published.
        Draft => "draft",
        /// Courses with a published version.
        Published => "published",
        /// Courses in the trash.
        Trashed => "trashed",
        /// Read-only library entries of leases.
        Leased => "leased",
        /// Owned copies bought on the marketplace.
        Purchased => "purchased",
    }
);

named_enum!(
    /// A learner's assignment (PRODUCT.md §1, §5).
    AssignmentStatus, "status" {
        /// Assigned, not launched yet.
        Assigned => "assigned",
        /// Launched at least once.
        InProgress => "in_progress",
        /// Its attempt was scored (or a reviewer set the overall score).
        Completed => "completed",
        /// Its course was trashed while it was active.
        Abandoned => "abandoned",
    }
);

impl Lifecycle for AssignmentStatus {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (AssignmentStatus::Assigned, AssignmentStatus::InProgress),
        (AssignmentStatus::Assigned, AssignmentStatus::Abandoned),
        (AssignmentStatus::InProgress, AssignmentStatus::Completed),
        (AssignmentStatus::InProgress, AssignmentStatus::Abandoned),
    ];
}

impl AssignmentStatus {
    /// Whether the assignment still holds its learner (and blocks `group_in_use`, takes a lease seat,
    /// makes a new assignment of the course `already_assigned`).
    pub fn is_active(self) -> bool {
        matches!(self, AssignmentStatus::Assigned | AssignmentStatus::InProgress)
    }
}

named_enum!(
    /// One run of a course version (API.md "Attempts").
    AttemptStatus, "status" {
        /// The learner is taking it.
        Active => "active",
        /// Out of credits; the next turn resumes it.
        Paused => "paused",
        /// Finished; waiting for scoring.
        Ended => "ended",
        /// The scoring job is running.
        Scoring => "scoring",
        /// A score report exists.
        Scored => "scored",
        /// The scorer failed or there is none: it waits for a reviewer (never a score of 0).
        Unscored => "unscored",
    }
);

impl Lifecycle for AttemptStatus {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (AttemptStatus::Active, AttemptStatus::Paused),
        (AttemptStatus::Paused, AttemptStatus::Active),
        (AttemptStatus::Active, AttemptStatus::Ended),
        (AttemptStatus::Paused, AttemptStatus::Ended),
        (AttemptStatus::Ended, AttemptStatus::Scoring),
        // Quizzes alone are scored exactly, at once; with no provider it waits for a reviewer.
        (AttemptStatus::Ended, AttemptStatus::Scored),
        (AttemptStatus::Ended, AttemptStatus::Unscored),
        (AttemptStatus::Scoring, AttemptStatus::Scored),
        (AttemptStatus::Scoring, AttemptStatus::Unscored),
        // A re-run of the scorer, or a reviewer's overall score.
        (AttemptStatus::Unscored, AttemptStatus::Scoring),
        (AttemptStatus::Unscored, AttemptStatus::Scored),
    ];
}

impl AttemptStatus {
    /// Whether turns and progress are still accepted (else `attempt_closed`).
    pub fn is_open(self) -> bool {
        matches!(self, AttemptStatus::Active | AttemptStatus::Paused)
    }
}

named_enum!(
    /// An invoice (API.md "Billing"): immutable once issued; paid or void as the admin marks it.
    InvoiceStatus, "status" {
        /// Being assembled for the period; not yet numbered.
        Draft => "draft",
        /// Numbered and immutable.
        Issued => "issued",
        /// Marked paid by the instance admin.
        Paid => "paid",
        /// Marked void by the instance admin (corrections are credit notes).
        Void => "void",
    }
);

impl Lifecycle for InvoiceStatus {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (InvoiceStatus::Draft, InvoiceStatus::Issued),
        (InvoiceStatus::Issued, InvoiceStatus::Paid),
        (InvoiceStatus::Issued, InvoiceStatus::Void),
    ];
}

named_enum!(
    /// A lease (PRODUCT.md §8). API.md names no lease status field; these are the two states its
    /// code `lease_expired` and its webhook event `lease.expired` imply.
    LeaseStatus, "status" {
        /// Within its term: assignments and launches allowed.
        Active => "active",
        /// Past its term: no new assignments or launches; attempts in progress may finish within
        /// the grace period.
        Expired => "expired",
    }
);

impl Lifecycle for LeaseStatus {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (LeaseStatus::Active, LeaseStatus::Expired),
        // Renewed after its term.
        (LeaseStatus::Expired, LeaseStatus::Active),
    ];
}

impl LeaseStatus {
    /// The status at `now` of a lease ending at `ends_at` (both Unix milliseconds).
    pub fn at(ends_at: i64, now: i64) -> LeaseStatus {
        if now < ends_at {
            LeaseStatus::Active
        } else {
            LeaseStatus::Expired
        }
    }

    /// Whether an attempt already in progress may still go on at `now`: within the term, or
    /// within `grace_ms` after it.
    pub fn attempt_may_continue(ends_at: i64, grace_ms: i64, now: i64) -> bool {
        i128::from(now) < i128::from(ends_at) + i128::from(grace_ms)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::named::assert_names_round_trip;

    /// Asserts that the allowed moves of `L` are exactly `expected` ("from -> to", by wire name),
    /// checking every ordered pair of states.
    pub(crate) fn assert_transitions<L: Lifecycle + std::fmt::Display>(all: &[L], expected: &[&str]) {
        for from in all {
            assert!(!from.can_transition_to(*from), "{from} -> {from} must not be a transition");
            for to in all {
                let written = expected.contains(&format!("{from} -> {to}").as_str());
                assert_eq!(from.can_transition_to(*to), written, "{from} -> {to}");
            }
        }
        assert_eq!(L::TRANSITIONS.len(), expected.len(), "a transition is listed twice");
    }

    #[test]
    fn names_round_trip() {
        assert_names_round_trip!(CourseStatus);
        assert_names_round_trip!(CourseFilter);
        assert_names_round_trip!(AssignmentStatus);
        assert_names_round_trip!(AttemptStatus);
        assert_names_round_trip!(InvoiceStatus);
        assert_names_round_trip!(LeaseStatus);
    }

    #[test]
    fn course_transitions() {
        assert_transitions(
            CourseStatus::ALL,
            &[
                "draft -> published",
                "draft -> trashed",
                "published -> trashed",
                "trashed -> draft",
                "trashed -> published",
            ],
        );
        // Every course state is a filter value of the list.
        for s in CourseStatus::ALL {
            assert!(CourseFilter::parse(s.as_str()).is_ok());
        }
    }

    #[test]
    fn assignment_transitions() {
        assert_transitions(
            AssignmentStatus::ALL,
            &[
                "assigned -> in_progress",
                "assigned -> abandoned",
                "in_progress -> completed",
                "in_progress -> abandoned",
            ],
        );
        assert!(AssignmentStatus::Completed.is_final() && AssignmentStatus::Abandoned.is_final());
        let active: Vec<_> = AssignmentStatus::ALL.iter().filter(|s| s.is_active()).collect();
        assert_eq!(active, [&AssignmentStatus::Assigned, &AssignmentStatus::InProgress]);
    }

    #[test]
    fn attempt_transitions() {
        assert_transitions(
            AttemptStatus::ALL,
            &[
                "active -> paused",
                "paused -> active",
                "active -> ended",
                "paused -> ended",
                "ended -> scoring",
                "ended -> scored",
                "ended -> unscored",
                "scoring -> scored",
                "scoring -> unscored",
                "unscored -> scoring",
                "unscored -> scored",
            ],
        );
        assert!(AttemptStatus::Scored.is_final());
        for s in AttemptStatus::ALL {
            // Only an open attempt takes turns; once closed it never opens again.
            assert_eq!(s.is_open(), matches!(s, AttemptStatus::Active | AttemptStatus::Paused));
            if !s.is_open() {
                assert!(s.next_states().all(|n| !n.is_open()), "{s} reopens");
            }
        }
    }

    #[test]
    fn invoice_transitions() {
        assert_transitions(InvoiceStatus::ALL, &["draft -> issued", "issued -> paid", "issued -> void"]);
        assert!(InvoiceStatus::Paid.is_final() && InvoiceStatus::Void.is_final());
    }

    #[test]
    fn lease_transitions_and_term() {
        assert_transitions(LeaseStatus::ALL, &["active -> expired", "expired -> active"]);
        assert_eq!(LeaseStatus::at(1_000, 999), LeaseStatus::Active);
        assert_eq!(LeaseStatus::at(1_000, 1_000), LeaseStatus::Expired);
        assert!(LeaseStatus::attempt_may_continue(1_000, 500, 1_499));
        assert!(!LeaseStatus::attempt_may_continue(1_000, 500, 1_500));
        assert!(LeaseStatus::attempt_may_continue(i64::MAX, i64::MAX, i64::MAX - 1));
    }
}
