//! The Secret Service store (cargo feature `secret-service`) against a real gnome-keyring over
//! D-Bus. Needs a session bus and an unlocked keyring, so it is ignored by default; run with
//! `dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets
//! && cargo test --features secret-service --test secrets_secret_service -- --ignored'`.

#![cfg(feature = "secret-service")]
#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

use speedtrade::domain::VenueId;
use speedtrade::secrets::{
    CredentialStore, Credentials, KeyringStore, Profile, StoreKind, open_os_store,
};

const SECRET: &str = "secret-service-test-secret-91c2";

#[test]
#[ignore = "needs a D-Bus session with an unlocked Secret Service (see the file header)"]
fn secret_service_round_trip_survives_reboots() {
    let svc = format!("speedtrade-test-ss-{}", std::process::id());
    let store = KeyringStore::secret_service(&svc).unwrap();
    let creds = Credentials::new("ss-api-key-0123456789", SECRET);
    store.set(VenueId::Binance, Profile::Paper, &creds).unwrap();
    assert_eq!(
        store.get(VenueId::Binance, Profile::Paper).unwrap(),
        Some(creds)
    );
    let loc = store.location();
    assert!(
        loc.survives_reboot && loc.store.contains("Secret Service"),
        "{loc:?}"
    );
    assert!(store.delete(VenueId::Binance, Profile::Paper).unwrap());
    assert_eq!(store.get(VenueId::Binance, Profile::Paper).unwrap(), None);
    assert_eq!(open_os_store().unwrap().kind(), StoreKind::SecretService);
}
