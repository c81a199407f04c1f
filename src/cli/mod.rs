//! The `regel` command line. The only code that reads files, prints, and picks
//! exit codes: 0 = ok, 1 = errors in a policy or in data, 2 = usage or I/O error.

mod batch;
mod check;
mod eval;
mod export;
mod fmt;
mod schema;
mod test;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use regel::diagnostics::{Diagnostic, render};
use regel::ir;
use regel::load::{self, ModuleResolver};
use regel::source::SourceMap;

#[derive(Parser)]
#[command(
    name = "regel",
    version,
    about = "Check, evaluate, test, format and export Regel procurement policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files (or folders of them) and print diagnostics
    Check(check::Args),
    /// Decide for one provider (--facts FILE.json) or for many, one per row (--data FILE.csv)
    Eval(eval::Args),
    /// Print the checked policy as regel-ir/1 JSON
    Export(export::Args),
    /// Run the tests written in policy files
    Test(test::Args),
    /// Rewrite policy files in the canonical layout (--check: only report)
    Fmt(fmt::Args),
    /// Print the JSON Schema of a policy's facts (or, with --ir, of the export format)
    Schema(schema::Args),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Readable text
    #[default]
    Human,
    /// JSON
    Json,
}

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Errors = 1,
    Usage = 2,
}

impl Exit {
    fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// The worse of two statuses.
    pub fn max(self, other: Exit) -> Exit {
        if (other as u8) > (self as u8) {
            other
        } else {
            self
        }
    }
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Schema(args) => schema::run(&args),
    };
    exit.code()
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

pub fn stdout_color() -> bool {
    use_color(std::io::stdout().is_terminal())
}

/// Writes to stdout. When stdout is closed (`regel export ... | head`), the
/// rest of the output is dropped quietly instead of aborting.
pub fn out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Writes one line to stdout; see [`out`].
pub fn out_line(text: &str) {
    out(text);
    out("\n");
}

/// Prints an I/O or usage problem and returns exit code 2.
pub fn usage_error(message: &str) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}

/// A policy read from disk, loaded with its modules and checked.
pub struct Compiled {
    pub sources: SourceMap,
    pub policy: Option<ir::Policy>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, loads and checks one policy (or module) file. `Err` is an I/O problem.
pub fn compile(path: &Path) -> Result<Compiled, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut sources = SourceMap::new();
    let root = sources.add(path.display().to_string(), text);
    let mut resolver = DiskResolver;
    let (program, mut diagnostics) = load::load(&mut sources, root, &mut resolver);
    let mut policy = None;
    if let Some(program) = program {
        let (checked, check_diagnostics) = regel::check::check(&program);
        diagnostics.extend(check_diagnostics);
        if !regel::diagnostics::has_errors(&diagnostics) {
            policy = checked;
        }
    }
    regel::diagnostics::sort(&mut diagnostics);
    Ok(Compiled {
        sources,
        policy,
        diagnostics,
    })
}

/// Prints the errors among `diagnostics` to stderr in readable form. Warnings
/// are for `regel check`; the other verbs report only what stops them.
pub fn eprint_errors(diagnostics: &[Diagnostic], sources: &SourceMap) {
    let color = stderr_color();
    for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", render::render(diagnostic, sources, color));
    }
}

/// Finds `use` modules on disk: `use common/general` from
/// `policies/2025/x.regel` looks for `common/general.regel` in
/// `policies/2025/`, then `policies/`, and so on up to the root.
struct DiskResolver;

impl ModuleResolver for DiskResolver {
    fn resolve(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        if path.split('/').any(|part| part.is_empty() || part == "..") {
            return Err(format!("`{path}` is not a module path"));
        }
        let relative = PathBuf::from(format!("{path}.regel"));
        let mut dir = Path::new(from).parent().map(Path::to_path_buf);
        let mut tried = Vec::new();
        while let Some(current) = dir {
            let candidate = current.join(&relative);
            if candidate.is_file() {
                let text = std::fs::read_to_string(&candidate)
                    .map_err(|e| format!("cannot read `{}`: {e}", candidate.display()))?;
                return Ok((candidate.display().to_string(), text));
            }
            tried.push(candidate.display().to_string());
            dir = current.parent().map(Path::to_path_buf);
        }
        Err(format!("looked for {}", tried.join(", ")))
    }
}

/// The files of `paths`, or of `policies/` when none are given (`regel test`
/// and `regel fmt` default to the policy folder).
pub fn policy_files_or_default(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if paths.is_empty() {
        policy_files(&[PathBuf::from("policies")])
    } else {
        policy_files(paths)
    }
}

/// Expands folders into the `.regel` files below them, sorted.
pub fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_dir(path, &mut files)?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("`{}` does not exist", path.display()));
        }
    }
    Ok(files)
}

fn collect_dir(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_dir(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "regel") {
            files.push(path);
        }
    }
    Ok(())
}
