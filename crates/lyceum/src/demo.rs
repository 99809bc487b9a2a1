//! The demo organisation: a living product for a newcomer — workspaces, members in every role,
//! people who have not signed in yet (Pending), and invitations waiting for an answer.

use crate::accounts::queries::users::{self, NewUser};
use crate::kernel::db::now_ms;
use crate::kernel::scope::ScopeRef;
use crate::kernel::{Caller, Lyceum, Origin, Principal, UserRef};
use crate::security::password;
use crate::tenancy::orgs::NewOrg;
use lyceum_domain::id::UserId;
use lyceum_domain::{MemberRole, WorkspaceRole};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "lyceum demo password";
/// The demo organisation owner.
pub const DEMO_OWNER: &str = "olivia@demo.lyceum.test";

/// (email, name)
const PEOPLE: &[(&str, &str)] = &[
    (DEMO_OWNER, "Olivia Owner"),
    ("oscar@demo.lyceum.test", "Oscar Editor"),
    ("vera@demo.lyceum.test", "Vera Viewer"),
    ("walter@demo.lyceum.test", "Walter Workspace-Owner"),
    ("tina@demo.lyceum.test", "Tina Trainer"),
    ("rita@demo.lyceum.test", "Rita Reviewer"),
    ("leo@demo.lyceum.test", "Leo Learner"),
    ("eddie@demo.lyceum.test", "Eddie Editor"),
    ("vic@demo.lyceum.test", "Vic Viewer"),
    ("gail@demo.lyceum.test", "Gail Guest"),
];

/// Prices two models and reports four weeks of AI usage in Sales Academy (simulations, scoring,
/// the assistant; by its owner, trainer and learner), so AI Cost has something to show.
async fn seed_spend(
    lyceum: &Lyceum,
    owner: &Caller,
    org: &lyceum_domain::id::OrgId,
    ws: &lyceum_domain::id::WorkspaceId,
    ids: &[UserId],
    course: &lyceum_domain::id::CourseId,
    now: i64,
) -> anyhow::Result<usize> {
    use lyceum_domain::credits::{Micros, Price};
    let credits = lyceum.credits();
    // Cents per million tokens: a hosted model, and a local one that costs nothing.
    credits
        .set_model(owner, org, "hosted-small", Price { input: Micros::units(15), output: Micros::units(60) }, true)
        .await?;
    credits.set_model(owner, org, "local-llama", Price { input: Micros::ZERO, output: Micros::ZERO }, true).await?;
    let people = [&ids[3], &ids[4], &ids[6]];
    let features = ["simulation", "simulation", "scoring", "assistant"];
    let mut events = Vec::new();
    for i in 0..96_i64 {
        let (model, feature) =
            if i % 5 == 0 { ("local-llama", "assistant") } else { ("hosted-small", features[(i % 4) as usize]) };
        events.push(crate::credits::usage::NewEvent {
            idempotency_key: format!("demo-{i}"),
            feature: feature.to_owned(),
            model: model.to_owned(),
            input_tokens: 20_000 + (i * 7_919) % 60_000,
            output_tokens: 2_000 + (i * 3_571) % 9_000,
            course_id: (feature != "assistant").then(|| course.to_string()),
            user_id: Some(people[(i % 3) as usize].to_string()),
            at: Some(now - (i * 6 + 1) * 3_600_000),
        });
    }
    let n = events.len();
    credits.ingest(owner, ws, events).await?;
    Ok(n)
}

/// The demo's flagship course: slides, a quiz, a role-play with scripted lines (it plays with no
/// AI provider configured) and a weighted rubric.
fn objection_course() -> serde_json::Value {
    serde_json::json!({
        "modules": [
            {"title": "Why buyers push back", "blocks": [
                {"kind": "slide", "markdown": "# Price objections are questions\n\nA buyer who says *too expensive* is asking you to **show the value**. Listen first, then answer.\n\n- Acknowledge the concern\n- Ask what they compare you with\n- Tie the price to an outcome they named"},
                {"kind": "quiz", "questions": [
                    {"prompt": "A buyer says the price is too high. What comes first?", "choices": ["A discount", "Acknowledging the concern", "Ending the call"], "correct": [1]},
                    {"prompt": "Which of these tie price to value?", "choices": ["Outcomes the buyer named", "Our list price", "Savings they can measure"], "correct": [0, 2]}
                ]}
            ]},
            {"title": "Practice: the renewal call", "blocks": [
                {"kind": "slide", "markdown": "## Your turn\n\nDana from Northwind is renewing. She wants 20 % off. Keep the price and keep the customer."},
                {"kind": "simulation",
                 "persona": {"name": "Dana Ruiz", "role": "Procurement lead, Northwind", "personality": "Busy, direct, sceptical of vendors"},
                 "scenario": "Northwind's annual renewal is due. Dana has a cheaper quote from a competitor.",
                 "objective": "Renew at the current price by tying it to the results Northwind got this year.",
                 "instructions": "Open by asking for 20 % off. Push back on price twice. Accept only if the learner names a concrete result.",
                 "opening_line": "Let's be quick: your competitor is 20 % cheaper. Why should we renew at this price?",
                 "max_turns": 8, "time_limit_s": 600,
                 "scripted_lines": ["That's nice, but it doesn't change the number. What do we actually get for the difference?",
                                    "Our team did close tickets faster this year. Can you put a figure on that?",
                                    "All right. If you can send me that in writing, we'll renew."]}
            ]}
        ],
        "settings": {"max_attempts": 3, "show_score": true, "branding_intro": true},
        "rubric": {"pass_mark": 70, "criteria": [
            {"title": "Acknowledges the concern", "weight": 1, "guidance": "Says something like 'I understand price matters' before answering the objection."},
            {"title": "Asks before answering", "weight": 1, "guidance": "Asks at least one question about what the buyer compares, or what they need."},
            {"title": "Ties price to results", "weight": 2, "guidance": "Names a concrete result the customer got (time saved, tickets closed) and links it to the price."},
            {"title": "Keeps the price", "weight": 1, "guidance": "Does not offer a discount unprompted; any concession is traded for something."}
        ]}
    })
}

/// Seeds the Content Library: a published role-play course, a draft, a template, and an
/// onboarding course in another workspace. Answers the flagship course's id.
async fn seed_courses(
    lyceum: &Lyceum,
    owner: &Caller,
    sales: &lyceum_domain::id::WorkspaceId,
    eng: &lyceum_domain::id::WorkspaceId,
) -> anyhow::Result<lyceum_domain::id::CourseId> {
    use crate::kernel::audit_chain::Action;
    use crate::learning::courses::{DraftSave, NewCourse};
    let learning = lyceum.learning();
    let content: lyceum_domain::learning::Content = serde_json::from_value(objection_course())?;
    let new = |title: &str, tags: &[&str], content: Option<lyceum_domain::learning::Content>| NewCourse {
        title: title.into(),
        description: None,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        template_id: None,
        content,
    };
    let flagship = learning
        .create_course(
            owner,
            sales,
            new("Handling price objections", &["Sales", "Role-play"], Some(content)),
            Action::CourseCreated,
        )
        .await?;
    learning.publish(owner, &flagship.head.id).await?;
    // A second version: the draft moved on and was published again.
    let mut next = flagship.draft.clone();
    next.rubric.pass_mark = 75;
    let saved = learning
        .save_draft(
            owner,
            &flagship.head.id,
            DraftSave {
                revision: flagship.head.revision,
                title: None,
                description: Some("Keep the price, keep the customer.".into()),
                tags: None,
                content: next,
            },
        )
        .await?;
    learning.publish(owner, &saved.head.id).await?;
    learning.save_template(owner, &flagship.head.id, Some("Objection handling playbook")).await?;
    let discovery: lyceum_domain::learning::Content = serde_json::from_value(serde_json::json!({"modules": [
        {"title": "Before the call", "blocks": [{"kind": "slide", "markdown": "# Discovery calls\n\nResearch the account; write down three questions."}]}
    ]}))?;
    learning
        .create_course(owner, sales, new("Discovery calls (draft)", &["Sales"], Some(discovery)), Action::CourseCreated)
        .await?;
    let onboarding: lyceum_domain::learning::Content = serde_json::from_value(serde_json::json!({"modules": [
        {"title": "Your first week", "blocks": [
            {"kind": "slide", "markdown": "# Welcome aboard\n\nYour laptop, your accounts, your buddy."},
            {"kind": "quiz", "questions": [{"prompt": "Who do you ask first?", "choices": ["Your buddy", "The CEO"], "correct": [0]}]}
        ]}
    ]}))?;
    let first_week = learning
        .create_course(
            owner,
            eng,
            new("Engineering onboarding", &["Onboarding"], Some(onboarding)),
            Action::CourseCreated,
        )
        .await?;
    learning.publish(owner, &first_week.head.id).await?;
    Ok(flagship.head.id)
}

/// Seeds the demo organisation unless its owner already exists. Prints how to sign in.
pub async fn seed_if_empty(lyceum: &Lyceum) -> anyhow::Result<()> {
    let mut conn = lyceum.pool.acquire().await?;
    if users::by_email(&mut conn, DEMO_OWNER).await?.is_some() {
        println!("demo organisation already present: sign in as {DEMO_OWNER} / {DEMO_PASSWORD}");
        return Ok(());
    }
    let hash = password::hash(DEMO_PASSWORD.to_owned()).await?;
    let now = now_ms();
    let mut ids = Vec::new();
    for (email, name) in PEOPLE {
        let id = UserId::new();
        users::insert(&mut conn, &NewUser { id: &id, email, name, password_hash: &hash, instance_admin: false }, now)
            .await?;
        ids.push(id);
    }
    drop(conn);
    let owner = Caller {
        principal: Principal::User(UserRef {
            id: ids[0].clone(),
            email: DEMO_OWNER.into(),
            name: PEOPLE[0].1.into(),
            instance_admin: false,
        }),
        origin: Origin { ip: Some("127.0.0.1".into()), user_agent: Some("lyceum demo".into()) },
        session_hash: None,
    };
    let org = lyceum
        .orgs()
        .create_org(
            &owner,
            NewOrg {
                name: "Acme Training".into(),
                plan: "enterprise".into(),
                seats: Some(50),
                credit_pool: Some(10_000),
            },
        )
        .await?;
    let main_ws = org.workspaces[0].id.clone();
    let sales = lyceum.orgs().create_workspace(&owner, &org.org.id, "Sales Academy", 4_000).await?;
    let eng = lyceum.orgs().create_workspace(&owner, &org.org.id, "Engineering Onboarding", 3_000).await?;
    let org_id = org.org.id.clone();
    let invite = async |target: ScopeRef<'_>, emails: &[&str], role: &str| -> crate::kernel::Result<()> {
        let emails: Vec<String> = emails.iter().map(|s| (*s).to_owned()).collect();
        let role = match target {
            ScopeRef::Org(_) => MemberRole::parse_org(role)?,
            ScopeRef::Workspace(_) => MemberRole::parse_workspace(role)?,
        };
        lyceum.invitations().invite(&owner, target, &emails, role).await.map(|_| ())
    };
    let (org_t, main_t, sales_t, eng_t) = (&org_id, &main_ws, &sales.id, &eng.id);
    invite(ScopeRef::Org(org_t), &["oscar@demo.lyceum.test"], "editor").await?;
    invite(ScopeRef::Org(org_t), &["vera@demo.lyceum.test"], "viewer").await?;
    invite(ScopeRef::Org(org_t), &["gail@demo.lyceum.test"], "guest").await?;
    invite(ScopeRef::Workspace(sales_t), &["walter@demo.lyceum.test"], "owner").await?;
    invite(ScopeRef::Workspace(sales_t), &["tina@demo.lyceum.test", "rita@demo.lyceum.test"], "trainer").await?;
    invite(ScopeRef::Workspace(sales_t), &["leo@demo.lyceum.test"], "learner").await?;
    invite(ScopeRef::Workspace(eng_t), &["eddie@demo.lyceum.test"], "editor").await?;
    invite(ScopeRef::Workspace(eng_t), &["vic@demo.lyceum.test", "rita@demo.lyceum.test"], "viewer").await?;
    invite(ScopeRef::Workspace(main_t), &["gail@demo.lyceum.test"], "learner").await?;
    invite(ScopeRef::Workspace(sales_t), &["new.hire@example.com", "contractor@example.com"], "learner").await?;
    invite(ScopeRef::Org(org_t), &["cfo@example.com"], "viewer").await?;
    // Rita reviews in Sales (her invitation made her a trainer there first).
    let rita = ids[5].clone();
    let reviewer = MemberRole::Workspace(WorkspaceRole::Reviewer);
    lyceum.members().change_role(&owner, ScopeRef::Workspace(sales_t), &rita, reviewer).await?;
    let flagship = seed_courses(lyceum, &owner, &sales.id, &eng.id).await?;
    let events = seed_spend(lyceum, &owner, &org_id, &sales.id, &ids, &flagship, now).await?;
    println!(
        "demo organisation 'Acme Training' ({org_id}) seeded with 3 workspaces, {} people, 3 courses, a template and {events} AI usage events",
        PEOPLE.len()
    );
    println!("sign in as {DEMO_OWNER} with the password '{DEMO_PASSWORD}' (every demo account uses it)");
    Ok(())
}
