//! Settings common to both functions, read once at start-up from the
//! environment into typed values. Anything missing or unusable stops the
//! function with a message that names the variable.

use std::str::FromStr;

use thiserror::Error;

use crate::authenticate::secret::{SecretLocation, SecretValue, UnusableSecret};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{name} is required")]
    Missing { name: &'static str },
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "no webhook secret is configured: set {} (Secrets Manager) or {} \
         (local development); the function never runs without one",
        .0.id, .0.value
    )]
    NoSecret(SecretVars),
    #[error("set only one of {} and {}", .0.id, .0.value)]
    AmbiguousSecret(SecretVars),
    #[error("{name} is unusable: {reason}")]
    UnusableSecret {
        name: &'static str,
        reason: UnusableSecret,
    },
}

/// The two variables that can hold a function's secret.
#[derive(Debug, Clone, Copy)]
pub struct SecretVars {
    /// Secrets Manager id or ARN (the deployed path).
    pub id: &'static str,
    /// The value inline (local development).
    pub value: &'static str,
}

/// Settings both functions share.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub table_name: String,
    /// The S3 bucket for documents too large for an item (`PAYLOAD_BUCKET`).
    pub payload_bucket: String,
    /// CloudWatch namespace of the delivery metrics (`METRICS_NAMESPACE`).
    pub metrics_namespace: String,
    pub max_body_bytes: usize,
    /// Days event and quarantine items are kept; `None` keeps them.
    pub event_retention_days: Option<u32>,
    pub secret: SecretLocation,
    /// Also trust certificates beyond Amazon Trust Services' roots: those in
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` when set (an endpoint behind another CA),
    /// else the platform's store outside AWS's commercial partition (China,
    /// GovCloud and isolated regions need not chain to Amazon's roots).
    pub trust_system_roots: bool,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

impl CommonConfig {
    /// Reads the settings through `env` (the process environment in `main`).
    pub fn from_env(
        env: &impl Fn(&str) -> Option<String>,
        secret_vars: SecretVars,
    ) -> Result<Self, ConfigError> {
        let table_name =
            var(env, "TABLE_NAME").ok_or(ConfigError::Missing { name: "TABLE_NAME" })?;
        let payload_bucket = var(env, "PAYLOAD_BUCKET").ok_or(ConfigError::Missing {
            name: "PAYLOAD_BUCKET",
        })?;
        let max_body_bytes = parse_or(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?;
        if max_body_bytes == 0 {
            return Err(ConfigError::Invalid {
                name: "MAX_BODY_BYTES",
                reason: "must be greater than 0".into(),
            });
        }
        let retention: u32 = parse_or(env, "EVENT_RETENTION_DAYS", 0)?;
        let secret = match (var(env, secret_vars.id), var(env, secret_vars.value)) {
            (Some(secret_id), None) => SecretLocation::SecretsManager { secret_id },
            (None, Some(value)) => {
                let value =
                    SecretValue::parse(&value).map_err(|reason| ConfigError::UnusableSecret {
                        name: secret_vars.value,
                        reason,
                    })?;
                SecretLocation::Inline(value)
            }
            (Some(_), Some(_)) => return Err(ConfigError::AmbiguousSecret(secret_vars)),
            (None, None) => return Err(ConfigError::NoSecret(secret_vars)),
        };
        Ok(CommonConfig {
            table_name,
            payload_bucket,
            metrics_namespace: var(env, "METRICS_NAMESPACE")
                .unwrap_or_else(|| crate::operate::metrics::DEFAULT_NAMESPACE.to_owned()),
            max_body_bytes,
            event_retention_days: (retention > 0).then_some(retention),
            secret,
            trust_system_roots: var(env, "SSL_CERT_FILE").is_some()
                || var(env, "SSL_CERT_DIR").is_some()
                || var(env, "AWS_REGION").is_some_and(|region| !commercial_partition(&region)),
        })
    }
}

/// Whether `region` is in AWS's commercial partition (`aws`), whose endpoints
/// chain to Amazon Trust Services: not China (`cn-`), GovCloud (`us-gov-`) or
/// the isolated partitions (`us-iso`, `us-isob`, `eu-isoe`, ...).
fn commercial_partition(region: &str) -> bool {
    !["cn-", "us-gov-", "us-iso", "eu-iso"]
        .iter()
        .any(|prefix| region.starts_with(prefix))
}

/// A variable's value; empty counts as unset.
pub fn var(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|value| !value.trim().is_empty())
}

/// A variable parsed into `T`, or `default` when unset.
pub fn parse_or<T: FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(env, name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: e.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const VARS: SecretVars = SecretVars {
        id: "X_SECRET_ID",
        value: "X_SECRET",
    };

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_and_inline_secret() {
        let config = CommonConfig::from_env(
            &env(&[
                ("TABLE_NAME", "t"),
                ("PAYLOAD_BUCKET", "b"),
                ("X_SECRET", "s"),
            ]),
            VARS,
        )
        .unwrap();
        assert_eq!(config.table_name, "t");
        assert_eq!(config.max_body_bytes, 1_048_576);
        assert_eq!(config.event_retention_days, None);
        assert!(matches!(config.secret, SecretLocation::Inline(_)));
        assert!(!config.trust_system_roots);
    }

    #[test]
    fn more_roots_only_when_named_or_outside_the_commercial_partition() {
        let trusts = |pairs: &[(&str, &str)]| {
            let mut pairs = pairs.to_vec();
            pairs.extend([
                ("TABLE_NAME", "t"),
                ("PAYLOAD_BUCKET", "b"),
                ("X_SECRET", "s"),
            ]);
            CommonConfig::from_env(&env(&pairs), VARS)
                .unwrap()
                .trust_system_roots
        };
        assert!(trusts(&[("SSL_CERT_FILE", "/etc/ssl/x.pem")]));
        assert!(trusts(&[("SSL_CERT_DIR", "/etc/ssl/certs")]));
        for region in [
            "cn-north-1",
            "us-gov-west-1",
            "us-iso-east-1",
            "eu-isoe-west-1",
        ] {
            assert!(trusts(&[("AWS_REGION", region)]), "{region}");
        }
        for region in [
            "us-east-1",
            "eu-central-1",
            "ap-southeast-2",
            "ca-central-1",
        ] {
            assert!(!trusts(&[("AWS_REGION", region)]), "{region}");
        }
    }

    #[test]
    fn secrets_manager_and_retention() {
        let config = CommonConfig::from_env(
            &env(&[
                ("TABLE_NAME", "t"),
                ("PAYLOAD_BUCKET", "b"),
                ("X_SECRET_ID", "arn:x"),
                ("EVENT_RETENTION_DAYS", "30"),
                ("MAX_BODY_BYTES", "2048"),
            ]),
            VARS,
        )
        .unwrap();
        assert_eq!(config.event_retention_days, Some(30));
        assert_eq!(config.max_body_bytes, 2048);
        assert!(
            matches!(config.secret, SecretLocation::SecretsManager { ref secret_id } if secret_id == "arn:x")
        );
    }

    #[test]
    fn refuses_to_start_without_a_usable_setting() {
        type Vars<'a> = &'a [(&'a str, &'a str)];
        const BASE: [(&str, &str); 2] = [("TABLE_NAME", "t"), ("PAYLOAD_BUCKET", "b")];
        let cases: [(Vars, Vars, &str); 7] = [
            (
                &[("PAYLOAD_BUCKET", "b")],
                &[("X_SECRET", "s")],
                "TABLE_NAME is required",
            ),
            (
                &[("TABLE_NAME", "t")],
                &[("X_SECRET", "s")],
                "PAYLOAD_BUCKET is required",
            ),
            (&BASE, &[], "no webhook secret is configured"),
            (
                &BASE,
                &[("X_SECRET", "  ")],
                "no webhook secret is configured",
            ),
            (
                &BASE,
                &[("X_SECRET", "a"), ("X_SECRET_ID", "b")],
                "set only one",
            ),
            (
                &BASE,
                &[("X_SECRET", "s"), ("MAX_BODY_BYTES", "lots")],
                "MAX_BODY_BYTES is invalid",
            ),
            (
                &BASE,
                &[("X_SECRET", "s"), ("EVENT_RETENTION_DAYS", "-1")],
                "EVENT_RETENTION_DAYS is invalid",
            ),
        ];
        for (base, pairs, message) in cases {
            let pairs: Vec<(&str, &str)> = base.iter().chain(pairs).copied().collect();
            let error = CommonConfig::from_env(&env(&pairs), VARS)
                .unwrap_err()
                .to_string();
            assert!(error.contains(message), "{error}");
        }
    }
}
