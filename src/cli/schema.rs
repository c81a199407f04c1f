//! `regel schema POLICY` and `regel schema --ir`

use std::path::PathBuf;

use super::{Exit, compile, eprint_errors, out_line, usage_error};

#[derive(clap::Args)]
pub struct Args {
    /// The policy whose facts to describe
    #[arg(required_unless_present = "ir")]
    policy: Option<PathBuf>,
    /// Print the schema of the regel-ir/1 export format instead
    #[arg(long, conflicts_with = "policy")]
    ir: bool,
}

pub fn run(args: &Args) -> Exit {
    let schema = if args.ir {
        regel::schema::ir()
    } else {
        let Some(path) = &args.policy else {
            return usage_error("name a policy, or use --ir");
        };
        let compiled = match compile(path) {
            Ok(c) => c,
            Err(message) => return usage_error(&message),
        };
        eprint_errors(&compiled.diagnostics, &compiled.sources);
        let Some(policy) = &compiled.policy else {
            return Exit::Errors;
        };
        regel::schema::facts(policy)
    };
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            out_line(&text);
            Exit::Ok
        }
        Err(e) => usage_error(&format!("cannot write the schema: {e}")),
    }
}
