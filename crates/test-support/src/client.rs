//! [`Client`]: a cookie-keeping HTTP client, optionally with a bearer API key; [`Resp`]: an
//! answer with its status, headers, text and JSON.

use serde_json::{json, Value};

use crate::PASSWORD;

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

    async fn read(res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, json, headers, text }
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

    /// A client of the server at `base` (`http://host:port`), signed in as nobody yet.
    pub fn anonymous(base: &str) -> Client {
        Client::new(base, None)
    }

    /// A client of the server at `base` authenticating with the API key `key`.
    pub fn with_key(base: &str, key: &str) -> Client {
        Client::new(base, Some(key.to_owned()))
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
        Resp::read(req.send().await.unwrap()).await
    }

    /// A request with a raw body and content type.
    pub async fn raw(&self, method: reqwest::Method, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let mut req =
            self.http.request(method, format!("{}{path}", self.base)).header("content-type", content_type).body(body);
        if let Some(k) = &self.bearer {
            req = req.bearer_auth(k);
        }
        Resp::read(req.send().await.unwrap()).await
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

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }

    pub async fn login(&self, email: &str) -> Resp {
        self.post("/api/v1/auth/login", json!({"email": email, "password": PASSWORD})).await
    }
}
