//! Configuration: embedded defaults, the user file layered over them, env overrides.
