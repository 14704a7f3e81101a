//! Claim check: DynamoDB holds at most 400 KB an item, but nothing
//! authenticated is refused or cut for its size. When an item would not fit,
//! its large attributes are written to S3 first, each as an object whose key
//! is derived from its content (a retry writes the same object), and the item
//! holds `<attribute>_s3` = {bucket, key, bytes, sha256} in their place.
//! Normal-size items make no S3 call at all.
//!
//! Keys: `<function>/<kind>/<sha256 of the content>[-v<version>].<json|txt>`.
//! Event and quarantine objects may expire with their items (a lifecycle rule
//! per prefix); state objects live as long as an item refers to them, and
//! carry the version of the state they belong to where the function deletes
//! the one a new state replaces (the same content at two versions is two
//! objects, so deleting the old one never takes the new one's).

use aws_lc_rs::digest::{digest, SHA256};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::storage::attribute::{n, s, Members};
use crate::storage::document::to_json;
use crate::storage::{Bucket, Item, StoreError};

/// The most an item is let grow to before its large attributes go to S3:
/// DynamoDB's limit is 400 KB; the rest is margin for the estimate below.
pub const ITEM_BUDGET: usize = 350 * 1024;

/// What an item holds besides its large attributes, at most: keys, ids,
/// times, version, a claim or two.
pub const ITEM_OVERHEAD: usize = 1024;

/// What an attribute claimed to S3 is called in its item.
pub const CLAIM_SUFFIX: &str = "_s3";

/// The kinds of documents, each under its own key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An event record's `payload` (may expire with it).
    Event,
    /// A state's document (`organization`, `customer`, `contact`): kept.
    State,
    /// A quarantined delivery's `body` or `problem` (may expire with it).
    Quarantine,
}

impl Kind {
    /// The key segment after the function's prefix.
    pub fn segment(self) -> &'static str {
        match self {
            Kind::Event => "events/",
            Kind::State => "state/",
            Kind::Quarantine => "quarantine/",
        }
    }

    /// How its documents are written: a quarantined delivery's body and
    /// problem as the text they are, the rest as JSON.
    fn form(self) -> Form {
        match self {
            Kind::Quarantine => Form::Text,
            Kind::Event | Kind::State => Form::Json,
        }
    }
}

/// How an attribute is written as an object: JSON (`application/json`), or
/// a text attribute's bytes as they are (a quarantined raw body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Json,
    Text,
}

/// Where an attribute's value is, in place of the value: `<attribute>_s3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub bucket: String,
    pub key: String,
    /// The object's length.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the object's bytes.
    pub sha256: String,
}

impl Claim {
    pub fn to_attribute(&self) -> AttributeValue {
        AttributeValue::M(Members::from([
            ("bucket".to_owned(), s(&self.bucket)),
            ("key".to_owned(), s(&self.key)),
            ("bytes".to_owned(), n(self.bytes)),
            ("sha256".to_owned(), s(&self.sha256)),
        ]))
    }

    pub fn from_attribute(value: &AttributeValue) -> Option<Self> {
        let members = value.as_m().ok()?;
        let text = |name: &str| members.get(name)?.as_s().ok().cloned();
        Some(Claim {
            bucket: text("bucket")?,
            key: text("key")?,
            bytes: members.get("bytes")?.as_n().ok()?.parse().ok()?,
            sha256: text("sha256")?,
        })
    }

    /// The object is missing or not what the claim says.
    fn corrupt(&self) -> StoreError {
        StoreError::CorruptObject {
            key: self.key.clone(),
        }
    }

    /// How the object is read back: JSON unless it was written as text.
    pub fn form(&self) -> Form {
        if self.key.ends_with(".txt") {
            Form::Text
        } else {
            Form::Json
        }
    }
}

/// An attribute as its item holds it: the value, or a claim on the object
/// it was written to.
#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    Inline(AttributeValue),
    Claimed(Claim),
}

impl Placed {
    /// `value` as its item holds it: claimed when `claim` says so.
    pub fn new(value: &AttributeValue, claim: Option<&Claim>) -> Self {
        match claim {
            Some(claim) => Placed::Claimed(claim.clone()),
            None => Placed::Inline(value.clone()),
        }
    }

    /// Sets `name` or, claimed, `name_s3` in `item`.
    pub fn insert_into(self, item: &mut Item, name: &str) {
        match self {
            Placed::Inline(value) => item.insert(name.to_owned(), value),
            Placed::Claimed(claim) => {
                item.insert(format!("{name}{CLAIM_SUFFIX}"), claim.to_attribute())
            }
        };
    }
}

/// One attribute that may be claimed: its name and value.
pub type Large<'a> = (&'static str, &'a AttributeValue);

impl Bucket {
    /// The event record's `payload`, claimed when the event item would not fit.
    pub async fn claim_payload(
        &self,
        prefix: &str,
        payload: &AttributeValue,
    ) -> Result<Option<Claim>, StoreError> {
        let claims = self
            .claim_large(
                prefix,
                Kind::Event,
                ITEM_OVERHEAD,
                &[("payload", payload)],
                "",
            )
            .await?;
        Ok(claims.into_iter().next().flatten())
    }

    /// Claims what must leave an item whose other attributes take `others`
    /// bytes: nothing while the item fits (no S3 call), else the largest of
    /// `large` written to S3 (under `prefix` and the kind's segment, the
    /// content's digest then `suffix` naming the key) until it does. A claim
    /// per attribute, in the order given.
    pub async fn claim_large(
        &self,
        prefix: &str,
        kind: Kind,
        others: usize,
        large: &[Large<'_>],
        suffix: &str,
    ) -> Result<Vec<Option<Claim>>, StoreError> {
        let sizes: Vec<usize> = large
            .iter()
            .map(|(name, value)| name.len() + attribute_size(value))
            .collect();
        let mut total = others + sizes.iter().sum::<usize>();
        let mut claims = vec![None; large.len()];
        let mut by_size: Vec<usize> = (0..large.len()).collect();
        by_size.sort_by_key(|&index| std::cmp::Reverse(sizes[index]));
        for index in by_size {
            if total <= ITEM_BUDGET {
                break;
            }
            let value = large[index].1;
            let content = match (kind.form(), value) {
                (Form::Text, AttributeValue::S(text)) => text.as_bytes().to_vec(),
                _ => to_json(value),
            };
            let key = format!("{prefix}{}", kind.segment());
            claims[index] = Some(self.put(&key, suffix, kind.form(), content).await?);
            total = total - sizes[index] + CLAIM_SIZE;
        }
        Ok(claims)
    }

    /// Writes `content` under `prefix`, its digest, `suffix`.
    async fn put(
        &self,
        prefix: &str,
        suffix: &str,
        form: Form,
        content: Vec<u8>,
    ) -> Result<Claim, StoreError> {
        let sha256 = sha256_hex(&content);
        let (extension, content_type) = match form {
            Form::Json => ("json", "application/json"),
            Form::Text => ("txt", "text/plain; charset=utf-8"),
        };
        let claim = Claim {
            bucket: self.name.clone(),
            key: format!("{prefix}{sha256}{suffix}.{extension}"),
            bytes: content.len() as u64,
            sha256,
        };
        self.put_object(&claim.key, content_type, content)
            .await
            .map_err(|e| unavailable("PutObject", &claim, &e))?;
        Ok(claim)
    }

    /// The object `claim` refers to, checked against its length and digest;
    /// `None` when it does not exist (any more).
    pub async fn get(&self, claim: &Claim) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(bytes) = self
            .get_object(&claim.bucket, &claim.key)
            .await
            .map_err(|e| unavailable("GetObject", claim, &e))?
        else {
            return Ok(None);
        };
        if bytes.len() as u64 != claim.bytes || sha256_hex(&bytes) != claim.sha256 {
            return Err(claim.corrupt());
        }
        Ok(Some(bytes))
    }

    /// Deletes the object `claim` refers to.
    pub async fn delete(&self, claim: &Claim) -> Result<(), StoreError> {
        self.delete_object(&claim.bucket, &claim.key)
            .await
            .map_err(|e| unavailable("DeleteObject", claim, &e))
    }

    /// `item` with each `<attribute>_s3` replaced by the attribute it stands
    /// for, read from S3 (what readers of the table do).
    pub async fn resolve(&self, item: &mut Item) -> Result<(), StoreError> {
        let claimed: Vec<String> = item
            .keys()
            .filter(|key| key.ends_with(CLAIM_SUFFIX))
            .cloned()
            .collect();
        for key in claimed {
            let Some(claim) = item.get(&key).and_then(Claim::from_attribute) else {
                continue;
            };
            let bytes = self.get(&claim).await?.ok_or_else(|| claim.corrupt())?;
            let value = match claim.form() {
                Form::Text => AttributeValue::S(String::from_utf8_lossy(&bytes).into_owned()),
                Form::Json => crate::validate::json::parse(&bytes).map_err(|_| claim.corrupt())?,
            };
            item.remove(&key);
            item.insert(key.trim_end_matches(CLAIM_SUFFIX).to_owned(), value);
        }
        Ok(())
    }
}

/// The most a claim takes in its item (name, bucket, key, length, digest).
const CLAIM_SIZE: usize = 512;

fn unavailable(operation: &str, claim: &Claim, error: &dyn std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("S3 {operation} {}: {error}", claim.key))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

/// An upper bound of what DynamoDB counts for an attribute's value: text
/// and bytes as they are, numbers at their text's length (DynamoDB stores at
/// most one byte per two digits, plus one), 3 bytes per list or map and 1 per
/// element, member names included
/// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
pub fn attribute_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number.len().max(2),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::L(items) => {
            3 + items
                .iter()
                .map(|item| 1 + attribute_size(item))
                .sum::<usize>()
        }
        AttributeValue::M(members) => {
            3 + members
                .iter()
                .map(|(name, member)| 1 + name.len() + attribute_size(member))
                .sum::<usize>()
        }
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(String::len).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_bound_what_dynamodb_counts() {
        let value = crate::validate::json::parse(br#"{"ab": ["xyz", 12345, true, null], "c": {}}"#)
            .unwrap();
        // M: 3 + (1 + 2 + L) + (1 + 1 + M{}); L: 3 + (1+3) + (1+5) + (1+1) + (1+1).
        assert_eq!(attribute_size(&value), 3 + (1 + 2 + 17) + (1 + 1 + 3));
    }

    #[test]
    fn claims_round_trip_as_attributes() {
        let claim = Claim {
            bucket: "b".into(),
            key: "occ/state/ab.json".into(),
            bytes: 12,
            sha256: "ab".into(),
        };
        assert_eq!(
            Claim::from_attribute(&claim.to_attribute()),
            Some(claim.clone())
        );
        let mut item = Item::new();
        Placed::Claimed(claim.clone()).insert_into(&mut item, "organization");
        assert!(item.contains_key("organization_s3"));
        assert_eq!(claim.form(), Form::Json);
    }
}
