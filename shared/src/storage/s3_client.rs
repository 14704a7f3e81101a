//! The S3 client a store writes large documents with, built when first used.

use std::ops::Deref;
use std::sync::{Arc, LazyLock};

/// An S3 client, built when first used: a delivery of normal size never
/// calls S3, and building the client at start-up would cost init CPU for
/// nothing (docs/PERFORMANCE.md).
#[derive(Clone)]
pub struct S3Client(Arc<LazyLock<aws_sdk_s3::Client, ClientBuilder>>);

type ClientBuilder = Box<dyn FnOnce() -> aws_sdk_s3::Client + Send>;

impl S3Client {
    /// A client that `build` makes when it is first used.
    pub fn lazy(build: impl FnOnce() -> aws_sdk_s3::Client + Send + 'static) -> Self {
        S3Client(Arc::new(LazyLock::new(Box::new(build))))
    }
}

impl From<aws_sdk_s3::Client> for S3Client {
    fn from(client: aws_sdk_s3::Client) -> Self {
        S3Client::lazy(move || client)
    }
}

impl Deref for S3Client {
    type Target = aws_sdk_s3::Client;

    fn deref(&self) -> &aws_sdk_s3::Client {
        &self.0
    }
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("S3Client")
    }
}
