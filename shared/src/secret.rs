//! The webhook secret: a bare value or `{"current": ..., "previous": ...}` for
//! rotation, read inline or from Secrets Manager (cached five minutes), and
//! turned once into the key material a function checks requests with.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::config::{ConfigError, SecretLocation};

/// How long a secret read from Secrets Manager is used before it is read again.
pub const SECRET_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

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
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        let value = if text.starts_with('{') {
            serde_json::from_str::<SecretValue>(text).map_err(|_| {
                ConfigError::UnusableSecret(
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
            return Err(ConfigError::UnusableSecret(
                "the current secret is empty".into(),
            ));
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
    fn from_secret(secret: &SecretValue) -> Result<Self, String>;

    /// The texts to mask wherever a raw body is kept.
    fn secret_texts(&self) -> Vec<&[u8]>;
}

/// The function's keys, refreshed from Secrets Manager when older than
/// [`SECRET_CACHE_TTL`].
pub struct SecretStore<K> {
    source: Option<SecretsManagerSource>,
    cached: RwLock<Cached<K>>,
}

struct SecretsManagerSource {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

struct Cached<K> {
    keys: Arc<K>,
    fetched_at: Instant,
}

impl<K: WebhookKeys> SecretStore<K> {
    /// Reads the secret now: a function that cannot has no business starting.
    pub async fn load(
        location: &SecretLocation,
        client: impl FnOnce() -> aws_sdk_secretsmanager::Client,
    ) -> Result<Self, ConfigError> {
        let (source, keys) = match location {
            SecretLocation::Inline(value) => (
                None,
                K::from_secret(value).map_err(ConfigError::UnusableSecret)?,
            ),
            SecretLocation::SecretsManager { secret_id } => {
                let source = SecretsManagerSource {
                    client: client(),
                    secret_id: secret_id.clone(),
                };
                let keys = source.fetch::<K>().await?;
                (Some(source), keys)
            }
        };
        Ok(SecretStore {
            source,
            cached: RwLock::new(Cached {
                keys: Arc::new(keys),
                fetched_at: Instant::now(),
            }),
        })
    }

    /// Keys built from a known secret (tests, benches).
    pub fn fixed(keys: K) -> Self {
        SecretStore {
            source: None,
            cached: RwLock::new(Cached {
                keys: Arc::new(keys),
                fetched_at: Instant::now(),
            }),
        }
    }

    /// The keys to check a request with. When the cached secret is due, it is
    /// read again; if that fails the cached one keeps serving (a blip at
    /// Secrets Manager must not turn away every delivery).
    pub async fn keys(&self) -> Arc<K> {
        let (keys, fetched_at) = match self.cached.read() {
            Ok(cached) => (cached.keys.clone(), cached.fetched_at),
            Err(poisoned) => {
                let cached = poisoned.into_inner();
                (cached.keys.clone(), cached.fetched_at)
            }
        };
        let Some(source) = &self.source else {
            return keys;
        };
        if fetched_at.elapsed() < SECRET_CACHE_TTL {
            return keys;
        }
        match source.fetch::<K>().await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                if let Ok(mut cached) = self.cached.write() {
                    *cached = Cached {
                        keys: fresh.clone(),
                        fetched_at: Instant::now(),
                    };
                }
                fresh
            }
            Err(error) => {
                tracing::warn!(%error, "refresh from Secrets Manager failed; the cached value keeps serving");
                keys
            }
        }
    }
}

impl SecretsManagerSource {
    async fn fetch<K: WebhookKeys>(&self) -> Result<K, ConfigError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                ConfigError::SecretUnavailable(format!(
                    "{}: {}",
                    self.secret_id,
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                ))
            })?;
        let text = output.secret_string().ok_or_else(|| {
            ConfigError::UnusableSecret(format!("{} has no string value", self.secret_id))
        })?;
        K::from_secret(&SecretValue::parse(text)?).map_err(ConfigError::UnusableSecret)
    }
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
        fn from_secret(secret: &SecretValue) -> Result<Self, String> {
            Ok(Texts(secret.accepted().map(str::to_owned).collect()))
        }

        fn secret_texts(&self) -> Vec<&[u8]> {
            self.0.iter().map(String::as_bytes).collect()
        }
    }

    /// A store whose cached secret is due, reading `answer` from Secrets Manager.
    fn due_store(answer: &'static str) -> SecretStore<Texts> {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
        use aws_smithy_mocks::{mock, mock_client};
        let rule = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_output(move || {
            GetSecretValueOutput::builder()
                .secret_string(answer)
                .build()
        });
        SecretStore {
            source: Some(SecretsManagerSource {
                client: mock_client!(aws_sdk_secretsmanager, [&rule]),
                secret_id: "webhook-secret".into(),
            }),
            cached: RwLock::new(Cached {
                keys: Arc::new(Texts(vec!["cached".into()])),
                fetched_at: Instant::now() - SECRET_CACHE_TTL,
            }),
        }
    }

    #[tokio::test]
    async fn a_due_secret_is_read_again() {
        let store = due_store(r#"{"current": "rotated", "previous": "cached"}"#);
        assert_eq!(store.keys().await.0, ["rotated", "cached"]);
    }

    /// Log lines written while the returned guard lives (this thread only).
    fn capture_logs() -> (
        Arc<std::sync::Mutex<Vec<u8>>>,
        tracing::subscriber::DefaultGuard,
    ) {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Captured(writer.clone()))
            .finish();
        (lines, tracing::subscriber::set_default(subscriber))
    }

    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The refresh failure is logged with its reason, never the value, even
    /// when the value is what is wrong.
    #[tokio::test]
    async fn a_failed_refresh_keeps_serving_and_never_shows_the_value() {
        for broken in [
            r#"{"current": "hunter2", "next": "hunter3"}"#,
            r#"{"current": "hunter2""#,
            r#"{"previous": "hunter2"}"#,
        ] {
            let (lines, _guard) = capture_logs();
            assert_eq!(due_store(broken).keys().await.0, ["cached"], "{broken}");
            let logged = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
            assert!(
                logged.contains("refresh from Secrets Manager failed"),
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
