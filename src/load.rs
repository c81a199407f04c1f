//! Loading a policy and the modules it `use`s.
//!
//! The library does no I/O: the caller passes a [`ModuleResolver`] that finds a
//! module's text (the CLI looks on disk). Every loaded file is added to the
//! [`SourceMap`], so diagnostics can point into modules too.
//!
//! What a `use` brings in: every module reached (directly or through other
//! modules) contributes its declarations — inputs, constants, definitions —
//! once. Rules come only from the `use` lines of the file being checked: each
//! such line selects rules of its module (all, `except ...` or `only ...`)
//! and gives them its `cites`. A module used by another module lends it names,
//! not rules. So the order of `use` lines never matters, and a document that
//! states one module's conditions under several sections uses the module
//! several times, each time with `only` and the section it cites.

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, SourceMap};
use crate::syntax::{self, ast};

/// How deep `use` chains may go (a policy using a module using a module ...).
pub const MAX_MODULE_DEPTH: usize = 16;

/// Finds modules named in `use` declarations.
pub trait ModuleResolver {
    /// Looks up `path` (as written after `use`) for the file named `from`.
    /// Returns the name to show in diagnostics and the text, or why it failed.
    fn resolve(&mut self, from: &str, path: &str) -> Result<(String, String), String>;
}

/// A resolver that knows no modules (for policies without `use`).
pub struct NoModules;

impl ModuleResolver for NoModules {
    fn resolve(&mut self, _from: &str, path: &str) -> Result<(String, String), String> {
        Err(format!("no module search path is set for `{path}`"))
    }
}

/// A parsed policy with all the modules it needs, dependencies first.
#[derive(Debug, Clone)]
pub struct Program {
    pub policy: ast::File,
    pub modules: Vec<LoadedModule>,
    /// The rules the policy takes from modules: one selection per `use` line
    /// of the policy itself, in file order.
    pub selections: Vec<ast::Use>,
}

#[derive(Debug, Clone)]
pub struct LoadedModule {
    /// The path as written after `use`: `common/general`.
    pub path: String,
    pub file: ast::File,
}

/// Parses the file `root` (already in `sources`) and everything it uses.
pub fn load(
    sources: &mut SourceMap,
    root: FileId,
    resolver: &mut dyn ModuleResolver,
) -> (Option<Program>, Vec<Diagnostic>) {
    let mut loader = Loader {
        sources,
        resolver,
        modules: Vec::new(),
        diagnostics: Vec::new(),
        stack: Vec::new(),
    };
    let policy = loader.parse(root);
    if let Some(policy) = &policy {
        loader.load_uses(policy, root);
    }
    let Loader {
        modules,
        diagnostics,
        ..
    } = loader;
    let program = policy.map(|policy| {
        let selections = policy
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Use(u) => Some(u.clone()),
                _ => None,
            })
            .collect();
        Program {
            policy,
            modules,
            selections,
        }
    });
    (program, diagnostics)
}

struct Loader<'a> {
    sources: &'a mut SourceMap,
    resolver: &'a mut dyn ModuleResolver,
    modules: Vec<LoadedModule>,
    diagnostics: Vec<Diagnostic>,
    /// Module paths being loaded, outermost first, to find `use` cycles.
    stack: Vec<String>,
}

impl Loader<'_> {
    fn parse(&mut self, file: FileId) -> Option<ast::File> {
        let text = self.sources.get(file)?.text.clone();
        let (tree, diagnostics) = syntax::parse(file, &text);
        self.diagnostics.extend(diagnostics);
        tree
    }

    fn load_uses(&mut self, file: &ast::File, file_id: FileId) {
        let from = self
            .sources
            .get(file_id)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        for item in &file.items {
            let ast::Item::Use(use_decl) = item else {
                continue;
            };
            let path = use_decl.path.value.clone();
            if self.stack.contains(&path) {
                let mut chain = self.stack.clone();
                chain.push(path.clone());
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::E0211,
                        format!("module `{path}` uses itself: {}", chain.join(" -> ")),
                    )
                    .at(use_decl.path.span, "this `use` closes the cycle"),
                );
                continue;
            }
            if self.modules.iter().any(|m| m.path == path) {
                continue;
            }
            if self.stack.len() >= MAX_MODULE_DEPTH {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::E0211,
                        format!("modules nest deeper than {MAX_MODULE_DEPTH} levels"),
                    )
                    .at(use_decl.path.span, "too deep"),
                );
                continue;
            }
            match self.resolver.resolve(&from, &path) {
                Ok((name, text)) => {
                    let id = self.sources.add(name, text);
                    let Some(module) = self.parse(id) else {
                        continue;
                    };
                    if module.header.kind != ast::FileKind::Module {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::E0204,
                                format!("`{path}` is a policy, not a module"),
                            )
                            .at(use_decl.path.span, "only modules can be used")
                            .with_help("start the shared file with `module name { ... }`"),
                        );
                        continue;
                    }
                    self.stack.push(path.clone());
                    self.load_uses(&module, id);
                    self.stack.pop();
                    self.modules.push(LoadedModule { path, file: module });
                }
                Err(reason) => self.diagnostics.push(
                    Diagnostic::new(Code::E0204, format!("module `{path}` not found"))
                        .at(use_decl.path.span, "no such module")
                        .with_note(reason),
                ),
            }
        }
    }
}
