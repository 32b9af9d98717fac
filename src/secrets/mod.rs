//! Credential storage: the OS keyring, an environment override, and an in-memory store for tests.
//!
//! Keys are looked up per venue and profile (`paper` / `live`; Alpaca's paper keys differ from
//! its live keys). Resolution order:
//! 1. `SPEEDTRADE_<VENUE>_<PROFILE>_API_KEY` + `SPEEDTRADE_<VENUE>_<PROFILE>_API_SECRET`
//!    (e.g. `SPEEDTRADE_ALPACA_PAPER_API_KEY`);
//! 2. `SPEEDTRADE_<VENUE>_API_KEY` + `SPEEDTRADE_<VENUE>_API_SECRET`, for any profile;
//! 3. the OS keyring: service `speedtrade`, entries `<venue>/<profile>/api_key` and
//!    `<venue>/<profile>/api_secret`.
//!
//! Secrets never appear in errors, logs or `Debug` output.

mod cli;
mod creds;
mod env;
mod keyring;
mod session;

pub use cli::{keys_delete, keys_set, keys_status, prompt_credentials, read_credentials};
pub use creds::Credentials;
pub use env::{EnvOverride, EnvSource};
pub use keyring::{KeyringStore, StoreKind, open_os_store};
pub use session::{SessionKeyring, ensure_session_keyring};

use crate::domain::VenueId;
use std::fmt;

/// Which set of keys: a venue's paper (sandbox / testnet) account or the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// Paper / testnet keys.
    Paper,
    /// Real-money keys.
    Live,
}

impl Profile {
    /// Both profiles.
    pub const ALL: [Profile; 2] = [Profile::Paper, Profile::Live];
    /// `"paper"` or `"live"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Paper => "paper",
            Profile::Live => "live",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "paper" => Ok(Profile::Paper),
            "live" => Ok(Profile::Live),
            other => Err(format!("unknown profile `{other}` (paper or live)")),
        }
    }
}

/// Why credentials could not be read, stored or deleted. Messages never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    /// No OS keyring can be used here.
    #[error(
        "no usable OS keyring ({reason}); set {key_var} and {secret_var} in the environment instead"
    )]
    NoKeyring {
        /// What went wrong.
        reason: String,
        /// The env variable for the key.
        key_var: String,
        /// The env variable for the secret.
        secret_var: String,
    },
    /// Nothing stored for this venue and profile.
    #[error(
        "no API key for {venue} ({profile}): run `speedtrade keys set {venue} --profile {profile}` or set {key_var} and {secret_var}"
    )]
    NotFound {
        /// Venue.
        venue: VenueId,
        /// Profile.
        profile: Profile,
        /// The env variable for the key.
        key_var: String,
        /// The env variable for the secret.
        secret_var: String,
    },
    /// Only half of an environment pair is set.
    #[error("{set} is set but {missing} is not: set both or neither")]
    IncompleteEnv {
        /// The variable that is set.
        set: String,
        /// The one that is missing.
        missing: String,
    },
    /// The keyring failed.
    #[error("{store}: {reason}")]
    Keyring {
        /// Which store.
        store: String,
        /// What went wrong (never the secret).
        reason: String,
    },
    /// Reading the key from the terminal or stdin failed.
    #[error("cannot read the credentials: {0}")]
    Input(String),
}

/// Where a store keeps keys and how long they last, for `keys status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreLocation {
    /// Human name, e.g. "kernel keyutils (persistent keyring)".
    pub store: String,
    /// Whether the keys are still there after a reboot.
    pub survives_reboot: bool,
    /// One line on lifetime and caveats.
    pub detail: String,
}

/// A place that keeps API keys per venue and profile.
pub trait CredentialStore: Send + Sync {
    /// Where keys live and how long.
    fn location(&self) -> StoreLocation;
    /// The stored pair, or `None` when nothing is stored.
    fn get(&self, venue: VenueId, profile: Profile) -> Result<Option<Credentials>, SecretsError>;
    /// Stores (or replaces) the pair.
    fn set(
        &self,
        venue: VenueId,
        profile: Profile,
        creds: &Credentials,
    ) -> Result<(), SecretsError>;
    /// Removes the pair; `false` when nothing was stored.
    fn delete(&self, venue: VenueId, profile: Profile) -> Result<bool, SecretsError>;
}

/// Where resolved credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Environment variables.
    Env(EnvSource),
    /// A keyring store.
    Store(StoreLocation),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(e) => write!(
                f,
                "environment ({} / {}); lasts as long as the variables are set",
                e.key_var, e.secret_var
            ),
            KeySource::Store(loc) => {
                let reboot = if loc.survives_reboot {
                    "survives a reboot"
                } else {
                    "lost at reboot"
                };
                write!(f, "{} ({reboot}); {}", loc.store, loc.detail)
            }
        }
    }
}

/// Credentials and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The pair.
    pub creds: Credentials,
    /// Its source.
    pub source: KeySource,
}

/// One line of `speedtrade keys status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    /// Venue.
    pub venue: VenueId,
    /// Profile.
    pub profile: Profile,
    /// Where the keys are, if found.
    pub source: Option<KeySource>,
    /// The start of the API key (never the secret), to tell keys apart.
    pub key_hint: Option<String>,
    /// Why they could not be read, or how to add them.
    pub problem: Option<String>,
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): ", self.venue, self.profile)?;
        match (&self.source, &self.problem) {
            (Some(src), _) => {
                write!(
                    f,
                    "key {} in {src}",
                    self.key_hint.as_deref().unwrap_or("***")
                )
            }
            (None, Some(p)) => f.write_str(p),
            (None, None) => f.write_str("not set"),
        }
    }
}

/// The first 4 characters of an API key followed by `…` (`***` for short keys).
pub fn key_hint(api_key: &str) -> String {
    if api_key.chars().count() >= 12 {
        let head: String = api_key.chars().take(4).collect();
        format!("{head}…")
    } else {
        "***".into()
    }
}

/// Credential lookup as the app uses it: the environment override first, then the store.
pub struct Secrets {
    env: EnvOverride,
    store: Result<Box<dyn CredentialStore>, String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let store = self.store.as_ref().map(|s| s.location().store);
        f.debug_struct("Secrets")
            .field("store", &store)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// Lookup over `env` and `store` (an `Err` says why no keyring is usable).
    pub fn new(env: EnvOverride, store: Result<Box<dyn CredentialStore>, String>) -> Self {
        Self { env, store }
    }

    /// The process environment and the OS keyring ([`open_os_store`]).
    pub fn from_system() -> Self {
        let store = open_os_store().map(|s| Box::new(s) as Box<dyn CredentialStore>);
        Self::new(EnvOverride::from_process(), store)
    }

    fn store(&self, venue: VenueId) -> Result<&dyn CredentialStore, SecretsError> {
        self.store.as_deref().map_err(|reason| {
            let (key_var, secret_var) = EnvOverride::generic_vars(venue);
            SecretsError::NoKeyring {
                reason: reason.clone(),
                key_var,
                secret_var,
            }
        })
    }

    /// The keys to use for `venue` / `profile`.
    pub fn resolve(&self, venue: VenueId, profile: Profile) -> Result<Resolved, SecretsError> {
        if let Some((creds, src)) = self.env.get(venue, profile)? {
            return Ok(Resolved {
                creds,
                source: KeySource::Env(src),
            });
        }
        let store = self.store(venue)?;
        match store.get(venue, profile)? {
            Some(creds) => Ok(Resolved {
                creds,
                source: KeySource::Store(store.location()),
            }),
            None => {
                let (key_var, secret_var) = EnvOverride::generic_vars(venue);
                Err(SecretsError::NotFound {
                    venue,
                    profile,
                    key_var,
                    secret_var,
                })
            }
        }
    }

    /// Stores keys in the keyring and reads them back; returns where they now live.
    pub fn set(
        &self,
        venue: VenueId,
        profile: Profile,
        creds: &Credentials,
    ) -> Result<StoreLocation, SecretsError> {
        let store = self.store(venue)?;
        store.set(venue, profile, creds)?;
        match store.get(venue, profile)? {
            Some(back) if back == *creds => Ok(store.location()),
            _ => Err(SecretsError::Keyring {
                store: store.location().store,
                reason: "the keys were written but cannot be read back".into(),
            }),
        }
    }

    /// Deletes keys from the keyring; `false` when none were stored.
    pub fn delete(&self, venue: VenueId, profile: Profile) -> Result<bool, SecretsError> {
        self.store(venue)?.delete(venue, profile)
    }

    /// Where the keys for `venue` / `profile` come from, or why there are none.
    pub fn status(&self, venue: VenueId, profile: Profile) -> KeyStatus {
        let mut st = KeyStatus {
            venue,
            profile,
            source: None,
            key_hint: None,
            problem: None,
        };
        match self.resolve(venue, profile) {
            Ok(r) => {
                st.key_hint = Some(key_hint(&r.creds.api_key));
                st.source = Some(r.source);
            }
            Err(e) => st.problem = Some(e.to_string()),
        }
        st
    }

    /// Status for every venue that takes keys, both profiles.
    pub fn status_all(&self) -> Vec<KeyStatus> {
        [VenueId::Binance, VenueId::Alpaca]
            .into_iter()
            .flat_map(|v| Profile::ALL.map(|p| self.status(v, p)))
            .collect()
    }
}
