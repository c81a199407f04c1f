//! `regel test [PATH...]`

use std::path::PathBuf;

use serde::Serialize;

use regel::diagnostics::render;

use super::{Exit, Format, compile, policy_files, stdout_color, usage_error};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (default: policies/)
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    file: String,
    test: &'a str,
    passed: bool,
    failures: Vec<String>,
}

pub fn run(args: &Args) -> Exit {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        args.paths.clone()
    };
    let files = match policy_files(&paths) {
        Ok(files) => files,
        Err(message) => return usage_error(&message),
    };
    let color = stdout_color();
    let mut exit = Exit::Ok;
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let compiled = match compile(file) {
            Ok(c) => c,
            Err(message) => {
                exit = exit.max(usage_error(&message));
                continue;
            }
        };
        let Some(policy) = &compiled.policy else {
            for d in compiled.diagnostics.iter().filter(|d| d.is_error()) {
                print!("{}", render::render(d, &compiled.sources, color));
            }
            exit = exit.max(Exit::Errors);
            continue;
        };
        for result in regel::testing::run(policy) {
            if result.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
            match args.format {
                Format::Human => {
                    let mark = if result.passed() { "ok  " } else { "FAIL" };
                    println!("{mark} {} :: {}", file.display(), result.name);
                    for failure in &result.failures {
                        print!("{}", render::render(failure, &compiled.sources, color));
                    }
                }
                Format::Json => {
                    let line = JsonResult {
                        file: file.display().to_string(),
                        test: &result.name,
                        passed: result.passed(),
                        failures: result.failures.iter().map(|f| f.message.clone()).collect(),
                    };
                    println!("{}", serde_json::to_string(&line).unwrap_or_default());
                }
            }
        }
    }
    if failed > 0 {
        exit = exit.max(Exit::Errors);
    }
    if args.format == Format::Human {
        println!("{passed} passed, {failed} failed");
    }
    exit
}
