//! The speedtrade binary: parse the command line and run the chosen command.

fn main() {}
