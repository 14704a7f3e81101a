//! `make bench`'s runtime floor: a Lambda function that answers every
//! delivery `200 {"outcome":"applied"}` without looking at it. Run through the
//! same local Runtime API as the functions, its warm latency is what the
//! runtime crates (event decoding, response encoding) and the emulator cost,
//! and its init what a process start and the runtime's first poll cost.

use std::convert::Infallible;

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async {
        Ok::<_, Infallible>(Response::new(Body::from(r#"{"outcome":"applied"}"#)))
    }))
    .await
}
