//! `regel fmt [--check] [PATH...]`: rewrite policy files in the canonical layout.

use std::io::Read;
use std::path::{Path, PathBuf};

use regel::diagnostics::render;
use regel::source::SourceMap;

use super::{Exit, out, out_line, policy_files_or_default, stderr_color, usage_error};

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (searched for *.regel; default: policies/).
    /// `-` reads a policy from standard input and writes it, formatted, to
    /// standard output
    paths: Vec<PathBuf>,
    /// Rewrite nothing: print the files that are not formatted, and exit 1 if
    /// there are any
    #[arg(long)]
    check: bool,
}

/// What became of one file.
enum Outcome {
    Unchanged,
    Changed,
    /// Did not parse (diagnostics printed) or could not be written.
    Failed(Exit),
}

pub fn run(args: &Args) -> Exit {
    let stdin = Path::new("-");
    if args.paths.iter().any(|p| p == stdin) {
        if args.paths.len() > 1 {
            return usage_error("`-` (standard input) cannot be combined with other paths");
        }
        return run_stdin(args.check);
    }
    let files = match policy_files_or_default(&args.paths) {
        Ok(files) => files,
        Err(message) => return usage_error(&message),
    };
    let mut exit = Exit::Ok;
    let (mut changed, mut failed) = (0usize, 0usize);
    for file in &files {
        match format_file(file, args.check) {
            Outcome::Unchanged => {}
            Outcome::Changed => {
                changed += 1;
                if args.check {
                    out_line(&file.display().to_string());
                    exit = exit.max(Exit::Errors);
                }
            }
            Outcome::Failed(status) => {
                failed += 1;
                exit = exit.max(status);
            }
        }
    }
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let verb = if args.check {
        "to reformat"
    } else {
        "reformatted"
    };
    eprintln!(
        "{} file{}: {changed} {verb}, {failed} not formatted",
        files.len(),
        s(files.len())
    );
    exit
}

fn format_file(path: &Path, check: bool) -> Outcome {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return Outcome::Failed(usage_error(&format!(
                "cannot read `{}`: {e}",
                path.display()
            )));
        }
    };
    let Some(formatted) = format_text(&path.display().to_string(), &text) else {
        return Outcome::Failed(Exit::Errors);
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if !check {
        if let Err(e) = std::fs::write(path, &formatted) {
            return Outcome::Failed(usage_error(&format!(
                "cannot write `{}`: {e}",
                path.display()
            )));
        }
    }
    Outcome::Changed
}

fn run_stdin(check: bool) -> Exit {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return usage_error(&format!("cannot read standard input: {e}"));
    }
    let Some(formatted) = format_text("<stdin>", &text) else {
        return Exit::Errors;
    };
    if check {
        if formatted == text {
            return Exit::Ok;
        }
        out_line("-");
        return Exit::Errors;
    }
    out(&formatted);
    Exit::Ok
}

/// Formats one text; prints its diagnostics to stderr when it does not parse.
fn format_text(name: &str, text: &str) -> Option<String> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    match regel::fmt::format(id, text) {
        Ok(formatted) => Some(formatted),
        Err(diagnostics) => {
            let color = stderr_color();
            for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
                eprint!("{}", render::render(diagnostic, &sources, color));
            }
            None
        }
    }
}
