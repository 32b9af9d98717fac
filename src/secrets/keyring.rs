//! `CredentialStore` over the keyring project's stores: kernel keyutils (always on Linux),
//! Secret Service (cargo feature `secret-service`), and keyring-core's in-memory mock.

use super::session::{
    SessionKeyring, ensure_session_keyring, joined_fresh_session, persistent_keyring_expiry_secs,
};
use super::{CredentialStore, Credentials, EnvOverride, Profile, SecretsError, StoreLocation};
use crate::domain::VenueId;
use keyring_core::{Entry, Error as KrError};
use std::fmt;
use std::sync::Arc;

/// The keyring service name entries are stored under.
pub const SERVICE: &str = "speedtrade";

/// Which backend a [`KeyringStore`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Linux kernel keyutils; `session` says whether a fresh session keyring had to be joined.
    Keyutils {
        /// The session keyring found at open time.
        session: SessionKeyring,
    },
    /// Secret Service over D-Bus (GNOME Keyring, KWallet).
    SecretService,
    /// In process memory (tests).
    Memory,
}

/// A [`CredentialStore`] backed by one keyring-core store. Each pair is two entries under the
/// service name: `<venue>/<profile>/api_key` and `<venue>/<profile>/api_secret`.
#[derive(Clone)]
pub struct KeyringStore {
    inner: Arc<keyring_core::CredentialStore>,
    service: String,
    kind: StoreKind,
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("kind", &self.kind)
            .field("service", &self.service)
            .finish()
    }
}

/// Opens the OS keyring: Secret Service when built with the `secret-service` feature and a
/// D-Bus session answers, otherwise kernel keyutils on Linux. `Err` says why none is usable.
pub fn open_os_store() -> Result<KeyringStore, String> {
    #[cfg(feature = "secret-service")]
    match KeyringStore::secret_service(SERVICE) {
        Ok(store) => return Ok(store),
        Err(e) => tracing::info!("Secret Service unavailable, using kernel keyutils: {e}"),
    }
    #[cfg(target_os = "linux")]
    {
        KeyringStore::keyutils(SERVICE)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err("no keyring store is built for this platform yet".into())
    }
}

impl KeyringStore {
    /// keyring-core's in-memory mock store: same code path, nothing leaves the process.
    pub fn in_memory(service: &str) -> Self {
        let inner: Arc<keyring_core::CredentialStore> = Arc::new(keyring_core::mock::Store {
            id: format!("speedtrade in-memory store for {service}"),
            inner: Default::default(),
        });
        Self {
            inner,
            service: service.into(),
            kind: StoreKind::Memory,
        }
    }

    /// Kernel keyutils, joining a fresh session keyring if only the fallback exists.
    #[cfg(target_os = "linux")]
    pub fn keyutils(service: &str) -> Result<Self, String> {
        let session = ensure_session_keyring()?;
        let inner = linux_keyutils_keyring_store::Store::new()
            .map_err(|e| format!("keyutils: {}", describe(&e)))?;
        Ok(Self {
            inner,
            service: service.into(),
            kind: StoreKind::Keyutils { session },
        })
    }

    /// Secret Service over D-Bus.
    #[cfg(feature = "secret-service")]
    pub fn secret_service(service: &str) -> Result<Self, String> {
        let inner = zbus_secret_service_keyring_store::Store::new()
            .map_err(|e| format!("Secret Service: {}", describe(&e)))?;
        Ok(Self {
            inner,
            service: service.into(),
            kind: StoreKind::SecretService,
        })
    }

    /// The backend.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    fn entry(&self, venue: VenueId, profile: Profile, field: &str) -> Result<Entry, SecretsError> {
        if matches!(self.kind, StoreKind::Keyutils { .. }) {
            // Session keyrings are per thread: this thread may not have joined one yet.
            ensure_session_keyring().map_err(|reason| no_keyring(venue, reason))?;
        }
        let user = format!("{venue}/{profile}/{field}");
        self.inner
            .build(&self.service, &user, None)
            .map_err(|e| self.map_err(venue, e))
    }

    fn read(
        &self,
        venue: VenueId,
        profile: Profile,
        field: &str,
    ) -> Result<Option<String>, SecretsError> {
        match self.entry(venue, profile, field)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(KrError::NoEntry) => Ok(None),
            Err(e) => Err(self.map_err(venue, e)),
        }
    }

    fn remove(&self, venue: VenueId, profile: Profile, field: &str) -> Result<bool, SecretsError> {
        match self.entry(venue, profile, field)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KrError::NoEntry) => Ok(false),
            Err(e) => Err(self.map_err(venue, e)),
        }
    }

    /// Maps a keyring error to ours without ever formatting a stored value.
    fn map_err(&self, venue: VenueId, e: KrError) -> SecretsError {
        match e {
            KrError::NoStorageAccess(_) | KrError::NoDefaultStore => {
                no_keyring(venue, describe(&e))
            }
            other => SecretsError::Keyring {
                store: self.location().store,
                reason: describe(&other),
            },
        }
    }
}

fn no_keyring(venue: VenueId, reason: String) -> SecretsError {
    let (key_var, secret_var) = EnvOverride::generic_vars(venue);
    SecretsError::NoKeyring {
        reason,
        key_var,
        secret_var,
    }
}

/// A keyring error in words; variants that carry stored bytes are described, not printed.
fn describe(e: &KrError) -> String {
    match e {
        KrError::BadEncoding(_) => "the stored value is not UTF-8".into(),
        KrError::BadDataFormat(_, _) => "the stored value is malformed".into(),
        KrError::Ambiguous(items) => format!("{} entries match", items.len()),
        other => other.to_string(),
    }
}

impl CredentialStore for KeyringStore {
    fn location(&self) -> StoreLocation {
        match self.kind {
            StoreKind::Keyutils { session } => keyutils_location(session),
            StoreKind::SecretService => StoreLocation {
                store: "Secret Service (desktop keyring)".into(),
                survives_reboot: true,
                detail: "encrypted on disk by the desktop keyring until deleted".into(),
            },
            StoreKind::Memory => StoreLocation {
                store: "in-memory store".into(),
                survives_reboot: false,
                detail: "lost when the process exits".into(),
            },
        }
    }

    fn get(&self, venue: VenueId, profile: Profile) -> Result<Option<Credentials>, SecretsError> {
        let key = self.read(venue, profile, "api_key")?;
        let secret = self.read(venue, profile, "api_secret")?;
        Ok(key.zip(secret).map(|(k, s)| Credentials::new(k, s)))
    }

    fn set(
        &self,
        venue: VenueId,
        profile: Profile,
        creds: &Credentials,
    ) -> Result<(), SecretsError> {
        if creds.api_key.trim().is_empty() || creds.api_secret.trim().is_empty() {
            return Err(SecretsError::Input(
                "the API key and the secret must not be empty".into(),
            ));
        }
        for (field, value) in [
            ("api_key", &creds.api_key),
            ("api_secret", &creds.api_secret),
        ] {
            self.entry(venue, profile, field)?
                .set_password(value)
                .map_err(|e| self.map_err(venue, e))?;
        }
        Ok(())
    }

    fn delete(&self, venue: VenueId, profile: Profile) -> Result<bool, SecretsError> {
        let key = self.remove(venue, profile, "api_key")?;
        let secret = self.remove(venue, profile, "api_secret")?;
        Ok(key || secret)
    }
}

fn keyutils_location(session: SessionKeyring) -> StoreLocation {
    let expiry =
        persistent_keyring_expiry_secs().map_or_else(|| "3 days".to_string(), human_duration);
    let joined = if session == SessionKeyring::Joined || joined_fresh_session() {
        " (no login session keyring here, so a fresh one was joined)"
    } else {
        ""
    };
    StoreLocation {
        store: "kernel keyutils (persistent keyring)".into(),
        survives_reboot: false,
        detail: format!(
            "kept in kernel memory until reboot, or {expiry} after last use{joined}; run `speedtrade keys set` again after a reboot"
        ),
    }
}

fn human_duration(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} hours", s / 3_600),
        s => format!("{s} seconds"),
    }
}
