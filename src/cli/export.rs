//! `regel export POLICY`

use std::path::PathBuf;

use super::{Exit, compile, eprint_errors, out, usage_error};

#[derive(clap::Args)]
pub struct Args {
    /// The policy file
    policy: PathBuf,
}

pub fn run(args: &Args) -> Exit {
    let compiled = match compile(&args.policy) {
        Ok(c) => c,
        Err(message) => return usage_error(&message),
    };
    eprint_errors(&compiled.diagnostics, &compiled.sources);
    let Some(policy) = &compiled.policy else {
        return Exit::Errors;
    };
    out(&regel::export::to_json(policy, &compiled.sources));
    Exit::Ok
}
