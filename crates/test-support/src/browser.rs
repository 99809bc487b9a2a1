//! The browser: one shared `chromedriver` for the test binary and a headless Chromium session
//! per [`Browser`] a test opens, against a [`TestApp`].
//!
//! Without Chromium or chromedriver, [`driver`] prints `SKIPPED: …` and answers `None` (the test
//! passes), except in CI (`CI=true`), where it fails. Waits poll the page with a deadline;
//! nothing sleeps blindly.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use fantoccini::elements::Element;
use fantoccini::ClientBuilder;
pub use fantoccini::Locator;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::{TestApp, PASSWORD};

/// A WebDriver session.
type Session = fantoccini::Client;

/// How long a wait may take before the test fails (generous: the machine is shared).
const WAIT: Duration = Duration::from_secs(20);
const CHROMIUM: &str = "/usr/bin/chromium";

// ---------------------------------------------------------------------------------------------
// chromedriver
// ---------------------------------------------------------------------------------------------

/// The shared chromedriver of this test binary.
pub struct Driver {
    url: String,
    _watchdog: Child,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

/// The shared chromedriver, started on first use; `None` (with a loud SKIPPED) when Chromium or
/// chromedriver is not installed, a failure in CI.
pub fn driver() -> Option<&'static Driver> {
    static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();
    let d = DRIVER.get_or_init(|| {
        let chromedriver = on_path("chromedriver")?;
        if !Path::new(CHROMIUM).is_file() {
            return None;
        }
        Some(start_driver(&chromedriver))
    });
    if d.is_none() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "FAILED: chromium/chromedriver not installed (CI=true)");
        // Straight to stderr, past the test harness's capture, so a skip is seen.
        let _ = writeln!(std::io::stderr(), "SKIPPED: chromium/chromedriver not installed");
    }
    d.as_ref()
}

/// Starts chromedriver under a small shell watchdog that ends it when this test process is gone
/// (statics are never dropped, so nothing else would).
fn start_driver(chromedriver: &Path) -> Driver {
    let port = free_port();
    let script = r#"
"$1" --port="$2" --log-level=SEVERE >/dev/null 2>&1 &
d=$!
while kill -0 "$3" 2>/dev/null && kill -0 "$d" 2>/dev/null; do sleep 1; done
kill "$d" 2>/dev/null
"#;
    let watchdog = Command::new("sh")
        .args(["-c", script, "watchdog"])
        .arg(chromedriver)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { url: format!("http://127.0.0.1:{port}"), _watchdog: watchdog }
}

/// Where screenshots go: `<target>/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

/// One headless Chromium session (its own profile, so its own cookies).
pub struct Browser {
    client: Option<Session>,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Opens a fresh 1280×900 session against `app`.
    pub async fn open(driver: &Driver, app: &TestApp) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
            "--window-size=1280,900".to_owned(),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let Value::Object(caps) = caps else { unreachable!("an object") };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session: {e}"));
        Browser { client: Some(client), base: app.base.clone(), _profile: profile }
    }

    fn c(&self) -> &Session {
        self.client.as_ref().expect("an open session")
    }

    /// Opens a path of the app.
    pub async fn goto(&self, path: &str) {
        self.c().goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    pub async fn reload(&self) {
        self.c().refresh().await.expect("reload");
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = self.c().current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The current path and the start of the page's text, for failure messages.
    async fn describe(&self) -> String {
        let text = self.c().execute("return document.body ? document.body.innerText : '';", vec![]).await;
        let text = text.ok().and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_default();
        format!("{}:\n---\n{}\n---", self.path().await, text.chars().take(1500).collect::<String>())
    }

    /// Waits for an element matching `css` to be in the page.
    pub async fn find(&self, css: &str) -> Element {
        match self.c().wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => panic!("no {css} within {WAIT:?} ({e}) on {}", self.describe().await),
        }
    }

    /// Every element matching `css` now (no wait).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.c().find_all(Locator::Css(css)).await.expect("find_all")
    }

    /// Whether an element matching `css` is in the page now.
    pub async fn has(&self, css: &str) -> bool {
        !self.all(css).await.is_empty()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types `text` into the field `css` after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        el.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Drags the element `from` with the mouse (pointer down, a move in steps, pointer up) onto
    /// `to`, ending `dy` pixels below its centre (negative: above).
    pub async fn drag(&self, from: &str, to: &str, dy: f64) {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
        let a = self.find(from).await;
        let b = self.find(to).await;
        let mouse = MouseActions::new("mouse".to_owned())
            .then(PointerAction::MoveToElement { element: a, duration: None, x: 0.0, y: 0.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::MoveToElement {
                element: b.clone(),
                duration: Some(Duration::from_millis(150)),
                x: 0.0,
                y: dy / 2.0,
            })
            .then(PointerAction::MoveToElement {
                element: b,
                duration: Some(Duration::from_millis(150)),
                x: 0.0,
                y: dy,
            })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        self.c().perform_actions(mouse).await.unwrap_or_else(|e| panic!("drag {from} to {to}: {e}"));
    }

    /// Picks the option with `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    /// The visible text of the first element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Runs a script with `arguments` and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.c().execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `check` until it holds; fails with `what` after the deadline.
    pub async fn until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + WAIT;
        loop {
            if check().await {
                return;
            }
            if Instant::now() >= deadline {
                panic!("timed out waiting until {what}, on {}", self.describe().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the script `condition` (a JS expression) is true in the page.
    pub async fn until_js(&self, what: &str, condition: &str) {
        let script = format!("return !!({condition});");
        self.until(what, || async { self.js(&script, vec![]).await == Value::Bool(true) }).await;
    }

    /// Waits until htmx has no request in flight and nothing being swapped.
    pub async fn until_settled(&self) {
        let idle = "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')";
        self.until_js("htmx is idle", idle).await;
    }

    /// Waits until the current path starts with `prefix`.
    pub async fn until_path(&self, prefix: &str) {
        self.until(&format!("the page is {prefix}…"), || async { self.path().await.starts_with(prefix) }).await;
    }

    /// Waits until the dialog `css` is open, or closed.
    pub async fn until_dialog(&self, css: &str, open: bool) {
        let cond = format!("(document.querySelector({css:?}) || {{}}).open === {open}");
        self.until_js(&format!("{css} is {}", if open { "open" } else { "closed" }), &cond).await;
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.c().set_window_size(width, height).await.expect("resize the window");
    }

    /// Saves a screenshot as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.c().screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Signs in through the login form and waits to leave it.
    pub async fn sign_in(&self, email: &str) {
        self.goto("/login").await;
        self.fill("form#login-form input[name=email]", email).await;
        self.fill("form#login-form input[name=password]", PASSWORD).await;
        self.click("form#login-form button[type=submit]").await;
        self.until("the login form is left", || async { !self.path().await.starts_with("/login") }).await;
    }

    /// Ends the session (also done on drop, so a failed test leaves no browser behind).
    pub async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        // A test that failed mid-way still ends its browser: the session's worker runs on this
        // (multi-threaded) runtime, so block in place while it closes.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                tokio::task::block_in_place(|| {
                    let _ = handle.block_on(tokio::time::timeout(Duration::from_secs(10), client.close()));
                });
            }
        }
    }
}

/// The values and labels of a select's options.
pub async fn options(select: &Element) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for o in select.find_all(Locator::Css("option")).await.expect("options") {
        let value = o.prop("value").await.expect("value").unwrap_or_default();
        let label = o.prop("textContent").await.expect("label").unwrap_or_default();
        out.push((value, label.trim().to_owned()));
    }
    out
}
