//! Checking: AST (policy + modules) -> typed [`ir::Policy`].
//!
//! The checker resolves every name, orders definitions by dependency (a cycle
//! is an error), types every expression with units, validates decisions, rules,
//! examples and tests, and builds a new typed tree. It reports every problem it
//! finds, not only the first; the policy is returned only when there are no
//! errors (warnings are fine).

mod data;
mod expr;
mod lints;
pub(crate) mod order;
pub mod types;

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, has_errors};
use crate::ir::{self, Type};
use crate::load::Program;
use crate::source::Span;
use crate::suggest::did_you_mean;
use crate::syntax::ast;

/// Checks a loaded program. Returns the policy when there are no errors.
pub fn check(program: &Program) -> (Option<ir::Policy>, Vec<Diagnostic>) {
    let mut checker = Checker::default();
    let policy = checker.run(program);
    let mut diagnostics = checker.diagnostics;
    crate::diagnostics::sort(&mut diagnostics);
    if has_errors(&diagnostics) {
        (None, diagnostics)
    } else {
        (policy, diagnostics)
    }
}

/// What a plain name in an expression refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symbol {
    Input(usize),
    Const(usize),
    Def(usize),
}

/// A definition waiting to be checked, with the module it came from.
struct PendingDef<'a> {
    decl: &'a ast::DefDecl,
    module: Option<String>,
}

struct PendingRule<'a> {
    decl: &'a ast::RuleDecl,
    module: Option<String>,
    /// The `cites` of the `use` that brought the rule in, if any.
    use_cites: Option<String>,
}

#[derive(Default)]
struct Checker<'a> {
    diagnostics: Vec<Diagnostic>,
    symbols: BTreeMap<String, (Symbol, Span)>,
    inputs: Vec<ir::Input>,
    constants: Vec<ir::Constant>,
    defs: Vec<PendingDef<'a>>,
    /// Types of checked definitions, by index into `defs`.
    def_types: Vec<Option<Type>>,
    decisions: Vec<ir::Decision>,
    decision_spans: BTreeMap<String, Span>,
    /// The `use` line that took each module rule.
    selected_by: BTreeMap<String, Span>,
    /// Where each (decision, outcome) is listed.
    outcome_spans: BTreeMap<(String, String), Span>,
    rules: Vec<PendingRule<'a>>,
    examples: Vec<&'a ast::ExampleDecl>,
    /// Set while checking rule conditions: only there may a name refer to
    /// another decision's outcome.
    in_rule: bool,
    tests: Vec<&'a ast::TestDecl>,
    tables: Vec<&'a ast::TableDecl>,
    policy_year: i32,
}

struct Header {
    id: String,
    title: String,
    insurer: Option<String>,
    year: i32,
}

impl<'a> Checker<'a> {
    fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn run(&mut self, program: &'a Program) -> Option<ir::Policy> {
        let header = self.header(&program.policy.header);
        self.policy_year = header.as_ref().map_or(0, |h| h.year);
        if program.policy.header.kind == ast::FileKind::Module {
            // A module checked on its own: its rules may decide the shared
            // `contract` decision that every using policy declares.
            self.decisions
                .push(standard_contract(program.policy.header.span));
        }
        // Modules lend declarations; rules come from the policy's own `use`
        // lines (src/load.rs explains why).
        for module in &program.modules {
            self.collect(&module.file, Some(&module.path), false);
        }
        for selection in &program.selections {
            self.select_rules(program, selection);
        }
        self.collect(&program.policy, None, true);

        let definitions = self.definitions();
        self.check_decisions(&program.policy);
        let rules = self.check_rules();
        self.order_decisions(&rules);
        let trapped = lints::missing_fact_trap(&rules, &self.decisions, self.policy_year);
        self.diagnostics.extend(trapped);
        let examples = self.check_examples();
        let mut tests = self.check_tests(&examples);
        tests.extend(self.check_tables(&examples));
        let header = header?;
        Some(ir::Policy {
            is_module: program.policy.header.kind == ast::FileKind::Module,
            id: header.id,
            title: header.title,
            insurer: header.insurer,
            year: header.year,
            modules: program.modules.iter().map(|m| m.path.clone()).collect(),
            inputs: std::mem::take(&mut self.inputs),
            constants: std::mem::take(&mut self.constants),
            definitions,
            decisions: std::mem::take(&mut self.decisions),
            rules,
            examples,
            tests,
            span: program.policy.span,
        })
    }

    // ------------------------------------------------------------ header

    fn header(&mut self, header: &ast::Header) -> Option<Header> {
        let mut title = None;
        let mut insurer = None;
        let mut year = None;
        for field in &header.fields {
            match (field.name.name.as_str(), &field.value) {
                ("title", ast::HeaderValue::Text(t)) => title = Some(t.clone()),
                ("insurer", ast::HeaderValue::Text(t)) => insurer = Some(t.clone()),
                ("year", ast::HeaderValue::Integer(y)) if (1900..=2200).contains(y) => {
                    year = i32::try_from(*y).ok();
                }
                ("year", ast::HeaderValue::Text(text)) => self.error(
                    Diagnostic::new(Code::E0106, "the policy year must be a number, not text")
                        .at(field.span, "a text in quotes")
                        .with_help(format!("write `year {}` without quotes", text.trim())),
                ),
                ("year", _) => self.error(
                    Diagnostic::new(Code::E0106, "the policy year must be a year like `2025`")
                        .at(field.span, "not a year between 1900 and 2200"),
                ),
                ("title" | "insurer", _) => self.error(
                    Diagnostic::new(
                        Code::E0106,
                        format!("`{}` must be a text in double quotes", field.name.name),
                    )
                    .at(field.span, "expected text"),
                ),
                (other, _) => {
                    let mut d =
                        Diagnostic::new(Code::E0106, format!("unknown header field `{other}`"))
                            .at(field.name.span, "not a header field")
                            .with_help("a header has `title`, `insurer` and (for policies) `year`");
                    if let Some(s) = did_you_mean(other, ["title", "insurer", "year"]) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                }
            }
        }
        let is_policy = header.kind == ast::FileKind::Policy;
        if is_policy && year.is_none() && !self.diagnostics.iter().any(|d| d.code == Code::E0106) {
            self.error(
                Diagnostic::new(Code::E0106, "the policy header has no `year`")
                    .at(header.name.span, "this policy needs a year")
                    .with_help("add `year 2025` (the policy year) to the header"),
            );
        }
        if is_policy && title.is_none() {
            self.error(
                Diagnostic::new(Code::E0106, "the policy header has no `title`")
                    .at(header.name.span, "this policy needs a title")
                    .with_help("add `title \"...\"` to the header"),
            );
        }
        Some(Header {
            id: header.name.name.clone(),
            title: title.unwrap_or_default(),
            insurer,
            year: year.unwrap_or(0),
        })
    }

    // ------------------------------------------------------------ collection

    fn declare(&mut self, name: &ast::Ident, symbol: Symbol) -> bool {
        if name.name == "year" {
            self.error(
                Diagnostic::new(Code::E0202, "`year` is already the policy year")
                    .at(name.span, "cannot be declared")
                    .with_help("`year` in expressions is the year in the policy header; choose another name, like `contract_year`"),
            );
            return false;
        }
        if let Some((_, first)) = self.symbols.get(&name.name) {
            let first = *first;
            self.error(
                Diagnostic::new(Code::E0202, format!("`{}` is declared twice", name.name))
                    .at(name.span, "declared again here")
                    .with_secondary(first, "first declared here")
                    .with_help(
                        "rename one of them; inputs, constants and definitions share one namespace",
                    ),
            );
            return false;
        }
        self.symbols.insert(name.name.clone(), (symbol, name.span));
        true
    }

    /// Collects a file's declarations; for the file being checked (`root`)
    /// also its rules, examples and tests.
    fn collect(&mut self, file: &'a ast::File, module: Option<&str>, root: bool) {
        let module_name = module.map(str::to_string);
        for item in &file.items {
            if !root
                && matches!(
                    item,
                    ast::Item::Rule(_)
                        | ast::Item::Example(_)
                        | ast::Item::Test(_)
                        | ast::Item::Table(_)
                )
            {
                continue;
            }
            match item {
                ast::Item::Use(_) => {}
                ast::Item::Input(input) => self.collect_input(input, &module_name),
                ast::Item::Const(constant) => self.collect_const(constant, &module_name),
                ast::Item::Def(def) => {
                    if self.declare(&def.name, Symbol::Def(self.defs.len())) {
                        self.defs.push(PendingDef {
                            decl: def,
                            module: module_name.clone(),
                        });
                        self.def_types.push(None);
                    }
                }
                ast::Item::Decision(decision) => self.collect_decision(decision),
                ast::Item::Rule(rule) => {
                    if let Some(first) = self.rules.iter().find(|r| r.decl.id.name == rule.id.name)
                    {
                        let first_span = first.decl.id.span;
                        self.error(
                            Diagnostic::new(
                                Code::E0208,
                                format!("rule id `{}` is used twice", rule.id.name),
                            )
                            .at(rule.id.span, "used again here")
                            .with_secondary(first_span, "first used here")
                            .with_help("every rule needs its own id so decisions can name it"),
                        );
                        continue;
                    }
                    self.rules.push(PendingRule {
                        decl: rule,
                        module: module_name.clone(),
                        use_cites: None,
                    });
                }
                ast::Item::Example(example) => {
                    if let Some(first) = self
                        .examples
                        .iter()
                        .find(|e| e.name.name == example.name.name)
                    {
                        let first_span = first.name.span;
                        self.error(
                            Diagnostic::new(
                                Code::E0202,
                                format!("example `{}` is declared twice", example.name.name),
                            )
                            .at(example.name.span, "declared again here")
                            .with_secondary(first_span, "first declared here"),
                        );
                        continue;
                    }
                    self.examples.push(example);
                }
                ast::Item::Test(test) => self.tests.push(test),
                ast::Item::Table(table) => self.tables.push(table),
            }
        }
    }

    /// Takes the rules one `use` line selects from its module.
    fn select_rules(&mut self, program: &'a Program, selection: &'a ast::Use) {
        let path = selection.path.value.as_str();
        // A module that failed to load was reported by the loader.
        let Some(module) = program.modules.iter().find(|m| m.path == path) else {
            return;
        };
        let rules: Vec<&'a ast::RuleDecl> = module
            .file
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Rule(rule) => Some(rule),
                _ => None,
            })
            .collect();
        let named = selection.only.iter().flatten().chain(&selection.except);
        for name in named {
            if rules.iter().any(|r| r.id.name == name.name) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::E0214,
                format!("module `{path}` has no rule `{}`", name.name),
            )
            .at(name.span, "not a rule of this module");
            if let Some(s) = did_you_mean(&name.name, rules.iter().map(|r| r.id.name.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
        }
        for rule in rules {
            let taken = match &selection.only {
                Some(only) => only.iter().any(|o| o.name == rule.id.name),
                None => !selection.except.iter().any(|e| e.name == rule.id.name),
            };
            if !taken {
                continue;
            }
            if let Some(first) = self.selected_by.get(&rule.id.name).copied() {
                self.error(
                    Diagnostic::new(
                        Code::E0208,
                        format!("rule `{}` of `{path}` is taken twice", rule.id.name),
                    )
                    .at(selection.path.span, "takes it again")
                    .with_secondary(first, "first taken here")
                    .with_help("each rule is taken by one `use` line; name it in `except` here or leave it out of `only`"),
                );
                continue;
            }
            self.selected_by
                .insert(rule.id.name.clone(), selection.path.span);
            self.rules.push(PendingRule {
                decl: rule,
                module: Some(module.path.clone()),
                use_cites: selection.cites.as_ref().map(|c| c.value.clone()),
            });
        }
    }

    fn collect_input(&mut self, input: &ast::InputDecl, module: &Option<String>) {
        let ty = self.type_expr(&input.ty);
        if input.description.is_none() {
            self.error(
                Diagnostic::new(
                    Code::W0002,
                    format!("input `{}` has no description", input.name.name),
                )
                .at(input.name.span, "describe what this fact means")
                .with_help(format!(
                    "add a description after the type: `{}: {} \"...\"`",
                    input.name.name,
                    ty.describe()
                )),
            );
        }
        if self.declare(&input.name, Symbol::Input(self.inputs.len())) {
            self.inputs.push(ir::Input {
                name: input.name.name.clone(),
                ty,
                description: input.description.as_ref().map(|d| d.value.clone()),
                module: module.clone(),
                span: input.span,
            });
        }
    }

    fn collect_decision(&mut self, decision: &ast::DecisionDecl) {
        if let Some(first) = self.decision_spans.get(&decision.name.name) {
            let first = *first;
            self.error(
                Diagnostic::new(
                    Code::E0202,
                    format!("decision `{}` is declared twice", decision.name.name),
                )
                .at(decision.name.span, "declared again here")
                .with_secondary(first, "first declared here"),
            );
            return;
        }
        let mut outcomes: Vec<String> = Vec::new();
        for outcome in &decision.outcomes {
            let key = (decision.name.name.clone(), outcome.name.clone());
            if let Some(first) = self.outcome_spans.get(&key).copied() {
                self.error(
                    Diagnostic::new(
                        Code::E0401,
                        format!("outcome `{}` is listed twice", outcome.name),
                    )
                    .at(outcome.span, "listed again here")
                    .with_secondary(first, "first listed here")
                    .with_help("each outcome appears once in the precedence order"),
                );
                continue;
            }
            self.outcome_spans.insert(key, outcome.span);
            outcomes.push(outcome.name.clone());
        }
        if !outcomes.contains(&decision.default.name) {
            let mut d = Diagnostic::new(
                Code::E0402,
                format!(
                    "default `{}` is not one of the outcomes of `{}`",
                    decision.default.name, decision.name.name
                ),
            )
            .at(decision.default.span, "not listed in `outcomes`");
            d = match did_you_mean(&decision.default.name, outcomes.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("add it to the `outcomes` line"),
            };
            self.error(d);
        }
        self.decision_spans
            .insert(decision.name.name.clone(), decision.name.span);
        self.decisions.push(ir::Decision {
            name: decision.name.name.clone(),
            label: decision.label.as_ref().map(|l| l.value.clone()),
            outcomes,
            default: decision.default.name.clone(),
            depends_on: Vec::new(),
            span: decision.span,
        });
    }

    fn type_expr(&mut self, ty: &ast::TypeExpr) -> Type {
        let base = match &ty.kind {
            ast::TypeExprKind::Scalar(scalar) => match scalar {
                ast::ScalarType::Bool => Type::Bool,
                ast::ScalarType::Count => Type::Count,
                ast::ScalarType::Number => Type::Number,
                ast::ScalarType::Money => Type::Money,
                ast::ScalarType::Percent => Type::Percent,
                ast::ScalarType::Date => Type::Date,
                ast::ScalarType::Month => Type::Month,
                ast::ScalarType::Time => Type::Time,
                ast::ScalarType::Year => Type::Year,
                ast::ScalarType::Text => Type::Text,
            },
            ast::TypeExprKind::Enum(values) => {
                let mut names: Vec<String> = Vec::new();
                for value in values {
                    if names.contains(&value.name) {
                        self.error(
                            Diagnostic::new(
                                Code::E0202,
                                format!("enum value `{}` is listed twice", value.name),
                            )
                            .at(value.span, "listed again here"),
                        );
                        continue;
                    }
                    names.push(value.name.clone());
                }
                Type::Enum { values: names }
            }
            ast::TypeExprKind::List(element) => Type::List {
                of: Box::new(self.type_expr(element)),
            },
            ast::TypeExprKind::Record(fields) => {
                let mut checked: Vec<ir::Field> = Vec::new();
                for field in fields {
                    if checked.iter().any(|f| f.name == field.name.name) {
                        self.error(
                            Diagnostic::new(
                                Code::E0202,
                                format!("field `{}` is declared twice", field.name.name),
                            )
                            .at(field.name.span, "declared again here"),
                        );
                        continue;
                    }
                    let field_ty = self.type_expr(&field.ty);
                    checked.push(ir::Field {
                        name: field.name.name.clone(),
                        ty: field_ty,
                        description: field.description.as_ref().map(|d| d.value.clone()),
                    });
                }
                Type::Record { fields: checked }
            }
        };
        if ty.by_year {
            Type::Series { of: Box::new(base) }
        } else {
            base
        }
    }

    // ------------------------------------------------------------ constants

    fn collect_const(&mut self, constant: &ast::ConstDecl, module: &Option<String>) {
        let declared = constant.ty.as_ref().map(|t| self.type_expr(t));
        let (ty, value, tbd) = match &constant.value {
            ast::ConstValue::Tbd { note, span } => {
                let Some(ty) = declared else {
                    self.error(
                        Diagnostic::new(
                            Code::E0306,
                            format!("`tbd` constant `{}` needs a type", constant.name.name),
                        )
                        .at(*span, "the type cannot be inferred from `tbd`")
                        .with_help(format!(
                            "write `const {}: number = tbd`, with the type the value will have",
                            constant.name.name
                        )),
                    );
                    self.declare_invalid_const(constant, module);
                    return;
                };
                let note = note
                    .as_ref()
                    .map_or_else(|| "to be determined".to_string(), |n| n.value.clone());
                (ty, None, Some(note))
            }
            ast::ConstValue::Expr(expr) => {
                let Some((literal, found)) = expr::constant_literal(expr) else {
                    self.error(
                        Diagnostic::new(
                            Code::E0306,
                            format!("the value of `{}` is not a literal", constant.name.name),
                        )
                        .at(expr.span, "expected a literal value")
                        .with_help("a constant is a plain value like `150`, `€30_000`, `70%` or `2024-10-01`; use `def` for computed values"),
                    );
                    self.declare_invalid_const(constant, module);
                    return;
                };
                let ty = match declared {
                    Some(declared) if types::assignable(&found, &declared) => declared,
                    Some(declared) => {
                        self.error(
                            Diagnostic::new(
                                Code::E0306,
                                format!(
                                    "`{}` is declared as {} but its value is {}",
                                    constant.name.name,
                                    types::phrase(&declared),
                                    types::phrase(&found)
                                ),
                            )
                            .at(expr.span, format!("this is {}", types::phrase(&found))),
                        );
                        Type::Invalid
                    }
                    None => found,
                };
                (ty, Some(literal), None)
            }
        };
        if self.declare(&constant.name, Symbol::Const(self.constants.len())) {
            self.constants.push(ir::Constant {
                name: constant.name.name.clone(),
                ty,
                value,
                tbd,
                module: module.clone(),
                span: constant.span,
            });
        }
    }

    /// Declares a constant whose value has an error, so its uses are not
    /// reported again as unknown names.
    fn declare_invalid_const(&mut self, constant: &ast::ConstDecl, module: &Option<String>) {
        if self.declare(&constant.name, Symbol::Const(self.constants.len())) {
            self.constants.push(ir::Constant {
                name: constant.name.name.clone(),
                ty: Type::Invalid,
                value: None,
                tbd: None,
                module: module.clone(),
                span: constant.span,
            });
        }
    }

    // ------------------------------------------------------------ definitions

    fn definitions(&mut self) -> Vec<ir::Definition> {
        let order = order::definition_order(self);
        let mut checked = Vec::new();
        for index in order {
            let Some(pending) = self.defs.get(index) else {
                continue;
            };
            let decl = pending.decl;
            let module = pending.module.clone();
            let expr = self.expr(&decl.expr, &mut Vec::new(), None);
            if let Some(slot) = self.def_types.get_mut(index) {
                *slot = Some(expr.ty.clone());
            }
            checked.push(ir::Definition {
                name: decl.name.name.clone(),
                label: decl.label.as_ref().map(|l| l.value.clone()),
                ty: expr.ty.clone(),
                expr,
                module,
                span: decl.span,
            });
        }
        checked
    }

    // ------------------------------------------------------------ decisions and rules

    fn check_decisions(&mut self, policy: &ast::File) {
        if policy.header.kind != ast::FileKind::Policy {
            return;
        }
        let Some(contract) = self.decisions.iter().find(|d| d.name == ir::MAIN_DECISION) else {
            self.error(
                Diagnostic::new(Code::E0403, "this policy has no `contract` decision")
                    .at(policy.header.name.span, "every policy decides `contract`")
                    .with_help("add `decision contract { outcomes excluded > not_eligible > manual_review > eligible  default not_eligible }`"),
            );
            return;
        };
        let outside: Vec<(String, Span)> = contract
            .outcomes
            .iter()
            .filter(|o| !ir::CONTRACT_OUTCOMES.contains(&o.as_str()))
            .map(|o| {
                let span = self
                    .outcome_spans
                    .get(&(ir::MAIN_DECISION.to_string(), o.clone()))
                    .copied()
                    .unwrap_or(contract.span);
                (o.clone(), span)
            })
            .collect();
        for (outcome, span) in outside {
            let mut d = Diagnostic::new(
                Code::E0404,
                format!("`contract` outcome `{outcome}` is not in the shared vocabulary"),
            )
            .at(span, "not a shared outcome")
            .with_note(format!(
                "the `contract` decision uses only: {}",
                ir::CONTRACT_OUTCOMES.join(", ")
            ));
            if let Some(s) = did_you_mean(&outcome, ir::CONTRACT_OUTCOMES.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_help("put other outcomes in a decision of their own");
            }
            self.error(d);
        }
    }

    fn check_rules(&mut self) -> Vec<ir::Rule> {
        let pending: Vec<(&'a ast::RuleDecl, Option<String>, Option<String>)> = self
            .rules
            .iter()
            .map(|r| (r.decl, r.module.clone(), r.use_cites.clone()))
            .collect();
        let mut rules = Vec::new();
        for (decl, module, use_cites) in pending {
            self.in_rule = true;
            let condition = self.expr(&decl.condition, &mut Vec::new(), None);
            self.in_rule = false;
            self.expect_bool(&condition, "a rule's condition");
            self.check_outcome_ref(&decl.decision, &decl.outcome);
            let cites = match use_cites {
                Some(section) => format!("{section} / {}", decl.cites.value),
                None => decl.cites.value.clone(),
            };
            rules.push(ir::Rule {
                id: decl.id.name.clone(),
                label: decl.label.value.clone(),
                cites,
                decision: decl.decision.name.clone(),
                outcome: decl.outcome.name.clone(),
                condition,
                module,
                span: decl.span,
            });
        }
        rules
    }

    /// Records which decisions each decision reads and reports cycles.
    fn order_decisions(&mut self, rules: &[ir::Rule]) {
        for decision in &mut self.decisions {
            let mut reads: Vec<String> = Vec::new();
            for rule in rules.iter().filter(|r| r.decision == decision.name) {
                rule.condition.walk(&mut |e| {
                    if let ir::ExprKind::Outcome { decision: other } = &e.kind {
                        if !reads.contains(other) {
                            reads.push(other.clone());
                        }
                    }
                });
            }
            decision.depends_on = reads;
        }
        if let Some(cycle) = order::decision_cycle(&self.decisions) {
            let span = self
                .decisions
                .iter()
                .find(|d| cycle.first() == Some(&d.name))
                .map_or(Span::default(), |d| d.span);
            self.error(
                Diagnostic::new(
                    Code::E0212,
                    format!("decisions depend on each other in a cycle: {}", cycle.join(" -> ")),
                )
                .at(span, "this decision's rules read its own outcome, through the cycle")
                .with_help("a decision may read the outcome of another only if that one does not read it back"),
            );
        }
    }

    /// Reports an unknown decision or outcome; true when both exist.
    fn check_outcome_ref(&mut self, decision: &ast::Ident, outcome: &ast::Ident) -> bool {
        let Some(found) = self.decisions.iter().find(|d| d.name == decision.name) else {
            let mut d = Diagnostic::new(
                Code::E0205,
                format!("there is no decision `{}`", decision.name),
            )
            .at(decision.span, "unknown decision");
            let names: Vec<&str> = self.decisions.iter().map(|d| d.name.as_str()).collect();
            d = match did_you_mean(&decision.name, names) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "declare it with `decision {} {{ outcomes ... default ... }}`",
                    decision.name
                )),
            };
            self.error(d);
            return false;
        };
        if found.outcomes.contains(&outcome.name) {
            return true;
        }
        let mut d = Diagnostic::new(
            Code::E0206,
            format!(
                "`{}` is not an outcome of decision `{}`",
                outcome.name, decision.name
            ),
        )
        .at(outcome.span, "unknown outcome")
        .with_note(format!("the outcomes are: {}", found.outcomes.join(", ")));
        if let Some(s) = did_you_mean(&outcome.name, found.outcomes.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.error(d);
        false
    }

    pub(super) fn expect_bool(&mut self, expr: &ir::Expr, what: &str) {
        if expr.ty != Type::Bool && expr.ty != Type::Invalid {
            self.error(
                Diagnostic::new(
                    Code::E0301,
                    format!(
                        "{what} must be true or false, but this is {}",
                        types::phrase(&expr.ty)
                    ),
                )
                .at(expr.span, format!("this is {}", types::phrase(&expr.ty)))
                .with_help("compare it with something, e.g. `x > 0` or `x == y`"),
            );
        }
    }
}

/// The `contract` decision a module's rules may refer to when the module is
/// checked without a policy.
fn standard_contract(span: Span) -> ir::Decision {
    ir::Decision {
        name: ir::MAIN_DECISION.to_string(),
        label: None,
        outcomes: ir::CONTRACT_OUTCOMES
            .iter()
            .map(|o| o.to_string())
            .collect(),
        default: "not_eligible".to_string(),
        depends_on: Vec::new(),
        span,
    }
}
