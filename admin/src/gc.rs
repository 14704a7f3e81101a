//! `gc`: S3 documents no item refers to any more. A state document is
//! deleted by the OCC function once a new state replaces it, and event and
//! quarantine documents expire with their items when retention is set; what
//! is left (a delete that failed, a ChargeOver state replaced, a write whose
//! transaction then failed) is listed here, and deleted with `--delete`.
//! Objects younger than an hour are left alone: their item may be on its way.

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use webhook_shared::storage::{Claim, Store, CLAIM_SUFFIX};

use crate::output::{table, Shown};
use crate::Failure;

/// How old an unreferenced object must be to count as garbage.
pub const MIN_AGE: SignedDuration = SignedDuration::from_hours(1);

/// The functions' object prefixes.
const PREFIXES: [&str; 2] = [
    chargeover_main_contact::store::OBJECT_PREFIX,
    occ_organization::store::OBJECT_PREFIX,
];

pub async fn gc(store: &Store, delete: bool, progress: bool) -> Result<Shown, Failure> {
    let referenced = referenced_keys(store).await?;
    let cutoff = Timestamp::now() - MIN_AGE;
    let mut garbage = Vec::new();
    for prefix in PREFIXES {
        for object in store.bucket.list(prefix).await.map_err(Failure::Aws)? {
            let old = object.modified.is_some_and(|at| at < cutoff.as_second());
            if old && !referenced.contains(&object.key) {
                garbage.push((object.key, object.bytes));
            }
        }
    }
    let bar = crate::output::progress(garbage.len(), progress && delete, "deleted");
    if delete {
        for (key, _) in &garbage {
            store
                .bucket
                .delete_object(&store.bucket.name, key)
                .await
                .map_err(Failure::Aws)?;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let mut shown = table(&["key", "bytes"]);
    for (key, bytes) in &garbage {
        shown.add_row(vec![key.clone(), bytes.to_string()]);
    }
    let verb = if delete {
        "deleted"
    } else {
        "unreferenced (dry run: --delete removes them)"
    };
    Ok(Shown {
        text: format!("{shown}\n{} objects {verb}", garbage.len()),
        json: json!({"deleted": delete, "objects": garbage.iter().map(|(key, bytes)| json!({"key": key, "bytes": bytes})).collect::<Vec<_>>()}),
    })
}

/// Every object key an item of the table refers to.
async fn referenced_keys(store: &Store) -> Result<BTreeSet<String>, Failure> {
    let mut keys = BTreeSet::new();
    // As stored: the claims themselves.
    for item in store.table.scan().await? {
        for (name, value) in &item {
            if name.ends_with(CLAIM_SUFFIX) {
                keys.extend(Claim::from_attribute(value).map(|claim| claim.key));
            }
        }
    }
    Ok(keys)
}
