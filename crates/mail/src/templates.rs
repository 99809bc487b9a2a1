//! The emails Lyceum sends, each rendered from askama templates (`templates/*.txt` and
//! `*.html`, the HTML auto-escaped) into an [`Envelope`] ready for [`crate::enqueue`].

use askama::Template;

use crate::Envelope;

/// An invitation to join an organisation (and, optionally, one of its workspaces).
#[derive(Debug, Clone, Copy)]
pub struct Invitation<'a> {
    pub to: &'a str,
    pub organization: &'a str,
    pub workspace: Option<&'a str>,
    /// The inviter's display name.
    pub inviter: &'a str,
    pub role: &'a str,
    /// `<base url>/invite/<token>`.
    pub link: &'a str,
    /// Already formatted for people, e.g. `2026-12-01 12:00 UTC`.
    pub expires: &'a str,
}

/// "Olivia invited you to Acme on Lyceum", with the accept link.
pub fn invitation(i: &Invitation) -> Envelope {
    let subject = format!("{} invited you to {} on Lyceum", i.inviter, place(i.organization, i.workspace));
    envelope(i.to, &subject, &InvitationText { i }, &InvitationHtml { subject: &subject, i })
}

/// A notice that an existing account was added to an organisation or workspace.
#[derive(Debug, Clone, Copy)]
pub struct Added<'a> {
    pub to: &'a str,
    pub organization: &'a str,
    pub workspace: Option<&'a str>,
    /// The display name of whoever added them.
    pub inviter: &'a str,
    pub role: &'a str,
    /// Where to sign in.
    pub link: &'a str,
}

/// "You were added to Acme on Lyceum", with the role and a sign-in link.
pub fn added(a: &Added) -> Envelope {
    let subject = format!("You were added to {} on Lyceum", place(a.organization, a.workspace));
    envelope(a.to, &subject, &AddedText { a }, &AddedHtml { subject: &subject, a })
}

/// A security notice: the account's `what` (`"password"` or `"email address"`) changed at
/// `when` (formatted for people). For an email change, send it to the old address.
pub fn account_changed(to: &str, what: &str, when: &str) -> Envelope {
    let subject = format!("Your Lyceum {what} was changed");
    envelope(to, &subject, &AccountChangedText { what, when }, &AccountChangedHtml { subject: &subject, what, when })
}

/// A budget alert: a workspace's spend crossed one of its budget's percents.
#[derive(Debug, Clone, Copy)]
pub struct BudgetAlert<'a> {
    pub to: &'a str,
    pub workspace: &'a str,
    pub percent: u32,
    /// Credits spent this period and the monthly budget, as exact decimals.
    pub spent: &'a str,
    pub budget: &'a str,
    pub hard: bool,
    /// The workspace's AI Cost page.
    pub link: &'a str,
}

/// "Onboarding has spent 80% of its AI budget", with the figures and a link to AI Cost.
pub fn budget_alert(a: &BudgetAlert) -> Envelope {
    let subject = format!("{} has spent {}% of its AI budget", a.workspace, a.percent);
    envelope(a.to, &subject, &BudgetAlertText { a }, &BudgetAlertHtml { subject: &subject, a })
}

/// "Acme", or "Onboarding in Acme" for a workspace.
fn place(organization: &str, workspace: Option<&str>) -> String {
    match workspace {
        Some(workspace) => format!("{workspace} in {organization}"),
        None => organization.to_owned(),
    }
}

fn envelope(to: &str, subject: &str, text: &impl Template, html: &impl Template) -> Envelope {
    Envelope { to: to.to_owned(), subject: subject.to_owned(), text: render(text), html: render(html) }
}

fn render(template: &impl Template) -> String {
    // The templates only interpolate `&str`s into a `String`, neither of which can fail.
    template.render().expect("rendering string fields into a String cannot fail")
}

#[derive(Template)]
#[template(path = "invitation.txt")]
struct InvitationText<'a> {
    i: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationHtml<'a> {
    subject: &'a str,
    i: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "added.txt")]
struct AddedText<'a> {
    a: &'a Added<'a>,
}

#[derive(Template)]
#[template(path = "added.html")]
struct AddedHtml<'a> {
    subject: &'a str,
    a: &'a Added<'a>,
}

#[derive(Template)]
#[template(path = "account_changed.txt")]
struct AccountChangedText<'a> {
    what: &'a str,
    when: &'a str,
}

#[derive(Template)]
#[template(path = "account_changed.html")]
struct AccountChangedHtml<'a> {
    subject: &'a str,
    what: &'a str,
    when: &'a str,
}

#[derive(Template)]
#[template(path = "budget_alert.txt")]
struct BudgetAlertText<'a> {
    a: &'a BudgetAlert<'a>,
}

#[derive(Template)]
#[template(path = "budget_alert.html")]
struct BudgetAlertHtml<'a> {
    subject: &'a str,
    a: &'a BudgetAlert<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme_invitation<'a>(organization: &'a str, workspace: Option<&'a str>) -> Invitation<'a> {
        Invitation {
            to: "sam@example.com",
            organization,
            workspace,
            inviter: "Olivia Owner",
            role: "trainer",
            link: "https://lyceum.example/invite/tok_123?a=1&b=2",
            expires: "2026-12-01 12:00 UTC",
        }
    }

    #[test]
    fn an_invitation_names_the_organisation_workspace_inviter_role_link_and_expiry() {
        let mail = invitation(&acme_invitation("Acme", Some("Onboarding")));
        assert_eq!(mail.to, "sam@example.com");
        assert_eq!(mail.subject, "Olivia Owner invited you to Onboarding in Acme on Lyceum");
        for part in [&mail.text, &mail.html] {
            for needle in ["Acme", "Onboarding", "Olivia Owner", "trainer", "2026-12-01 12:00 UTC"] {
                assert!(part.contains(needle), "{needle:?} missing from {part}");
            }
        }
        assert!(mail.text.contains("https://lyceum.example/invite/tok_123?a=1&b=2"));
        assert!(mail.html.contains("href=\"https://lyceum.example/invite/tok_123?a=1&#38;b=2\""));
        insta::assert_snapshot!("invitation_text", mail.text);
        insta::assert_snapshot!("invitation_html", mail.html);
    }

    #[test]
    fn an_organisation_invitation_leaves_the_workspace_out() {
        let mail = invitation(&acme_invitation("Acme", None));
        assert_eq!(mail.subject, "Olivia Owner invited you to Acme on Lyceum");
        assert!(!mail.text.contains("workspace"));
    }

    #[test]
    fn names_are_escaped_in_html_and_kept_verbatim_in_text() {
        let evil = "<script>alert(1)</script> & Co";
        let mail = invitation(&acme_invitation(evil, Some("<b>ws</b>")));
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("<b>ws"), "{}", mail.html);
        assert!(mail.html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; Co"), "{}", mail.html);
        assert!(mail.text.contains(evil));
        assert!(mail.subject.contains(evil));
    }

    #[test]
    fn an_added_notice_names_the_place_role_and_sign_in_link() {
        let mail = added(&Added {
            to: "sam@example.com",
            organization: "Acme",
            workspace: Some("Onboarding"),
            inviter: "Olivia Owner",
            role: "reviewer",
            link: "https://lyceum.example/login",
        });
        assert_eq!(mail.subject, "You were added to Onboarding in Acme on Lyceum");
        for part in [&mail.text, &mail.html] {
            for needle in ["Acme", "Onboarding", "Olivia Owner", "reviewer", "https://lyceum.example/login"] {
                assert!(part.contains(needle), "{needle:?} missing from {part}");
            }
        }
        insta::assert_snapshot!("added_text", mail.text);
        insta::assert_snapshot!("added_html", mail.html);
    }

    #[test]
    fn an_account_change_is_a_security_notice() {
        let mail = account_changed("sam@example.com", "email address", "2026-11-23 10:00 UTC");
        assert_eq!(mail.subject, "Your Lyceum email address was changed");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("email address"));
            assert!(part.contains("2026-11-23 10:00 UTC"));
            assert!(part.contains("reset your password"));
        }
        insta::assert_snapshot!("account_changed_text", mail.text);
        insta::assert_snapshot!("account_changed_html", mail.html);
    }
}
