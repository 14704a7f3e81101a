//! The webhook secret: a bare value or `{"current": ..., "previous": ...}` for
//! rotation, read inline or from Secrets Manager (cached five minutes), and
//! turned once into the key material a function checks requests with.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;
use tokio::time::Instant;

/// How long a secret read from Secrets Manager is used before it is read again.
pub const SECRET_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

/// After a failed refresh, the cached secret serves this long before the next
/// try; each further failure doubles the pause, up to [`SECRET_CACHE_TTL`].
pub const REFRESH_RETRY_AFTER: Duration = Duration::from_secs(15);

/// A request refused with a cached secret at least this old makes the secret
/// be read again once, so a key changed in Secrets Manager is honoured at
/// once; and such reads happen at most once this often per execution
/// environment, so forged requests cannot drive Secrets Manager calls.
pub const RECHECK_AFTER: Duration = Duration::from_secs(30);

/// Where a function's webhook secret comes from.
#[derive(Debug, Clone)]
pub enum SecretLocation {
    SecretsManager { secret_id: String },
    Inline(SecretValue),
}

/// Why a secret's text cannot serve. Never carries the text itself.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct UnusableSecret(pub String);

/// Why reading the secret from Secrets Manager failed: the secret's id, and
/// what went wrong (never the secret's text).
#[derive(Debug, Error)]
#[error("{secret_id} {problem}")]
pub struct FetchError {
    secret_id: String,
    problem: String,
}

/// A secret and, during rotation, the one it replaces. Never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretValue {
    pub current: String,
    #[serde(default)]
    pub previous: Option<String>,
}

impl SecretValue {
    /// A bare secret, or the JSON rotation form. Text that starts like JSON
    /// but is not the rotation form is refused rather than taken literally.
    pub fn parse(text: &str) -> Result<Self, UnusableSecret> {
        let text = text.trim();
        let value = if text.starts_with('{') {
            serde_json::from_str::<SecretValue>(text).map_err(|_| {
                UnusableSecret(
                    "a JSON secret must be {\"current\": \"...\", \"previous\": \"...\"} \
                     (previous optional)"
                        .into(),
                )
            })?
        } else {
            SecretValue {
                current: text.to_owned(),
                previous: None,
            }
        };
        if value.current.is_empty() {
            return Err(UnusableSecret("the current secret is empty".into()));
        }
        Ok(SecretValue {
            current: value.current,
            previous: value.previous.filter(|p| !p.is_empty()),
        })
    }

    /// The secrets a request may match: current first.
    pub fn accepted(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.current.as_str()).chain(self.previous.as_deref())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

/// Key material a function derives once from its secret.
pub trait WebhookKeys: Sized + Send + Sync + 'static {
    /// Fails when the secret cannot serve (e.g. an HMAC key that is not base64).
    fn from_secret(secret: &SecretValue) -> Result<Self, UnusableSecret>;

    /// The texts to mask wherever a raw body is kept.
    fn secret_texts(&self) -> Vec<&[u8]>;
}

/// The function's keys, refreshed from Secrets Manager when older than
/// [`SECRET_CACHE_TTL`].
pub struct SecretStore<K> {
    source: Option<SecretsManagerSource>,
    cached: RwLock<Cached<K>>,
    /// [`RECHECK_AFTER`], shorter in tests.
    recheck_after: Duration,
    /// When a refused request last made the secret be read again.
    last_recheck: Mutex<Option<Instant>>,
}

struct SecretsManagerSource {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

struct Cached<K> {
    keys: Arc<K>,
    /// When the secret was read.
    read_at: Instant,
    /// When to read the secret again.
    due: Instant,
    /// The pause after the next failed refresh.
    retry_after: Duration,
}

impl<K> Cached<K> {
    fn fresh(keys: Arc<K>) -> Self {
        Cached {
            keys,
            read_at: Instant::now(),
            due: Instant::now() + SECRET_CACHE_TTL,
            retry_after: REFRESH_RETRY_AFTER,
        }
    }
}

/// Why the secret could not be loaded at start-up.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("the webhook secret is unusable: {0}")]
    Unusable(UnusableSecret),
    #[error(transparent)]
    Fetch(FetchError),
}

impl<K: WebhookKeys> SecretStore<K> {
    /// Reads the secret now: a function that cannot has no business starting.
    pub async fn load(
        location: &SecretLocation,
        client: impl FnOnce() -> aws_sdk_secretsmanager::Client,
    ) -> Result<Self, LoadError> {
        let (source, keys) = match location {
            SecretLocation::Inline(value) => {
                (None, K::from_secret(value).map_err(LoadError::Unusable)?)
            }
            SecretLocation::SecretsManager { secret_id } => {
                let source = SecretsManagerSource {
                    client: client(),
                    secret_id: secret_id.clone(),
                };
                let keys = source.fetch::<K>().await.map_err(LoadError::Fetch)?;
                (Some(source), keys)
            }
        };
        Ok(SecretStore::new(source, keys))
    }

    fn new(source: Option<SecretsManagerSource>, keys: K) -> Self {
        SecretStore {
            source,
            cached: RwLock::new(Cached::fresh(Arc::new(keys))),
            recheck_after: RECHECK_AFTER,
            last_recheck: Mutex::new(None),
        }
    }

    /// The same store, reading again after a refusal on its own interval
    /// rather than [`RECHECK_AFTER`] (tests).
    pub fn recheck_after(mut self, interval: Duration) -> Self {
        self.recheck_after = interval;
        self
    }

    /// Keys built from a known secret (tests, benches).
    pub fn fixed(keys: K) -> Self {
        SecretStore::new(None, keys)
    }

    /// After a request was refused with `refused`: the secret read again, when
    /// the keys that refused it are at least the recheck interval old and no
    /// refusal made it read within that interval (`None` otherwise, or when
    /// the read fails: the request stays refused).
    pub async fn recheck(&self, refused: &Arc<K>) -> Option<Arc<K>> {
        let source = self.source.as_ref()?;
        let now = Instant::now();
        {
            let cached = self.cached.read().unwrap_or_else(|p| p.into_inner());
            let same = Arc::ptr_eq(&cached.keys, refused);
            if same && now.saturating_duration_since(cached.read_at) < self.recheck_after {
                return None;
            }
            if !same {
                // Read again since: check with those keys.
                return Some(cached.keys.clone());
            }
        }
        {
            let mut last = self.last_recheck.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|at| now.saturating_duration_since(at) < self.recheck_after) {
                return None;
            }
            *last = Some(now);
        }
        match source.fetch::<K>().await {
            Ok(fresh) => Some(self.keep(fresh)),
            Err(error) => {
                tracing::warn!(%error, "reading the secret again after a refused request failed");
                None
            }
        }
    }

    /// Keys just read from the secret, cached and returned.
    fn keep(&self, fresh: K) -> Arc<K> {
        let mut cached = self.cached.write().unwrap_or_else(|p| p.into_inner());
        *cached = Cached::fresh(Arc::new(fresh));
        cached.keys.clone()
    }

    /// The keys to check a request with. When the cached secret is due, it is
    /// read again; if that fails the cached one keeps serving (a blip at
    /// Secrets Manager must not turn away every delivery) and the next try
    /// waits a back-off, so a Secrets Manager outage does not slow every
    /// delivery by a failed call.
    pub async fn keys(&self) -> Arc<K> {
        let (keys, due) = {
            let cached = self.cached.read().unwrap_or_else(|p| p.into_inner());
            (cached.keys.clone(), cached.due)
        };
        let source = match &self.source {
            Some(source) if Instant::now() >= due => source,
            // An inline secret, or not due yet.
            _ => return keys,
        };
        match source.fetch::<K>().await {
            Ok(fresh) => self.keep(fresh),
            Err(error) => {
                let mut cached = self.cached.write().unwrap_or_else(|p| p.into_inner());
                cached.due = Instant::now() + cached.retry_after;
                cached.retry_after = (cached.retry_after * 2).min(SECRET_CACHE_TTL);
                tracing::warn!(
                    %error,
                    retry_in_s = (cached.due - Instant::now()).as_secs(),
                    "refresh from Secrets Manager failed; the cached value keeps serving"
                );
                keys
            }
        }
    }
}

impl SecretsManagerSource {
    async fn fetch<K: WebhookKeys>(&self) -> Result<K, FetchError> {
        let text = read_text(&self.client, &self.secret_id).await?;
        SecretValue::parse(&text)
            .and_then(|value| K::from_secret(&value))
            .map_err(|reason| FetchError {
                secret_id: self.secret_id.clone(),
                problem: format!("is unusable: {reason}"),
            })
    }
}

/// The text of the secret `secret_id`, read from Secrets Manager (the
/// functions' webhook secret, webhook-admin's API credentials).
pub async fn read_text(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, FetchError> {
    let failed = |problem: String| FetchError {
        secret_id: secret_id.to_owned(),
        problem,
    };
    let request = client.get_secret_value().secret_id(secret_id);
    let output = request.send().await.map_err(|e| {
        let cause = aws_sdk_secretsmanager::error::DisplayErrorContext(&e);
        failed(format!("could not be read from Secrets Manager: {cause}"))
    })?;
    let text = output.secret_string();
    text.map(str::to_owned)
        .ok_or_else(|| failed("has no string value".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_rotation_forms() {
        let bare = SecretValue::parse("abc").unwrap();
        assert_eq!(bare.accepted().collect::<Vec<_>>(), ["abc"]);
        let rotating = SecretValue::parse(r#"{"current": "new", "previous": "old"}"#).unwrap();
        assert_eq!(rotating.accepted().collect::<Vec<_>>(), ["new", "old"]);
        let current_only = SecretValue::parse(r#"{"current": "new"}"#).unwrap();
        assert_eq!(current_only.accepted().collect::<Vec<_>>(), ["new"]);
    }

    #[test]
    fn unusable_secrets_are_refused() {
        for text in [
            "",
            "  ",
            "{",
            r#"{"current": ""}"#,
            r#"{"previous": "x"}"#,
            r#"{"current": "a", "next": "b"}"#,
        ] {
            assert!(SecretValue::parse(text).is_err(), "{text:?}");
        }
    }

    /// Keys that keep the text they were made from, to see which secret serves.
    struct Texts(Vec<String>);

    impl WebhookKeys for Texts {
        fn from_secret(secret: &SecretValue) -> Result<Self, UnusableSecret> {
            Ok(Texts(secret.accepted().map(str::to_owned).collect()))
        }

        fn secret_texts(&self) -> Vec<&[u8]> {
            self.0.iter().map(String::as_bytes).collect()
        }
    }

    /// A store whose cached secret is due, reading from Secrets Manager
    /// through `rule`.
    fn due_store(rule: &aws_smithy_mocks::Rule) -> SecretStore<Texts> {
        let store = SecretStore::new(
            Some(SecretsManagerSource {
                client: aws_smithy_mocks::mock_client!(aws_sdk_secretsmanager, [rule]),
                secret_id: "webhook-secret".into(),
            }),
            Texts(vec!["cached".into()]),
        );
        store.cached.write().unwrap().due = Instant::now();
        store
    }

    /// A store that read "cached" just now, reading again through `rule`.
    fn fresh_store(rule: &aws_smithy_mocks::Rule) -> SecretStore<Texts> {
        SecretStore::new(
            Some(SecretsManagerSource {
                client: aws_smithy_mocks::mock_client!(aws_sdk_secretsmanager, [rule]),
                secret_id: "webhook-secret".into(),
            }),
            Texts(vec!["cached".into()]),
        )
    }

    /// A key changed in Secrets Manager is honoured at once: a refusal with
    /// keys older than the interval reads the secret again.
    #[tokio::test(start_paused = true)]
    async fn a_refusal_reads_a_changed_secret_again() {
        let rule = answering("changed");
        let store = fresh_store(&rule);
        let keys = store.keys().await;
        assert!(store.recheck(&keys).await.is_none(), "read just now");
        assert_eq!(rule.num_calls(), 0);
        tokio::time::advance(RECHECK_AFTER).await;
        let fresh = store.recheck(&keys).await.expect("read again");
        assert_eq!(fresh.0, ["changed"]);
        assert_eq!(store.keys().await.0, ["changed"]);
        assert_eq!(rule.num_calls(), 1);
    }

    /// Forged requests cannot drive Secrets Manager calls: at most one read
    /// per interval, however many refusals.
    #[tokio::test(start_paused = true)]
    async fn refusals_read_at_most_once_an_interval() {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
        let rule = aws_smithy_mocks::mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .sequence()
            .output(|| {
                GetSecretValueOutput::builder()
                    .secret_string("cached")
                    .build()
            })
            .repeatedly()
            .build();
        let store = fresh_store(&rule);
        tokio::time::advance(RECHECK_AFTER).await;
        for _ in 0..100 {
            let keys = store.keys().await;
            let _ = store.recheck(&keys).await;
        }
        assert_eq!(rule.num_calls(), 1);
        tokio::time::advance(RECHECK_AFTER / 2).await;
        let keys = store.keys().await;
        assert!(store.recheck(&keys).await.is_none());
        assert_eq!(rule.num_calls(), 1);
        tokio::time::advance(RECHECK_AFTER / 2).await;
        let keys = store.keys().await;
        assert!(store.recheck(&keys).await.is_some());
        assert_eq!(rule.num_calls(), 2);
    }

    /// Secrets Manager answering with `text` as the secret's value.
    fn answering(text: &'static str) -> aws_smithy_mocks::Rule {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
        aws_smithy_mocks::mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .then_output(move || GetSecretValueOutput::builder().secret_string(text).build())
    }

    /// Every read through it answers `text`.
    fn always_answering(text: &'static str) -> aws_smithy_mocks::Rule {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
        aws_smithy_mocks::mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .sequence()
            .output(move || GetSecretValueOutput::builder().secret_string(text).build())
            .repeatedly()
            .build()
    }

    #[tokio::test]
    async fn a_due_secret_is_read_again() {
        let rule = answering(r#"{"current": "rotated", "previous": "cached"}"#);
        let store = due_store(&rule);
        assert_eq!(store.keys().await.0, ["rotated", "cached"]);
        // Read once, then cached for the next five minutes.
        assert_eq!(store.keys().await.0, ["rotated", "cached"]);
        assert_eq!(rule.num_calls(), 1);
    }

    /// A failed refresh is not tried again on every request: the cached keys
    /// serve through a back-off that doubles while Secrets Manager fails.
    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_waits_before_trying_again() {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
        use aws_sdk_secretsmanager::types::error::ResourceNotFoundException;
        let rule = aws_smithy_mocks::mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .sequence()
            .error(|| {
                GetSecretValueError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            })
            .repeatedly()
            .build();
        let store = due_store(&rule);
        for _ in 0..3 {
            assert_eq!(store.keys().await.0, ["cached"]);
        }
        assert_eq!(rule.num_calls(), 1, "one try, then the back-off");
        tokio::time::advance(REFRESH_RETRY_AFTER).await;
        assert_eq!(store.keys().await.0, ["cached"]);
        assert_eq!(rule.num_calls(), 2);
        // The next pause is twice as long.
        tokio::time::advance(REFRESH_RETRY_AFTER).await;
        assert_eq!(store.keys().await.0, ["cached"]);
        assert_eq!(rule.num_calls(), 2);
        tokio::time::advance(REFRESH_RETRY_AFTER).await;
        assert_eq!(store.keys().await.0, ["cached"]);
        assert_eq!(rule.num_calls(), 3);
    }

    thread_local! {
        /// The log lines this test thread wrote since `capture_logs`.
        static LINES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// Captures the log lines this thread writes from now on (`logged`).
    /// One subscriber serves the whole test binary, writing per thread: a
    /// subscriber per test (`set_default`) can miss a line when a test on
    /// another thread meets the same log statement first.
    fn capture_logs() {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(|| ThreadLines)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        });
        // Statements first met before the subscriber was set are enabled too.
        tracing::callsite::rebuild_interest_cache();
        LINES.with(|lines| lines.borrow_mut().clear());
    }

    fn logged() -> String {
        LINES.with(|lines| String::from_utf8_lossy(&lines.borrow()).into_owned())
    }

    struct ThreadLines;

    impl std::io::Write for ThreadLines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            LINES.with(|lines| lines.borrow_mut().extend_from_slice(bytes));
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The refresh failure, and the re-read after a refusal, are logged with
    /// their reason, never the value, even when the value is what is wrong.
    #[tokio::test]
    async fn a_failed_refresh_keeps_serving_and_never_shows_the_value() {
        for broken in [
            r#"{"current": "hunter2", "next": "hunter3"}"#,
            r#"{"current": "hunter2""#,
            r#"{"previous": "hunter2"}"#,
        ] {
            capture_logs();
            let rule = always_answering(broken);
            let store = due_store(&rule).recheck_after(Duration::ZERO);
            let refused = store.keys().await;
            assert_eq!(refused.0, ["cached"], "{broken}");
            // The re-read after a refused request fails the same way.
            assert!(store.recheck(&refused).await.is_none());
            let logged = logged();
            assert!(
                logged.contains("refresh from Secrets Manager failed"),
                "{logged}"
            );
            assert!(
                logged.contains("reading the secret again after a refused request failed"),
                "{logged}"
            );
            assert!(logged.contains("JSON secret"), "{logged}");
            assert!(!logged.contains("hunter"), "{logged}");
        }
    }

    #[test]
    fn never_printed() {
        let secret = SecretValue::parse("hunter2").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
