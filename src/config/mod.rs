//! Configuration: embedded defaults, the user's TOML file layered over them, checks that name
//! the file and the key, and the directories speedtrade uses.

mod model;
mod validate;

pub use model::*;

use std::path::{Path, PathBuf};

/// The built-in defaults, embedded in the binary.
pub const DEFAULTS: &str = include_str!("../../assets/default.toml");

/// A configuration problem, worded for the user: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// The OS error.
        reason: String,
    },
    /// Not valid TOML.
    #[error("config file {file} is not valid TOML: {reason}")]
    Syntax {
        /// The file.
        file: String,
        /// Parser message with line and column.
        reason: String,
    },
    /// A key that does not exist.
    #[error("config file {file}: unknown key `{key}` ({reason})")]
    UnknownKey {
        /// The file.
        file: String,
        /// Dotted key path.
        key: String,
        /// What the valid keys are.
        reason: String,
    },
    /// A key with a bad value.
    #[error("config file {file}: key `{key}`: {reason}")]
    BadValue {
        /// The file.
        file: String,
        /// Dotted key path.
        key: String,
        /// What is wrong and what is expected.
        reason: String,
    },
}

/// Where the configuration came from and where data goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The user's config file, if one was used.
    pub config_file: Option<PathBuf>,
    /// Data directory: database, logs.
    pub data_dir: PathBuf,
}

impl Paths {
    /// Log files directory.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
    /// The SQLite history file.
    pub fn db_file(&self) -> PathBuf {
        self.data_dir.join(crate::store::FILE_NAME)
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "speedtrade")
}

/// The config file used when none is given: `<config dir>/config.toml`.
pub fn default_config_file() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// The data directory used when none is given.
pub fn default_data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".speedtrade"))
}

/// Resolves the paths from the command line (`--config`, `--data-dir`, which clap already
/// filled from `SPEEDTRADE_CONFIG` / `SPEEDTRADE_DATA_DIR`). An explicit config file must
/// exist; the default one is optional.
pub fn resolve_paths(config: Option<&Path>, data_dir: Option<&Path>) -> Result<Paths, ConfigError> {
    let config_file = match config {
        Some(p) => {
            if !p.is_file() {
                return Err(ConfigError::Read {
                    file: p.display().to_string(),
                    reason: "no such file".into(),
                });
            }
            Some(p.to_path_buf())
        }
        None => default_config_file().filter(|p| p.is_file()),
    };
    let data_dir = data_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(default_data_dir);
    Ok(Paths {
        config_file,
        data_dir,
    })
}

/// Creates `path` and its parents, readable only by the user (0700 on Unix).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Loads the defaults with the user's file (if any) layered over them.
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    match file {
        None => parse_layered(None),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
            parse_layered(Some((&path.display().to_string(), &text)))
        }
    }
}

/// Parses the defaults and, if given, a user document `(file name, text)` layered over them.
pub fn parse_layered(user: Option<(&str, &str)>) -> Result<Config, ConfigError> {
    let mut merged = parse_table("built-in defaults", DEFAULTS)?;
    let file = match user {
        Some((name, text)) => {
            merge(&mut merged, parse_table(name, text)?);
            name
        }
        None => "built-in defaults",
    };
    let config: Config = serde_path_to_error::deserialize(toml::Value::Table(merged))
        .map_err(|e| classify(file, &e))?;
    validate::check(&config).map_err(|(key, reason)| ConfigError::BadValue {
        file: file.to_string(),
        key,
        reason,
    })?;
    Ok(config)
}

fn parse_table(file: &str, text: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            file: file.to_string(),
            reason: e.to_string().trim_end().to_string(),
        })
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn classify(file: &str, e: &serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
    let reason = e.inner().to_string();
    let reason = reason.lines().next().unwrap_or_default().to_string();
    let key = e.path().to_string();
    if reason.starts_with("unknown field") {
        ConfigError::UnknownKey {
            file: file.to_string(),
            key,
            reason,
        }
    } else {
        ConfigError::BadValue {
            file: file.to_string(),
            key,
            reason,
        }
    }
}

#[cfg(test)]
mod tests;
