//! `regel test [PATH...]`

use std::path::PathBuf;

use serde::Serialize;

use regel::diagnostics::render;

use super::{
    Exit, Format, compile, out, out_line, policy_files_or_default, stdout_color, usage_error,
};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (default: policies/)
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Report which rules, condition parts and threshold boundaries the tests exercise
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when fewer than this percentage of rules fire in some test
    #[arg(long, value_name = "PERCENT")]
    min_coverage: Option<rust_decimal::Decimal>,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    file: String,
    test: &'a str,
    passed: bool,
    failures: Vec<String>,
}

pub fn run(args: &Args) -> Exit {
    let files = match policy_files_or_default(&args.paths) {
        Ok(files) => files,
        Err(message) => return usage_error(&message),
    };
    let color = stdout_color();
    let mut exit = Exit::Ok;
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut broken: Vec<String> = Vec::new();
    let measure = args.coverage || args.min_coverage.is_some();
    let (mut rules_fired, mut rules_countable) = (0usize, 0usize);
    for file in &files {
        let compiled = match compile(file) {
            Ok(c) => c,
            Err(message) => {
                exit = exit.max(usage_error(&message));
                continue;
            }
        };
        let Some(policy) = &compiled.policy else {
            // The policy does not check, so its tests cannot run. In JSON mode
            // stdout stays one JSON object per line; the errors go to stderr.
            match args.format {
                Format::Human => {
                    for d in compiled.diagnostics.iter().filter(|d| d.is_error()) {
                        out(&render::render(d, &compiled.sources, color));
                    }
                }
                Format::Json => super::eprint_errors(&compiled.diagnostics, &compiled.sources),
            }
            broken.push(file.display().to_string());
            exit = exit.max(Exit::Errors);
            continue;
        };
        if policy.is_module {
            // Modules are tested through the policies that use them.
            continue;
        }
        for result in regel::testing::run(policy) {
            if result.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
            match args.format {
                Format::Human => {
                    let mark = if result.passed() { "ok  " } else { "FAIL" };
                    out_line(&format!("{mark} {} :: {}", file.display(), result.name));
                    for failure in &result.failures {
                        out(&render::render(failure, &compiled.sources, color));
                    }
                }
                Format::Json => {
                    let line = JsonResult {
                        file: file.display().to_string(),
                        test: &result.name,
                        passed: result.passed(),
                        failures: result.failures.iter().map(|f| f.message.clone()).collect(),
                    };
                    out_line(&serde_json::to_string(&line).unwrap_or_default());
                }
            }
        }
        if measure {
            let coverage = regel::coverage::measure(policy, &compiled.sources);
            rules_fired += coverage.rules_fired;
            rules_countable += coverage.rules_countable;
            if args.coverage {
                match args.format {
                    Format::Human => out(&regel::coverage::render(&coverage, &file.display().to_string())),
                    Format::Json => out_line(
                        &serde_json::json!({ "file": file.display().to_string(), "coverage": coverage })
                            .to_string(),
                    ),
                }
            }
        }
    }
    if failed > 0 {
        exit = exit.max(Exit::Errors);
    }
    if let Some(minimum) = args.min_coverage {
        let percent = if rules_countable == 0 {
            rust_decimal::Decimal::ONE_HUNDRED
        } else {
            rust_decimal::Decimal::from(rules_fired) * rust_decimal::Decimal::ONE_HUNDRED
                / rust_decimal::Decimal::from(rules_countable)
        };
        if percent < minimum {
            eprintln!(
                "coverage {}% of rules fired is below the minimum of {minimum}%",
                percent.round_dp(1).normalize()
            );
            exit = exit.max(Exit::Errors);
        }
    }
    if args.format == Format::Human {
        if !broken.is_empty() {
            out_line(&format!(
                "not run, the policy has errors: {}",
                broken.join(", ")
            ));
        }
        out_line(&format!("{passed} passed, {failed} failed"));
    }
    exit
}
