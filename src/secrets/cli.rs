//! `speedtrade keys set|status|delete` as library calls: reading a key pair from the terminal
//! without echo or from stdin, storing it, and the lines to print.

use super::{Credentials, Profile, Secrets, SecretsError, key_hint};
use crate::domain::VenueId;
use std::io::BufRead;

/// Reads the API key from the first non-empty line and the secret from the next (`--stdin`).
pub fn read_credentials(mut input: impl BufRead) -> Result<Credentials, SecretsError> {
    let mut lines = Vec::with_capacity(2);
    let mut buf = String::new();
    while lines.len() < 2 {
        buf.clear();
        let n = input
            .read_line(&mut buf)
            .map_err(|e| SecretsError::Input(e.kind().to_string()))?;
        if n == 0 {
            break;
        }
        let line = buf.trim();
        if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    match <[String; 2]>::try_from(lines) {
        Ok([key, secret]) => Ok(Credentials::new(key, secret)),
        Err(_) => Err(SecretsError::Input(
            "expected the API key on the first line and the secret on the second".into(),
        )),
    }
}

/// Asks for the key and the secret on the terminal, without echo.
pub fn prompt_credentials(venue: VenueId, profile: Profile) -> Result<Credentials, SecretsError> {
    let ask = |what: &str| {
        rpassword::prompt_password(format!("{venue} ({profile}) {what}: "))
            .map_err(|e| {
                SecretsError::Input(format!(
                    "no terminal to read from ({}); use --stdin",
                    e.kind()
                ))
            })
            .map(|s| s.trim().to_string())
    };
    let key = ask("API key")?;
    let secret = ask("API secret")?;
    if key.is_empty() || secret.is_empty() {
        return Err(SecretsError::Input(
            "the API key and the secret must not be empty".into(),
        ));
    }
    Ok(Credentials::new(key, secret))
}

/// `speedtrade keys set <venue> [--profile P] [--stdin]`: reads the pair (no echo, or stdin),
/// stores it, reads it back, and returns the line to print.
pub fn keys_set(
    secrets: &Secrets,
    venue: VenueId,
    profile: Profile,
    from_stdin: bool,
) -> Result<String, SecretsError> {
    refuse_paper(venue)?;
    let creds = if from_stdin {
        read_credentials(std::io::stdin().lock())?
    } else {
        prompt_credentials(venue, profile)?
    };
    let loc = secrets.set(venue, profile, &creds)?;
    let reboot = if loc.survives_reboot {
        "survives a reboot"
    } else {
        "lost at reboot"
    };
    Ok(format!(
        "stored the {venue} ({profile}) key {} in {} ({reboot}); {}",
        key_hint(&creds.api_key),
        loc.store,
        loc.detail
    ))
}

/// `speedtrade keys delete <venue> [--profile P]`: the line to print.
pub fn keys_delete(
    secrets: &Secrets,
    venue: VenueId,
    profile: Profile,
) -> Result<String, SecretsError> {
    refuse_paper(venue)?;
    Ok(if secrets.delete(venue, profile)? {
        format!("deleted the {venue} ({profile}) keys from the keyring")
    } else {
        format!("no {venue} ({profile}) keys were stored in the keyring")
    })
}

/// `speedtrade keys status [<venue>] [--profile P]`: one line per venue and profile.
pub fn keys_status(
    secrets: &Secrets,
    venue: Option<VenueId>,
    profile: Option<Profile>,
) -> Vec<String> {
    secrets
        .status_all()
        .into_iter()
        .filter(|s| venue.is_none_or(|v| v == s.venue) && profile.is_none_or(|p| p == s.profile))
        .map(|s| s.to_string())
        .collect()
}

fn refuse_paper(venue: VenueId) -> Result<(), SecretsError> {
    match venue {
        VenueId::Paper => Err(SecretsError::Input(
            "the paper broker runs in-process and needs no keys".into(),
        )),
        VenueId::Binance | VenueId::Alpaca => Ok(()),
    }
}
