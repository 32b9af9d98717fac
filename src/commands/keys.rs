//! `speedtrade keys set|status|delete`: API keys in the OS keyring.

use crate::cli::{KeysCmd, Profile as CliProfile};
use crate::domain::VenueId;
use crate::secrets::{self, Profile, Secrets};
use std::process::ExitCode;

fn profile(p: CliProfile) -> Profile {
    match p {
        CliProfile::Paper => Profile::Paper,
        CliProfile::Live => Profile::Live,
    }
}

fn venue(text: &str) -> anyhow::Result<VenueId> {
    text.parse::<VenueId>().map_err(anyhow::Error::msg)
}

/// Runs a `keys` subcommand (blocking: keyring calls are syscalls or D-Bus round trips).
pub fn run(cmd: KeysCmd) -> anyhow::Result<ExitCode> {
    let store = Secrets::from_system();
    match cmd {
        KeysCmd::Set {
            venue: v,
            profile: p,
            stdin,
        } => {
            println!(
                "{}",
                secrets::keys_set(&store, venue(&v)?, profile(p), stdin)?
            );
        }
        KeysCmd::Delete {
            venue: v,
            profile: p,
        } => {
            println!("{}", secrets::keys_delete(&store, venue(&v)?, profile(p))?);
        }
        KeysCmd::Status { venue: v } => {
            let v = v.as_deref().map(venue).transpose()?;
            for line in secrets::keys_status(&store, v, None) {
                println!("{line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
