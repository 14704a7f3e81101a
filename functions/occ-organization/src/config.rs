//! This function's settings, read once at start-up.

use webhook_shared::operate::config::{parse_or, CommonConfig, ConfigError, SecretVars};

use crate::auth::Algorithms;

pub const SECRET_VARS: SecretVars = SecretVars {
    id: "OCC_WEBHOOK_SECRET_ID",
    value: "OCC_WEBHOOK_SECRET",
};

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// The HMAC digests accepted (`OCC_SIGNATURE_ALGORITHMS`).
    pub algorithms: Algorithms,
}

impl Config {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let algorithms = parse_or(env, "OCC_SIGNATURE_ALGORITHMS", Algorithms::ALL)?;
        Ok(Config {
            common: CommonConfig::from_env(env, SECRET_VARS)?,
            algorithms,
        })
    }
}
