//! The API suite's one door into the server's internals: the store functions, the dataset
//! generator, the router's OpenAPI document, the caches. Every other file of this binary reaches
//! them through here (and the server itself through `lyceum-test-support`), so that moving the
//! server's modules changes this file only.

use lyceum_domain::Permission;
use lyceum_test_support::TestApp;
use uuid::Uuid;

pub use lyceum::accounts::queries::users;
pub use lyceum::dataset;
pub use lyceum::demo::DEMO_PASSWORD;
pub use lyceum::tenancy::queries::members;
pub use lyceum::web::NO_ROUTE;
pub use lyceum_test_support::server::now_ms;

/// The per-organisation audit hash chain: its checker, its rows, its genesis hash.
pub mod audit_chain {
    pub use lyceum::kernel::audit_chain::{verify, Break, EventRow, GENESIS};
}

/// The OpenAPI document the API router is built with.
pub fn openapi() -> utoipa::openapi::OpenApi {
    lyceum::routes::api_router().1
}

/// Generates a dataset into the app's database (`lyceum demo --scale`, through the library).
pub async fn generate_dataset(app: &TestApp, options: &dataset::Options) -> anyhow::Result<dataset::Summary> {
    dataset::generate(app.pool(), app.state.lyceum.backend, options).await
}

/// The grant cache's answer for `user` holding `permission` in `workspace` (`None`: not cached).
pub fn cached_grant(app: &TestApp, user: Uuid, permission: Permission, workspace: Uuid) -> Option<bool> {
    app.state.lyceum.caches.grants.may(user, permission, workspace)
}

/// How many people the grant cache holds.
pub fn grant_cache_users(app: &TestApp) -> usize {
    app.state.lyceum.caches.grants.cached_users()
}

/// Empties the credential cache (sessions and API keys are read from the database again).
pub fn forget_cached_credentials(app: &TestApp) {
    app.state.lyceum.caches.credentials.forget_all();
}

/// Whether the member directory holds organisation `org` in memory.
pub fn directory_holds(app: &TestApp, org: Uuid) -> bool {
    app.state.lyceum.caches.directory.holds(org)
}

/// How many organisations the member directory holds.
pub fn directory_held(app: &TestApp) -> usize {
    app.state.lyceum.caches.directory.held()
}

/// The service's own permission check ("may `user` do `permission` in `workspace`"), as the
/// handlers call it: from the grant cache when it holds the answer, else from the database.
pub async fn service_may(app: &TestApp, user: &str, permission: Permission, workspace: &str) -> bool {
    let user = lyceum_domain::id::UserId::parse(user).expect("a user id");
    let workspace = lyceum_domain::id::WorkspaceId::parse(workspace).expect("a workspace id");
    app.state.lyceum.may(&user, permission, &workspace).await.unwrap()
}

/// The AI gateway, called as a feature calls it (no route of the contract calls a model yet).
pub mod ai {
    use lyceum::credits::gateway::AiCall;
    use lyceum::web::AppState;
    use lyceum_ai::{Message, Role};
    use lyceum_domain::credits::Feature;
    use lyceum_domain::id::WorkspaceId;
    use lyceum_test_support::TestApp;

    #[derive(Debug)]
    pub struct Answer {
        pub input_tokens: u64,
        pub output_tokens: u64,
        pub estimated: bool,
    }

    /// A refusal: its code, `Retry-After`, message.
    pub type Refusal = (String, Option<u64>, String);

    fn refusal(e: lyceum::kernel::ServiceError) -> Refusal {
        let e = lyceum::web::error::ApiError::from(e);
        (e.problem.code.clone(), e.retry_after, e.problem.detail.clone())
    }

    fn call(ws: &str, prompt: &str, max_tokens: u32) -> AiCall {
        AiCall {
            workspace_id: WorkspaceId::try_from(ws.to_owned()).unwrap(),
            feature: Feature::Simulation,
            model: None,
            messages: vec![Message::new(Role::User, prompt)],
            max_tokens,
            temperature: None,
            json: false,
            course_id: None,
            user_id: None,
            attempt_id: None,
        }
    }

    /// A streamed call read to its end: the deltas, then the settled answer.
    pub async fn stream(
        app: &TestApp,
        ws: &str,
        prompt: &str,
        max_tokens: u32,
    ) -> Result<(Vec<String>, Answer, String), Refusal> {
        use lyceum::credits::gateway::AiChunk;
        let mut s = lyceum::credits::Credits::stream(app.state.lyceum.clone(), call(ws, prompt, max_tokens))
            .await
            .map_err(refusal)?;
        let mut deltas = Vec::new();
        while let Some(item) = s.next().await {
            match item.map_err(refusal)? {
                AiChunk::Delta(text) => deltas.push(text),
                AiChunk::Done(a) => {
                    let answer = Answer {
                        input_tokens: a.completion.usage.input_tokens,
                        output_tokens: a.completion.usage.output_tokens,
                        estimated: a.completion.usage.estimated,
                    };
                    return Ok((deltas, answer, a.completion.text));
                }
            }
        }
        panic!("the stream ended without Done")
    }

    /// A streamed call whose reader goes away after the first delta.
    pub async fn stream_and_leave(app: &TestApp, ws: &str, prompt: &str, max_tokens: u32) -> String {
        use lyceum::credits::gateway::AiChunk;
        let mut s =
            lyceum::credits::Credits::stream(app.state.lyceum.clone(), call(ws, prompt, max_tokens)).await.unwrap();
        loop {
            match s.next().await.expect("a delta").unwrap() {
                AiChunk::Delta(text) if !text.is_empty() => return text,
                AiChunk::Delta(_) => continue,
                AiChunk::Done(_) => panic!("the stream ended before the reader left"),
            }
        }
    }

    pub async fn complete(app: &TestApp, ws: &str, prompt: &str, max_tokens: u32) -> Result<Answer, Refusal> {
        complete_on(&app.state, ws, prompt, max_tokens).await
    }

    pub async fn complete_on(state: &AppState, ws: &str, prompt: &str, max_tokens: u32) -> Result<Answer, Refusal> {
        let call = AiCall {
            workspace_id: WorkspaceId::try_from(ws.to_owned()).unwrap(),
            feature: Feature::Simulation,
            model: None,
            messages: vec![Message::new(Role::User, prompt)],
            max_tokens,
            temperature: None,
            json: false,
            course_id: None,
            user_id: None,
            attempt_id: None,
        };
        match state.lyceum.credits().complete(call).await {
            Ok(a) => Ok(Answer {
                input_tokens: a.completion.usage.input_tokens,
                output_tokens: a.completion.usage.output_tokens,
                estimated: a.completion.usage.estimated,
            }),
            Err(e) => {
                let e = lyceum::web::error::ApiError::from(e);
                Err((e.problem.code.clone(), e.retry_after, e.problem.detail.clone()))
            }
        }
    }
}

/// A call that dies between reserve and settle, as its node would: the future is driven until the
/// provider has the request (so its credits are reserved), then forgotten, never dropped, so no
/// guard releases anything.
pub async fn strand_ai_call(app: &TestApp, provider: &lyceum_ai_testprovider::TestProvider, ws: &str) {
    let state = app.state.clone();
    let ws = ws.to_owned();
    let seen = provider.requests().len();
    let mut call = Box::pin(async move { ai::complete_on(&state, &ws, "Hi", 50).await });
    let reached = async {
        while provider.requests().len() == seen {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        r = &mut call => panic!("the call ended before it was stranded: {r:?}"),
        () = reached => {}
    }
    std::mem::forget(call);
}

/// The credit repair a node runs at start-up and every minute: releases expired reservations.
pub async fn repair_credits(app: &TestApp) -> usize {
    app.state.lyceum.credits().repair().await.unwrap()
}

/// Runs the trash purge as the background loop does, as if the clock read `now` (Unix ms).
pub async fn purge_trash(app: &TestApp, now: i64) -> usize {
    app.state.lyceum.learning().purge_trash(now).await.expect("the purge runs")
}
