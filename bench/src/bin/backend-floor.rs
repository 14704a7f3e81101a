//! `make bench`'s backend floor: the storage requests of a delivery, sent by
//! the SDK from a warm client, with nothing else around them.
//!
//!   backend-floor <chargeover-main-contact|occ-organization> [deliveries]
//!
//! Start-up is the function's (its configuration from the environment, its
//! SDK settings, the table primed). Each delivery is the sample event's body
//! for a new customer or organization (as `scripts/runtime_api.py` sends
//! them), built into its requests by the store's own code before the clock
//! starts: the event record and the state, and for OCC the state read too.
//! Only sending them is timed: wall time, the part of it spent waiting for
//! AWS (`aws_wait`, as the functions log it), and this process's CPU time
//! (all of it the SDK's: the runtime has one thread). Prints one JSON
//! object: the milliseconds of each delivery after the first, and medians.

use std::time::Instant;

use serde_json::{json, Value};
use webhook_shared::operate::aws_wait::measured;
use webhook_shared::operate::startup::{or_refuse_to_start, start};
use webhook_shared::receive::receipt::Receipt;
use webhook_shared::storage::{Store, Transacted};
use webhook_shared::validate::json as body_json;

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
    let (mut times, mut waits, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..=count {
        let body = floor.sample_body(run * 1000 + i64::try_from(i).map_err(|e| e.to_string())?)?;
        let sent = floor.record(&body).await;
        let Sent {
            elapsed,
            waited,
            cpu: on_cpu,
        } = sent.map_err(|e| format!("delivery {i}: {e}"))?;
        // The first call after start-up is not a warm one.
        if i > 0 {
            times.push(elapsed);
            waits.push(waited);
            cpu.push(on_cpu);
        }
    }
    let client: Vec<f64> = times.iter().zip(&waits).map(|(t, w)| t - w).collect();
    println!(
        "{}",
        json!({"function": function, "record_ms": times, "median_ms": median(&times),
               "aws_wait_ms": waits, "median_aws_wait_ms": median(&waits),
               "median_client_ms": median(&client),
               "record_cpu_ms": cpu, "median_cpu_ms": median(&cpu)})
    );
    Ok(())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// CPU time of this process so far, all its threads, in milliseconds (the
/// kernel's schedstat: nanoseconds on a CPU, as `scripts/runtime_api.py`
/// reads it for the functions).
fn cpu_ms() -> Result<f64, String> {
    let mut nanoseconds = 0u64;
    for task in std::fs::read_dir("/proc/self/task").map_err(|e| e.to_string())? {
        let path = task.map_err(|e| e.to_string())?.path().join("schedstat");
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let on_cpu = text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok());
        nanoseconds += on_cpu.ok_or_else(|| format!("{}: unreadable", path.display()))?;
    }
    Ok(nanoseconds as f64 / 1e6)
}

/// One delivery's requests sent, in milliseconds: wall time, the part of it
/// waiting for AWS, and this process's CPU time.
struct Sent {
    elapsed: f64,
    waited: f64,
    cpu: f64,
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
                let started = start::<TokenKeys>(&config.common, "backend-floor").await;
                let store = or_refuse_to_start(started).store;
                Ok(Floor::Chargeover(store, config))
            }
            "occ-organization" => {
                use occ_organization::{auth::HmacKeys, config::Config};
                let config = or_refuse_to_start(Config::from_env(&env));
                let started = start::<HmacKeys>(&config.common, "backend-floor").await;
                let store = or_refuse_to_start(started).store;
                Ok(Floor::Occ(store))
            }
            _ => Err(USAGE.into()),
        }
    }

    /// Sends `body`'s storage requests, built first as the store builds them
    /// for a new customer or organization (a first write: nothing stored to
    /// merge with, nothing in S3): the milliseconds the sending took.
    async fn record(&self, body: &str) -> Result<Sent, String> {
        let receipt = Receipt::new(body.as_bytes(), jiff::Timestamp::now(), None);
        let payload = body_json::parse(body.as_bytes()).map_err(|e| e.to_string())?;
        let (started, (sent, waited)) = match self {
            Floor::Chargeover(store, config) => {
                use chargeover_main_contact::handler::delivery;
                use chargeover_main_contact::store::{transaction, Claims};
                let delivery = delivery(payload, &config.timezone, &receipt, None)
                    .map_err(|e| e.to_string())?;
                let writes = transaction(&store.table.name, &delivery, &Claims::default())
                    .map_err(|e| e.to_string())?;
                let started = (Instant::now(), cpu_ms()?);
                (started, measured(store.table.transact(writes)).await)
            }
            Floor::Occ(store) => {
                use occ_organization::handler::delivery;
                use occ_organization::merge::{merge, MergedOrganization};
                use occ_organization::store::{organization_pk, transaction, Claims, STATE_SK};
                let delivery = delivery(payload, &receipt).map_err(|e| e.to_string())?;
                let pk = organization_pk(&delivery.organization_id);
                let merged = merge(MergedOrganization::default(), delivery.organization.clone());
                let writes =
                    transaction(&store.table.name, &delivery, merged, 0, &Claims::default())
                        .map_err(|e| e.to_string())?;
                let started = (Instant::now(), cpu_ms()?);
                let sent = measured(async {
                    // The state read, as the store sends it.
                    store.table.get(&pk, STATE_SK).await?;
                    store.table.transact(writes).await
                });
                (started, sent.await)
            }
        };
        let (at, cpu_at) = started;
        let done = Sent {
            elapsed: at.elapsed().as_secs_f64() * 1000.0,
            waited: waited.as_secs_f64() * 1000.0,
            cpu: cpu_ms()? - cpu_at,
        };
        match sent {
            Ok(Transacted::Applied) => Ok(done),
            Ok(failed @ (Transacted::Duplicate | Transacted::ConditionFailed)) => {
                Err(format!("conditions failed: {failed:?}"))
            }
            Ok(Transacted::Busy(busy)) => Err(format!("busy: {busy:?}")),
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
