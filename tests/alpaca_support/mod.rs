//! Shared helpers for the Alpaca integration tests: raw sample text from the fixtures and
//! wait-until helpers with timeouts.
#![allow(dead_code)]

use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

const SAMPLES: &str = include_str!("../fixtures/alpaca_samples.json");
const EXTRA: &str = include_str!("../fixtures/alpaca_extra_samples.json");

/// Walks `path` through a JSON document and returns the raw text there, numbers untouched.
fn walk(doc: &str, path: &[&str]) -> String {
    let mut text: &str = doc;
    for key in path {
        let map: BTreeMap<String, &RawValue> = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{path:?}: not an object at {key}: {e}"));
        text = map
            .get(*key)
            .unwrap_or_else(|| panic!("{path:?}: no key {key}"))
            .get();
    }
    text.to_string()
}

/// Raw text of a sample in `alpaca_samples.json`.
pub fn sample(path: &[&str]) -> String {
    walk(SAMPLES, path)
}

/// Raw text of a sample in `alpaca_extra_samples.json`.
pub fn extra(path: &[&str]) -> String {
    walk(EXTRA, path)
}

/// The elements of a JSON array, as raw text.
pub fn elements(array: &str) -> Vec<String> {
    let items: Vec<&RawValue> = serde_json::from_str(array).expect("array");
    items.into_iter().map(|r| r.get().to_string()).collect()
}

/// Receives until `pick` returns something, failing after `limit`.
pub async fn recv_until<T, R>(
    rx: &mut mpsc::Receiver<T>,
    limit: Duration,
    mut pick: impl FnMut(T) -> Option<R>,
) -> R {
    let fut = async {
        loop {
            let item = rx.recv().await.expect("channel closed");
            if let Some(r) = pick(item) {
                return r;
            }
        }
    };
    tokio::time::timeout(limit, fut)
        .await
        .expect("timed out waiting for an event")
}

/// Waits until `check` is true, polling, failing after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let fut = async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(limit, fut)
        .await
        .expect("timed out waiting for a condition");
}

/// Generous limit for anything that should happen at once on loopback.
pub const SOON: Duration = Duration::from_secs(10);
