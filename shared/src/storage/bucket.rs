//! The payload bucket's handle, and every call made to S3: the only place
//! that talks to the bucket. Errors come back as text for the caller to
//! name the object with.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;

use crate::storage::S3Client;

/// The S3 bucket documents too large for an item go to (`PAYLOAD_BUCKET`).
#[derive(Debug, Clone)]
pub struct Bucket {
    pub client: S3Client,
    pub name: String,
}

/// An object as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub bytes: i64,
    /// Seconds since the epoch.
    pub modified: Option<i64>,
}

impl Bucket {
    /// Writes `content` at `key` in this bucket.
    pub async fn put_object(
        &self,
        key: &str,
        content_type: &str,
        content: Vec<u8>,
    ) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(content))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        Ok(())
    }

    /// The object at `key` in `bucket` (a claim names its bucket); `None`
    /// when there is none.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        let output = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error)
                if matches!(error.as_service_error(), Some(GetObjectError::NoSuchKey(_))) =>
            {
                return Ok(None)
            }
            Err(error) => return Err(DisplayErrorContext(&error).to_string()),
        };
        let bytes = output.body.collect().await.map_err(|e| e.to_string())?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    /// Deletes the object at `key` in `bucket` (with versioning on, it stays
    /// recoverable behind a delete marker).
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), String> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        Ok(())
    }

    /// Every object of this bucket under `prefix`, all pages.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, String> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut listed = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| DisplayErrorContext(&e).to_string())?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                listed.push(Listed {
                    key: key.to_owned(),
                    bytes: object.size().unwrap_or(0),
                    modified: object.last_modified().map(|at| at.secs()),
                });
            }
        }
        Ok(listed)
    }
}
