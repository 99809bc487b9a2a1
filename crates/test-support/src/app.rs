//! [`TestApp`]: the real application on 127.0.0.1:0 with a database of its own, and
//! [`Builder`], its builder (`TestApp::init().with_config(…).with_owner(…)`).

use std::path::PathBuf;

use serde_json::json;
use sqlx::AnyPool;

use crate::client::Client;
use crate::database::{self, PgSchema};
use crate::server::{self, AppState, ServeArgs};
use crate::PASSWORD;

/// A change to a test server's settings (e.g. a low seat or rate limit).
type Configure = Box<dyn FnOnce(&mut ServeArgs) + Send>;

/// A running server with its own database and data dir.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub data_dir: PathBuf,
    args: ServeArgs,
    pub(crate) mailer: lyceum_mail::Worker,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
    _pg_schema: Option<PgSchema>,
}

/// Builds a [`TestApp`]: settings first, then the people the test starts with.
#[must_use = "a builder does nothing until it spawns the app"]
pub struct Builder {
    configure: Vec<Configure>,
}

impl Builder {
    /// Changes the server's settings before it starts.
    pub fn with_config(mut self, configure: impl FnOnce(&mut ServeArgs) + Send + 'static) -> Builder {
        self.configure.push(Box::new(configure));
        self
    }

    /// The app with nobody signed up.
    pub async fn empty(self) -> TestApp {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let mut args = server::test_args(dir.path().to_path_buf());
        let mut pg_schema = None;
        if let Some(admin_url) = database::postgres_admin_url() {
            let schema = PgSchema::create(&admin_url, "t_").await;
            server::set_database_url(&mut args, schema.url(&[]));
            pg_schema = Some(schema);
        }
        let configure = self.configure;
        TestApp::start(args, dir, pg_schema, move |args| configure.into_iter().for_each(|c| c(args))).await
    }

    /// The app and one signed-in person: their client and user id.
    pub async fn with_user(self, email: &str) -> (TestApp, Client, String) {
        let app = self.empty().await;
        let (client, id) = app.user(email).await;
        (app, client, id)
    }

    /// The app and the owner of a new organisation (see [`TestApp::owner`]).
    pub async fn with_owner(self, email: &str, plan: &str, seats: i64, pool: i64) -> (TestApp, Owner) {
        let app = self.empty().await;
        let owner = app.owner(email, plan, seats, pool).await;
        (app, owner)
    }
}

impl TestApp {
    /// A builder: `TestApp::init().with_owner("olga@example.test", "enterprise", 50, 1000)`.
    pub fn init() -> Builder {
        Builder { configure: Vec::new() }
    }

    pub async fn spawn() -> TestApp {
        TestApp::init().empty().await
    }

    /// Spawns with settings changed by `configure` (e.g. low seat or rate limits).
    pub async fn spawn_with(configure: impl FnOnce(&mut ServeArgs) + Send + 'static) -> TestApp {
        TestApp::init().with_config(configure).empty().await
    }

    /// A second node of the same deployment: its own process state (cache, limits, mailer) and
    /// port, the same database (and the first node's public URL). Meaningful on PostgreSQL.
    pub async fn another_node(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut args = self.args.clone();
        server::set_data_dir(&mut args, dir.path().to_path_buf());
        TestApp::start(args, dir, None, |_| {}).await
    }

    /// Binds a port, builds the application from `args` (changed by `configure`) and serves it.
    async fn start(
        mut args: ServeArgs,
        dir: tempfile::TempDir,
        pg_schema: Option<PgSchema>,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        server::bind(&mut args, addr);
        configure(&mut args);
        let app = server::build(&args).await;
        let router = app.router.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
        });
        TestApp {
            base: format!("http://{addr}"),
            state: app.state,
            data_dir: server::data_dir(&args).to_path_buf(),
            args,
            mailer: app.mailer,
            server,
            _dir: dir,
            _pg_schema: pg_schema,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        server::pool(&self.state)
    }

    /// The database URL the server was given (`--database-url`); `None` is SQLite in the data dir.
    pub fn database_url(&self) -> Option<&str> {
        server::database_url(&self.args)
    }

    /// A new anonymous client.
    pub fn client(&self) -> Client {
        Client::anonymous(&self.base)
    }

    /// A client authenticating with an API key.
    pub fn key_client(&self, key: &str) -> Client {
        Client::with_key(&self.base, key)
    }

    /// Signs a new user up and returns their signed-in client and id.
    pub async fn user(&self, email: &str) -> (Client, String) {
        let c = self.client();
        let name = email.split('@').next().unwrap_or("someone").to_owned();
        let r = c.post("/api/v1/auth/signup", json!({"email": email, "password": PASSWORD, "name": name})).await;
        assert_eq!(r.status, 201, "signup {email}: {r:?}");
        let id = r.json["user"]["id"].as_str().unwrap().to_owned();
        (c, id)
    }

    /// A signed-up owner of a new organisation: (client, user id, org id, first workspace id).
    pub async fn owner(&self, email: &str, plan: &str, seats: i64, pool: i64) -> Owner {
        let (client, user_id) = self.user(email).await;
        let r = client
            .post(
                "/api/v1/orgs",
                json!({"name": format!("Org of {email}"), "plan": plan, "seats": seats, "credit_pool": pool}),
            )
            .await;
        assert_eq!(r.status, 201, "create org: {r:?}");
        Owner {
            client,
            user_id,
            org: r.json["id"].as_str().unwrap().to_owned(),
            ws: r.json["workspaces"][0]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// A count from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self.pool()).await.unwrap()
    }

    /// Audit actions of an organisation, oldest first.
    pub async fn audit_actions(&self, org: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_events WHERE chain = $1 ORDER BY seq")
            .bind(org)
            .fetch_all(self.pool())
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An organisation owner with their org and its first workspace.
pub struct Owner {
    pub client: Client,
    pub user_id: String,
    pub org: String,
    pub ws: String,
}
