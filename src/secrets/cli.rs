//! Reading a key pair for `speedtrade keys set`: from the terminal without echo, or from stdin.

use super::{Credentials, Profile, SecretsError};
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
