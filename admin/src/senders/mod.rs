//! The senders' own REST APIs, read to recover what never reached the
//! receivers. Their credentials are read from Secrets Manager, held in
//! memory and sent in request headers only: never printed or logged.

pub mod chargeover;
pub mod http;
pub mod occ;

use crate::target::Resolved;
use crate::Failure;

impl From<http::ApiError> for Failure {
    fn from(error: http::ApiError) -> Self {
        match error {
            http::ApiError::NotFound { .. } => Failure::NotFound(error.to_string()),
            http::ApiError::Setting(problem) => Failure::Usage(problem),
            other => Failure::Sender(other.to_string()),
        }
    }
}

/// The text of the secret `secret_id` (its value never appears in an error).
async fn read_secret(target: &Resolved, secret_id: &str) -> Result<String, Failure> {
    let client = aws_sdk_secretsmanager::Client::new(&target.aws);
    let text = webhook_shared::authenticate::secret::read_text(&client, secret_id).await;
    text.map_err(|e| Failure::Aws(format!("secret {e}")))
}
