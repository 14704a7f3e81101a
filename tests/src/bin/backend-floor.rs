//! `make bench`'s backend floor: the storage calls of a delivery, sent by the
//! function's own store code from a warm client, with nothing else around them.
//!
//!   backend-floor <chargeover-main-contact|occ-organization> [deliveries]
//!
//! Start-up is the function's (its configuration from the environment, its
//! SDK settings, the table primed). Each delivery is the sample event's body
//! for a new customer or organization (as `scripts/runtime_api.py` sends
//! them), built before the clock starts; only `record` is timed. Prints one
//! JSON object: the milliseconds of each call after the first, and their median.

use std::time::Instant;

use serde_json::{json, Value};
use webhook_shared::deadline::{Deadline, WITHOUT_CONTEXT};
use webhook_shared::receipt::Receipt;
use webhook_shared::startup::{connect, or_refuse_to_start};
use webhook_shared::storage::Store;
use webhook_shared::{json as body_json, Outcome};

const USAGE: &str = "usage: backend-floor <chargeover-main-contact|occ-organization> [deliveries]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let function = args.next().ok_or(USAGE)?;
    let count: usize = match args.next() {
        Some(n) => n.parse().map_err(|_| USAGE)?,
        None => 50,
    };
    let floor = Floor::start(&function).await?;
    let run = jiff::Timestamp::now().as_millisecond() % 10_000_000;
    let mut times = Vec::with_capacity(count);
    for i in 0..=count {
        let body = floor.sample_body(run * 1000 + i64::try_from(i).map_err(|e| e.to_string())?)?;
        let elapsed = floor
            .record(&body)
            .await
            .map_err(|e| format!("delivery {i}: {e}"))?;
        // The first call after start-up is not a warm one.
        if i > 0 {
            times.push(elapsed);
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "{}",
        json!({"function": function, "record_ms": times, "median_ms": median})
    );
    Ok(())
}

/// A function's store, started as the function starts it.
enum Floor {
    Chargeover(Store, chargeover_main_contact::config::Config),
    Occ(Store),
}

impl Floor {
    async fn start(function: &str) -> Result<Self, String> {
        let env = |name: &str| std::env::var(name).ok();
        match function {
            "chargeover-main-contact" => {
                use chargeover_main_contact::{auth::TokenKeys, config::Config};
                let config = or_refuse_to_start(Config::from_env(&env));
                let (store, _) = or_refuse_to_start(connect::<TokenKeys>(&config.common).await);
                Ok(Floor::Chargeover(store, config))
            }
            "occ-organization" => {
                use occ_organization::{auth::HmacKeys, config::Config};
                let config = or_refuse_to_start(Config::from_env(&env));
                let (store, _) = or_refuse_to_start(connect::<HmacKeys>(&config.common).await);
                Ok(Floor::Occ(store))
            }
            _ => Err(USAGE.into()),
        }
    }

    /// Records `body` as a delivery: milliseconds spent in `record`.
    async fn record(&self, body: &str) -> Result<f64, String> {
        let receipt = Receipt::new(body.as_bytes(), jiff::Timestamp::now(), None);
        let payload = body_json::parse(body.as_bytes()).map_err(|e| e.to_string())?;
        let deadline = Deadline::after(WITHOUT_CONTEXT);
        let (started, outcome) = match self {
            Floor::Chargeover(store, config) => {
                use chargeover_main_contact::{handler::delivery, store::MainContactStore};
                let delivery = delivery(payload, &config.timezone, &receipt, None)
                    .map_err(|e| e.to_string())?;
                let started = Instant::now();
                (started, store.record(&delivery, &deadline).await)
            }
            Floor::Occ(store) => {
                use occ_organization::{handler::delivery, store::OrganizationStore};
                let delivery = delivery(payload, &receipt).map_err(|e| e.to_string())?;
                let started = Instant::now();
                (started, store.record(&delivery, &deadline).await)
            }
        };
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(Outcome::Applied) => Ok(elapsed),
            Ok(other) => Err(format!("{other:?}, not applied")),
            Err(error) => Err(error.to_string()),
        }
    }

    /// The sample event's body for customer or organization `id`.
    fn sample_body(&self, id: i64) -> Result<String, String> {
        let file = match self {
            Floor::Chargeover(..) => "chargeover-valid.json",
            Floor::Occ(_) => "occ-full.json",
        };
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/").to_owned() + file;
        let read =
            |text: &str| serde_json::from_str::<Value>(text).map_err(|e| format!("{path}: {e}"));
        let event = read(&std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?)?;
        let mut body = read(event["body"].as_str().unwrap_or_default())?;
        match self {
            Floor::Chargeover(..) => {
                let id = 2_000_000_000 + id;
                body["context_id"] = json!(id);
                body["data"]["customer"]["customer_id"] = json!(id);
                body["data"]["user"]["customer_id"] = json!(id);
            }
            Floor::Occ(_) => body["organization"]["id"] = json!(format!("or-floor-{id}")),
        }
        Ok(body.to_string())
    }
}
