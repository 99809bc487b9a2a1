//! The test harness: `TestApp::spawn()` starts the real application (router, service, database,
//! outbox) on 127.0.0.1:0; `Client` is a cookie-keeping HTTP client; helpers read the outbox.

use std::path::PathBuf;

use lyceum::config::ServeArgs;
use lyceum::web::AppState;
use serde_json::{json, Value};
use sqlx::{AnyPool, Connection, Executor};

pub const PASSWORD: &str = "correct horse battery staple";

/// A running server with its own database and data dir.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub data_dir: PathBuf,
    pub args: ServeArgs,
    mailer: lyceum_mail::Worker,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
    pg_schema: Option<PgSchema>,
}

/// A PostgreSQL schema dropped when the test ends.
struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                if let Ok(mut c) = sqlx::AnyConnection::connect(&url).await {
                    let _ = c.execute(&*format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
                }
            });
        })
        .join();
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Spawns with settings changed by `configure` (e.g. low seat or rate limits).
    pub async fn spawn_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let mut args = ServeArgs::defaults(dir.path().to_path_buf());
        args.db_connections = 8;
        // Tests sign many people up from one address; the rate limit tests lower these again.
        args.signup_rate_per_ip = 10_000;
        args.login_rate_per_ip = 10_000;
        args.login_rate_per_account = 10_000;
        args.invite_rate_per_actor = 10_000;
        let mut pg_schema = None;
        if let Ok(admin_url) = std::env::var("LYCEUM_TEST_DATABASE_URL") {
            let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
            let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
            admin.execute(&*format!("CREATE SCHEMA {schema}")).await.unwrap();
            admin.close().await.unwrap();
            let sep = if admin_url.contains('?') { '&' } else { '?' };
            args.store.database_url = Some(format!("{admin_url}{sep}options=-c%20search_path%3D{schema}"));
            pg_schema = Some(PgSchema { admin_url, schema });
        }
        TestApp::start(args, dir, pg_schema, configure).await
    }

    /// A second node of the same deployment: its own process state (cache, limits, mailer) and
    /// port, the same database (and the first node's public URL). Meaningful on PostgreSQL.
    pub async fn another_node(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut args = self.args.clone();
        args.store.data_dir = dir.path().to_path_buf();
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
        args.listen = addr;
        args.base_url.get_or_insert_with(|| format!("http://{addr}"));
        configure(&mut args);
        let app = lyceum::app::build(&args).await.unwrap();
        let router = app.router.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
        });
        TestApp {
            base: format!("http://{addr}"),
            state: app.state,
            data_dir: args.store.data_dir.clone(),
            args,
            mailer: app.mailer,
            server,
            _dir: dir,
            pg_schema,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.state.lyceum.pool
    }

    /// A new anonymous client.
    pub fn client(&self) -> Client {
        Client::new(&self.base, None)
    }

    /// A client authenticating with an API key.
    pub fn key_client(&self, key: &str) -> Client {
        Client::new(&self.base, Some(key.to_owned()))
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

    /// Delivers every due email now (the outbox worker's pass) and returns how many went out.
    pub async fn deliver_mail(&self) -> usize {
        self.mailer.deliver_due().await.unwrap()
    }

    /// Every delivered email, as RFC 5322 text (delivers due mail first).
    pub async fn outbox(&self) -> Vec<String> {
        self.deliver_mail().await;
        let dir = self.data_dir.join("outbox");
        let mut files: Vec<_> =
            std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.retain(|p: &PathBuf| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// Emails addressed to `to` (decoded from quoted-printable soft breaks enough to find links).
    pub async fn mail_to(&self, to: &str) -> Vec<String> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            .map(|m| unfold(&m))
            .collect()
    }

    /// The token of the latest invitation link emailed to `to`.
    pub async fn invitation_token(&self, to: &str) -> Option<String> {
        let marker = format!("{}/invite/", self.base);
        self.mail_to(to).await.iter().rev().find_map(|m| {
            let start = m.find(&marker)? + marker.len();
            Some(m[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
        })
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
        let _ = &self.pg_schema;
    }
}

/// Undoes quoted-printable soft line breaks and `=3D`, so links can be found in raw messages.
fn unfold(m: &str) -> String {
    m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// An organisation owner with their org and its first workspace.
pub struct Owner {
    pub client: Client,
    pub user_id: String,
    pub org: String,
    pub ws: String,
}

/// An answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub json: Value,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    /// The problem's stable code.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{self:?}");
        assert!(self.header("content-type").unwrap_or("").starts_with("application/problem+json"), "{self:?}");
    }

    /// The `items` of a list answer.
    pub fn items(&self) -> Vec<Value> {
        self.json["items"].as_array().cloned().unwrap_or_default()
    }
}

/// A cookie-keeping HTTP client, optionally with a bearer API key.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    bearer: Option<String>,
}

impl Client {
    fn new(base: &str, bearer: Option<String>) -> Client {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        Client { http, base: base.to_owned(), bearer }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(k) = &self.bearer {
            req = req.bearer_auth(k);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, json, headers, text }
    }

    /// A request with a raw body and content type.
    pub async fn raw(&self, method: reqwest::Method, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let mut req =
            self.http.request(method, format!("{}{path}", self.base)).header("content-type", content_type).body(body);
        if let Some(k) = &self.bearer {
            req = req.bearer_auth(k);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, json, headers, text }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PATCH, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }

    pub async fn login(&self, email: &str) -> Resp {
        self.post("/api/v1/auth/login", json!({"email": email, "password": PASSWORD})).await
    }
}
