//! This function's settings, read once at start-up.

use jiff::tz::TimeZone;
use webhook_shared::operate::config::{parse_or, var, CommonConfig, ConfigError, SecretVars};

use crate::auth::TokenKeys;
use crate::encryption::Encryption;

pub const SECRET_VARS: SecretVars = SecretVars {
    id: "CHARGEOVER_WEBHOOK_SECRET_ID",
    value: "CHARGEOVER_WEBHOOK_SECRET",
};

/// ChargeOver accounts default to US Central time.
pub const DEFAULT_TIMEZONE: &str = "America/Chicago";

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// The zone of datetimes that carry no offset (`CHARGEOVER_TIMEZONE`).
    pub timezone: TimeZone,
    /// Whether encrypted bodies are expected (`CHARGEOVER_ENCRYPTION`).
    pub encryption: Encryption,
}

impl Config {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let name = var(env, "CHARGEOVER_TIMEZONE").unwrap_or_else(|| DEFAULT_TIMEZONE.into());
        let timezone = TimeZone::get(name.trim()).map_err(|e| ConfigError::Invalid {
            name: "CHARGEOVER_TIMEZONE",
            reason: format!("not an IANA time zone: {e}"),
        })?;
        Ok(Config {
            common: CommonConfig::from_env(env, SECRET_VARS)?,
            timezone,
            encryption: parse_or(env, "CHARGEOVER_ENCRYPTION", Encryption::Auto)?,
        })
    }

    /// Refuses `required` encryption when no accepted secret can be an AES
    /// key (16, 24 or 32 bytes): every delivery would be refused.
    pub fn check_encryption(&self, keys: &TokenKeys) -> Result<(), ConfigError> {
        if self.encryption == Encryption::Required && keys.ciphers().is_empty() {
            return Err(ConfigError::Invalid {
                name: "CHARGEOVER_ENCRYPTION",
                reason: "required, but the secret is not an AES key (16, 24 or 32 bytes)".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezone_default_and_override() {
        let base = |name: &str| match name {
            "TABLE_NAME" => Some("t".to_string()),
            "PAYLOAD_BUCKET" => Some("b".to_string()),
            "CHARGEOVER_WEBHOOK_SECRET" => Some("s".to_string()),
            _ => None,
        };
        let config = Config::from_env(&base).unwrap();
        assert_eq!(config.timezone.iana_name(), Some("America/Chicago"));

        let utc = |name: &str| {
            if name == "CHARGEOVER_TIMEZONE" {
                Some("UTC".into())
            } else {
                base(name)
            }
        };
        assert_eq!(
            Config::from_env(&utc).unwrap().timezone.iana_name(),
            Some("UTC")
        );

        let bad = |name: &str| {
            if name == "CHARGEOVER_TIMEZONE" {
                Some("Mars/Olympus".into())
            } else {
                base(name)
            }
        };
        let error = Config::from_env(&bad).unwrap_err().to_string();
        assert!(error.contains("CHARGEOVER_TIMEZONE"), "{error}");
    }
}
