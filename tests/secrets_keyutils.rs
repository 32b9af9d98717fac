//! The kernel keyutils store in real processes: round trip, the session-keyring join when only
//! the `_uid_ses` fallback exists (as in CI and containers), and keys outliving the process.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

use speedtrade::domain::VenueId;
use speedtrade::secrets::{
    CredentialStore, Credentials, EnvOverride, KeyringStore, Profile, Secrets, StoreKind,
};
use std::process::Command;

const SECRET: &str = "keyutils-test-secret-7f3a9c1e";
const CHILD_ENV: &str = "SPEEDTRADE_KEYUTILS_CHILD_SERVICE";

/// A service name no real installation uses, unique per run.
fn service(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("speedtrade-test-{tag}-{}-{nanos}", std::process::id())
}

fn store(service: &str) -> KeyringStore {
    KeyringStore::keyutils(service).unwrap_or_else(|e| panic!("kernel keyutils unusable: {e}"))
}

/// Deletes the test keys even when an assertion fails, so none linger in the persistent keyring.
struct Cleanup(KeyringStore, VenueId, Profile);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = self.0.delete(self.1, self.2);
    }
}

#[test]
fn keyutils_round_trip_in_this_process() {
    let svc = service("rt");
    let store = store(&svc);
    let _cleanup = Cleanup(store.clone(), VenueId::Binance, Profile::Live);
    assert!(matches!(store.kind(), StoreKind::Keyutils { .. }));
    let creds = Credentials::new("rt-api-key-0123456789", SECRET);
    assert_eq!(store.get(VenueId::Binance, Profile::Live).unwrap(), None);
    store.set(VenueId::Binance, Profile::Live, &creds).unwrap();
    assert_eq!(
        store.get(VenueId::Binance, Profile::Live).unwrap(),
        Some(creds.clone())
    );
    assert_eq!(
        store.get(VenueId::Binance, Profile::Paper).unwrap(),
        None,
        "profiles are apart"
    );

    let secrets = Secrets::new(EnvOverride::none(), Ok(Box::new(store.clone())));
    let line = secrets.status(VenueId::Binance, Profile::Live).to_string();
    assert!(
        line.contains("kernel keyutils") && line.contains("lost at reboot"),
        "{line}"
    );
    assert!(line.contains("rt-a…") && !line.contains(SECRET), "{line}");

    assert!(store.delete(VenueId::Binance, Profile::Live).unwrap());
    assert_eq!(store.get(VenueId::Binance, Profile::Live).unwrap(), None);
    assert!(!store.delete(VenueId::Binance, Profile::Live).unwrap());
}

#[test]
fn stored_keys_outlive_the_process_that_stored_them() {
    let svc = service("xp");
    let store = store(&svc);
    let _cleanup = Cleanup(store.clone(), VenueId::Alpaca, Profile::Paper);
    let creds = Credentials::new("xp-api-key-0123456789", SECRET);
    store.set(VenueId::Alpaca, Profile::Paper, &creds).unwrap();
    assert_eq!(run_child(&svc), "FOUND");
    assert!(store.delete(VenueId::Alpaca, Profile::Paper).unwrap());
    assert_eq!(run_child(&svc), "MISSING");
}

/// Runs `child_reads_keys` in a new process (a fresh thread, session and keyring lookup).
fn run_child(svc: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_reads_keys",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, svc)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    assert!(!stdout.contains(SECRET));
    let answer = stdout.split("CHILD ").nth(1).unwrap_or("no answer: ");
    answer.split_whitespace().next().unwrap_or("").to_string()
}

/// Only does something when started by `run_child`.
#[test]
fn child_reads_keys() {
    let Ok(svc) = std::env::var(CHILD_ENV) else {
        return;
    };
    let got = store(&svc).get(VenueId::Alpaca, Profile::Paper).unwrap();
    match got {
        Some(c) if c.api_secret == SECRET => println!("CHILD FOUND"),
        Some(_) => println!("CHILD WRONG"),
        None => println!("CHILD MISSING"),
    }
}
