//! The kernel keyutils session keyring: detect the `_uid_ses.<uid>` fallback (CI, containers,
//! systemd services) where keys can be written but not read back, and join a fresh one.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once any thread of this process had to join a fresh session keyring.
static JOINED: AtomicBool = AtomicBool::new(false);

/// Whether this process had to join a fresh session keyring (only the fallback existed).
pub fn joined_fresh_session() -> bool {
    JOINED.load(Ordering::Relaxed)
}

/// The session keyring the calling thread ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKeyring {
    /// A real session keyring, e.g. from an SSH or console login.
    Login,
    /// Only the kernel's per-user fallback existed, so a fresh anonymous session keyring was
    /// joined. Keys then live in the user's persistent keyring.
    Joined,
}

/// Makes sure the calling thread has a usable session keyring, joining a fresh one when only
/// the kernel's `_uid_ses.<uid>` fallback exists.
///
/// Session keyrings belong to a thread's credentials: call this on every thread that touches
/// keyutils (the keyutils store does so itself), ideally once in `main` before other threads
/// start so they inherit it.
#[cfg(target_os = "linux")]
pub fn ensure_session_keyring() -> Result<SessionKeyring, String> {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    let current = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
        .and_then(|ring| ring.metadata())
        .map(|meta| meta.get_description().to_string());
    match current {
        Ok(desc) if !desc.starts_with("_uid_ses.") => Ok(SessionKeyring::Login),
        Ok(_) | Err(_) => {
            join_fresh_session_keyring()
                .map_err(|e| format!("cannot join a session keyring: {e}"))?;
            JOINED.store(true, Ordering::Relaxed);
            tracing::info!(
                "joined a fresh kernel session keyring (only the per-user fallback existed)"
            );
            Ok(SessionKeyring::Joined)
        }
    }
}

/// Not Linux: there is no keyutils.
#[cfg(not(target_os = "linux"))]
pub fn ensure_session_keyring() -> Result<SessionKeyring, String> {
    Err("kernel keyutils exists only on Linux".into())
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: replaces the calling thread's session keyring
/// with a new anonymous one. linux-keyutils 0.2 has no safe wrapper for it.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn join_fresh_session_keyring() -> std::io::Result<()> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: the only pointer argument is NULL (asking for an anonymous keyring); the call reads
    // no user memory and only changes this thread's keyring credentials.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Seconds the kernel keeps an unused persistent keyring, if it says.
pub fn persistent_keyring_expiry_secs() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry")
        .ok()?
        .trim()
        .parse()
        .ok()
}
