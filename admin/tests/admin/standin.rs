//! The senders' APIs as local servers (`tests/standins/*.py`, written from
//! the senders' public reference pages), started per test and set up
//! through their `/_standin/` control endpoints.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use http::Method;
use serde_json::Value;
use webhook_admin::senders::http::{Api, Body};

/// A stand-in server; it exits when this value is dropped (its standard
/// input closes), or with the test process.
pub struct StandIn {
    pub url: String,
    control: Api,
    _server: Child,
}

impl StandIn {
    pub fn chargeover() -> StandIn {
        StandIn::start("chargeover_api.py")
    }

    pub fn occ() -> StandIn {
        StandIn::start("occ_admin_api.py")
    }

    fn start(script: &str) -> StandIn {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root");
        let mut server = Command::new("python3")
            .arg(root.join("tests/standins").join(script))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the stand-in (python3)");
        let mut line = String::new();
        BufReader::new(server.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("the stand-in's URL");
        let url = line.trim().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{script}: {line:?}");
        StandIn {
            control: Api::new("the stand-in", "", &url).expect("a local URL"),
            url,
            _server: server,
        }
    }

    async fn control(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(|body| Body {
            content_type: "application/json",
            bytes: body.to_string().into_bytes(),
        });
        self.control
            .call(method, path, "Bearer control", body.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Replaces the server's data (see each script for the shape).
    pub async fn set_state(&self, state: &Value) {
        self.control(Method::PUT, "/_standin/state", Some(state))
            .await;
    }

    /// The next `times` requests under `path_prefix` answer `status`.
    pub async fn fail(&self, rule: &Value) {
        self.control(Method::POST, "/_standin/fail", Some(rule))
            .await;
    }

    /// Every API request so far: `{"method", "path", "query"}`.
    pub async fn requests(&self) -> Vec<Value> {
        let answer = self.control(Method::GET, "/_standin/requests", None).await;
        answer.as_array().cloned().unwrap_or_default()
    }

    /// OCC: every access token issued so far expires now.
    pub async fn expire_tokens(&self) {
        self.control(Method::POST, "/_standin/expire_tokens", None)
            .await;
    }

    /// OCC: the failed messages queued for resending, in order.
    pub async fn resent(&self) -> Vec<String> {
        let answer = self.control(Method::GET, "/_standin/resent", None).await;
        let ids = answer.as_array().cloned().unwrap_or_default();
        ids.iter()
            .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned))
            .collect()
    }
}
