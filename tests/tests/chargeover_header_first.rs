//! A wrong `X-ChargeOver-Key` header decides 401 before the body is read:
//! an unauthenticated sender cannot make the function parse a megabyte of
//! JSON. Shown by the memory the delivery allocates (a parse of this body
//! allocates many times its size), counted by this test binary's allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chargeover_main_contact::auth::TokenKeys;
use chargeover_main_contact::Receiver;
use integration_tests::{api_request, test_metrics, unreachable_store};
use jiff::tz::TimeZone;
use webhook_shared::authenticate::secret::{SecretStore, SecretValue, WebhookKeys};
use webhook_shared::pipeline::Common;
use webhook_shared::storage::Store;

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SECRET: &str = "header-first-secret";

/// A valid JSON body of about 1 MiB: many small objects, as expensive to
/// parse as a body of that size gets.
fn big_body() -> String {
    let items: Vec<String> = (0..50_000)
        .map(|i| format!(r#"{{"n":{i},"t":"x"}}"#))
        .collect();
    format!(
        r#"{{"context_str":"customer","context_id":1,"event":"super","security_token":"{SECRET}","data":{{"items":[{}]}}}}"#,
        items.join(",")
    )
}

/// Bytes allocated while `handle` answers `body` sent with the header `key`
/// (or none), and the status.
fn allocated_by(receiver: &Receiver<Store>, key: Option<&str>, body: &str) -> (usize, u16) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(key.map(|key| ("x-chargeover-key", key)));
    let request = api_request("POST", "/chargeover/customer/main-contact", &headers, body);
    let before = ALLOCATED.load(Ordering::Relaxed);
    let status = runtime
        .block_on(chargeover_main_contact::handle(request, receiver))
        .status()
        .as_u16();
    (ALLOCATED.load(Ordering::Relaxed) - before, status)
}

#[test]
fn a_wrong_header_is_refused_without_parsing_the_body() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Never reached: a 401 writes nothing.
    let store = runtime.block_on(unreachable_store());
    let receiver = Receiver {
        common: Common {
            store,
            keys: SecretStore::fixed(
                TokenKeys::from_secret(&SecretValue::parse(SECRET).unwrap()).unwrap(),
            ),
            max_body_bytes: 2 * 1024 * 1024,
            retention_days: None,
            metrics: test_metrics(),
        },
        timezone: TimeZone::UTC,
        encryption: chargeover_main_contact::encryption::Encryption::Auto,
    };
    let body = big_body();
    assert!(body.len() > 900_000, "{}", body.len());

    let (wrong_header, status) = allocated_by(&receiver, Some("not-the-secret"), &body);
    assert_eq!(status, 401);
    // The request itself (its body) is built before; the answer needs a few
    // kilobytes. Parsing would allocate several times the body.
    assert!(
        wrong_header < 64 * 1024,
        "a wrong header allocated {wrong_header} bytes"
    );

    // The same body with no header is parsed to find the body's token (it is
    // wrong there too): far more memory, the same 401.
    let wrong_body = body.replace(SECRET, "not-the-secret!!!!!");
    let (parsed, status) = allocated_by(&receiver, None, &wrong_body);
    assert_eq!(status, 401);
    assert!(parsed > body.len(), "parsing allocated only {parsed} bytes");
}
