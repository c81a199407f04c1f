//! `regel check FILE...`

use std::collections::BTreeSet;
use std::path::PathBuf;

use regel::diagnostics::{Severity, render};

use super::{Exit, Format, compile, out, out_line, policy_files, stdout_color, usage_error};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (searched for *.regel)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format: readable text, or one JSON object per line per diagnostic
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Treat warnings as errors (exit 1)
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: &Args) -> Exit {
    let files = match policy_files(&args.paths) {
        Ok(files) => files,
        Err(message) => return usage_error(&message),
    };
    let color = stdout_color();
    let mut exit = Exit::Ok;
    let mut errors = 0usize;
    let mut warnings = 0usize;
    // A module used by several policies is checked with each; report its
    // problems once.
    let mut seen = BTreeSet::new();
    for file in &files {
        let compiled = match compile(file) {
            Ok(c) => c,
            Err(message) => {
                exit = exit.max(usage_error(&message));
                continue;
            }
        };
        for diagnostic in &compiled.diagnostics {
            let json = render::to_json(diagnostic, &compiled.sources);
            let key = serde_json::to_string(&json).unwrap_or_default();
            if !seen.insert(key.clone()) {
                continue;
            }
            match diagnostic.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            match args.format {
                Format::Json => out_line(&key),
                Format::Human => out(&render::render(diagnostic, &compiled.sources, color)),
            }
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        exit = exit.max(Exit::Errors);
    }
    if args.format == Format::Human {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        eprintln!(
            "checked {} file{}: {errors} error{}, {warnings} warning{}",
            files.len(),
            s(files.len()),
            s(errors),
            s(warnings)
        );
    }
    exit
}
