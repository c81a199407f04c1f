//! Shared helpers for the integration tests: compile a policy from disk the way
//! the CLI does (modules are looked up in the folders above the policy).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code)]

pub mod batch;

use std::path::{Path, PathBuf};

use regel::diagnostics::{Diagnostic, render};
use regel::ir;
use regel::load::{self, ModuleResolver};
use regel::source::SourceMap;

pub struct Compiled {
    pub sources: SourceMap,
    pub policy: Option<ir::Policy>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    /// Every diagnostic rendered without colour, as a user reads it.
    pub fn rendered(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| render::render(d, &self.sources, false))
            .collect()
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    /// The codes of the errors only (warnings left out).
    pub fn error_codes(&self) -> Vec<&'static str> {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str())
            .collect()
    }

    /// The errors rendered without colour (warnings left out).
    pub fn rendered_errors(&self) -> String {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| render::render(d, &self.sources, false))
            .collect()
    }

    pub fn policy(&self) -> &ir::Policy {
        self.policy
            .as_ref()
            .unwrap_or_else(|| panic!("policy has errors:\n{}", self.rendered()))
    }
}

pub struct DiskModules;

impl ModuleResolver for DiskModules {
    fn resolve(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        let mut dir = Path::new(from).parent().map(Path::to_path_buf);
        while let Some(current) = dir {
            let candidate = current.join(format!("{path}.regel"));
            if candidate.is_file() {
                let text = std::fs::read_to_string(&candidate).map_err(|e| e.to_string())?;
                return Ok((candidate.display().to_string(), text));
            }
            dir = current.parent().map(Path::to_path_buf);
        }
        Err(format!("module `{path}` not found"))
    }
}

/// Compiles source text as if it were the file `name` (modules resolve from there).
pub fn compile_text(name: &str, text: &str) -> Compiled {
    let mut sources = SourceMap::new();
    let root = sources.add(name, text);
    let (program, mut diagnostics) = load::load(&mut sources, root, &mut DiskModules);
    let mut policy = None;
    if let Some(program) = program {
        let (checked, more) = regel::check::check(&program);
        diagnostics.extend(more);
        policy = checked;
    }
    if regel::diagnostics::has_errors(&diagnostics) {
        policy = None;
    }
    Compiled {
        sources,
        policy,
        diagnostics,
    }
}

pub fn compile_file(path: &str) -> Compiled {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    compile_text(path, &text)
}

/// Every `.regel` file under `dir`, sorted.
pub fn regel_files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "regel") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
