//! Credential lookup: the in-memory store, the environment override and its precedence, the
//! messages a user sees, and a known secret that must never show up in any of them.

#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

use speedtrade::domain::VenueId;
use speedtrade::secrets::{
    CredentialStore, Credentials, EnvOverride, KeySource, KeyringStore, Profile, Secrets,
    SecretsError, keys_delete, keys_status, read_credentials,
};
use std::collections::HashMap;

const SECRET: &str = "S3cr3t-known-value-4f1d2b7a9e";
const KEY: &str = "AKIAKNOWNAPIKEY0123456789";

fn env(pairs: &[(&str, &str)]) -> EnvOverride {
    EnvOverride::from_map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn memory() -> Box<dyn CredentialStore> {
    Box::new(KeyringStore::in_memory("speedtrade-test"))
}

#[test]
fn memory_store_round_trip_per_venue_and_profile() {
    let store = KeyringStore::in_memory("speedtrade-test");
    let live = Credentials::new(KEY, SECRET);
    let paper = Credentials::new("paper-key-0123456789", "paper-secret");
    store.set(VenueId::Alpaca, Profile::Live, &live).unwrap();
    store.set(VenueId::Alpaca, Profile::Paper, &paper).unwrap();
    assert_eq!(
        store.get(VenueId::Alpaca, Profile::Live).unwrap(),
        Some(live)
    );
    assert_eq!(
        store.get(VenueId::Alpaca, Profile::Paper).unwrap(),
        Some(paper)
    );
    assert_eq!(store.get(VenueId::Binance, Profile::Live).unwrap(), None);
    assert!(store.delete(VenueId::Alpaca, Profile::Live).unwrap());
    assert_eq!(store.get(VenueId::Alpaca, Profile::Live).unwrap(), None);
    assert!(!store.delete(VenueId::Alpaca, Profile::Live).unwrap());
    let empty = Credentials::new("", "x");
    assert!(matches!(
        store.set(VenueId::Binance, Profile::Live, &empty),
        Err(SecretsError::Input(_))
    ));
}

#[test]
fn profile_env_beats_generic_env_beats_the_keyring() {
    let store = memory();
    store
        .set(
            VenueId::Alpaca,
            Profile::Paper,
            &Credentials::new("stored-key-0123456", "stored"),
        )
        .unwrap();
    let generic = [
        ("SPEEDTRADE_ALPACA_API_KEY", "generic-key"),
        ("SPEEDTRADE_ALPACA_API_SECRET", "generic"),
    ];
    let specific = [
        ("SPEEDTRADE_ALPACA_PAPER_API_KEY", "paper-key"),
        ("SPEEDTRADE_ALPACA_PAPER_API_SECRET", "paper"),
    ];
    let both: Vec<_> = generic.iter().chain(&specific).copied().collect();

    let s = Secrets::new(env(&both), Ok(memory()));
    let r = s.resolve(VenueId::Alpaca, Profile::Paper).unwrap();
    assert_eq!(r.creds.api_secret, "paper");
    assert!(
        matches!(&r.source, KeySource::Env(e) if e.key_var == "SPEEDTRADE_ALPACA_PAPER_API_KEY")
    );
    let r = s.resolve(VenueId::Alpaca, Profile::Live).unwrap();
    assert_eq!(
        r.creds.api_secret, "generic",
        "the generic pair serves any profile"
    );

    let s = Secrets::new(env(&[]), Ok(store));
    let r = s.resolve(VenueId::Alpaca, Profile::Paper).unwrap();
    assert_eq!(r.creds.api_secret, "stored");
    assert!(matches!(r.source, KeySource::Store(ref l) if l.store == "in-memory store"));
}

#[test]
fn messages_say_what_to_do() {
    let s = Secrets::new(env(&[]), Ok(memory()));
    let e = s
        .resolve(VenueId::Binance, Profile::Live)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "no API key for binance (live): run `speedtrade keys set binance --profile live` or set \
         SPEEDTRADE_BINANCE_API_KEY and SPEEDTRADE_BINANCE_API_SECRET"
    );

    let s = Secrets::new(env(&[]), Err("no session keyring".into()));
    let e = s
        .resolve(VenueId::Binance, Profile::Live)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "no usable OS keyring (no session keyring); set SPEEDTRADE_BINANCE_API_KEY and \
         SPEEDTRADE_BINANCE_API_SECRET in the environment instead"
    );
    let e = s
        .set(
            VenueId::Binance,
            Profile::Live,
            &Credentials::new(KEY, SECRET),
        )
        .unwrap_err();
    assert!(matches!(e, SecretsError::NoKeyring { .. }));

    let half = Secrets::new(env(&[("SPEEDTRADE_BINANCE_API_KEY", KEY)]), Ok(memory()));
    let e = half
        .resolve(VenueId::Binance, Profile::Paper)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "SPEEDTRADE_BINANCE_API_KEY is set but SPEEDTRADE_BINANCE_API_SECRET is not: set both or neither"
    );
}

#[test]
fn status_names_the_store_and_its_lifetime() {
    let s = Secrets::new(env(&[]), Ok(memory()));
    let loc = s
        .set(
            VenueId::Binance,
            Profile::Live,
            &Credentials::new(KEY, SECRET),
        )
        .unwrap();
    assert!(!loc.survives_reboot);
    let lines: Vec<String> = s.status_all().iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[1],
        "binance (live): key AKIA… in in-memory store (lost at reboot); lost when the process exits"
    );
    assert!(
        lines[0].starts_with("binance (paper): no API key"),
        "{}",
        lines[0]
    );
    let s = Secrets::new(
        env(&[
            ("SPEEDTRADE_ALPACA_API_KEY", KEY),
            ("SPEEDTRADE_ALPACA_API_SECRET", SECRET),
        ]),
        Ok(memory()),
    );
    let line = s.status(VenueId::Alpaca, Profile::Live).to_string();
    assert!(
        line.contains("environment (SPEEDTRADE_ALPACA_API_KEY / SPEEDTRADE_ALPACA_API_SECRET)"),
        "{line}"
    );
}

#[test]
fn stdin_gives_the_key_then_the_secret() {
    let c = read_credentials("\n  my-key \r\nmy-secret\r\n".as_bytes()).unwrap();
    assert_eq!(
        (c.api_key.as_str(), c.api_secret.as_str()),
        ("my-key", "my-secret")
    );
    let e = read_credentials("only-a-key\n".as_bytes())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "cannot read the credentials: expected the API key on the first line and the secret on the second"
    );
}

#[test]
fn a_known_secret_never_shows_in_debug_errors_or_status() {
    let creds = Credentials::new(KEY, SECRET);
    let mut seen: Vec<String> = vec![format!("{creds:?}"), format!("{:#?}", creds)];
    assert_eq!(seen[0], "Credentials { api_key: ***, api_secret: *** }");

    let store = KeyringStore::in_memory("speedtrade-test");
    let s = Secrets::new(env(&[]), Ok(Box::new(store.clone())));
    s.set(VenueId::Binance, Profile::Live, &creds).unwrap();
    let resolved = s.resolve(VenueId::Binance, Profile::Live).unwrap();
    seen.push(format!("{resolved:?} {store:?} {s:?}"));
    seen.extend(s.status_all().iter().map(|st| format!("{st} {st:?}")));

    let env_map: HashMap<String, String> = [(
        "SPEEDTRADE_BINANCE_PAPER_API_SECRET".to_string(),
        SECRET.to_string(),
    )]
    .into();
    let half = Secrets::new(EnvOverride::from_map(env_map), Ok(memory()));
    let errors = [
        half.resolve(VenueId::Binance, Profile::Paper).unwrap_err(),
        Secrets::new(env(&[]), Err("locked".into()))
            .resolve(VenueId::Binance, Profile::Live)
            .unwrap_err(),
        read_credentials(SECRET.as_bytes()).unwrap_err(),
        store
            .set(
                VenueId::Alpaca,
                Profile::Live,
                &Credentials::new("", SECRET),
            )
            .unwrap_err(),
    ];
    seen.extend(errors.iter().map(|e| format!("{e} {e:?}")));
    for text in &seen {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
    }
}

#[test]
fn keys_commands_print_what_happened() {
    let s = Secrets::new(env(&[]), Ok(memory()));
    s.set(
        VenueId::Alpaca,
        Profile::Paper,
        &Credentials::new(KEY, SECRET),
    )
    .unwrap();
    let lines = keys_status(&s, Some(VenueId::Alpaca), None);
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("alpaca (paper): key AKIA…"),
        "{}",
        lines[0]
    );
    assert_eq!(
        keys_delete(&s, VenueId::Alpaca, Profile::Paper).unwrap(),
        "deleted the alpaca (paper) keys from the keyring"
    );
    assert_eq!(
        keys_delete(&s, VenueId::Alpaca, Profile::Paper).unwrap(),
        "no alpaca (paper) keys were stored in the keyring"
    );
    let e = keys_delete(&s, VenueId::Paper, Profile::Live)
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs no keys"), "{e}");
}
