//! Regel: a typed policy language for health-care procurement rules.
//!
//! The pipeline, one module per stage, each handing the next a plain value:
//!
//! ```text
//! text --syntax::parse--> ast::File --load--> load::Program --check--> ir::Policy
//!                                                                   |--> eval::evaluate(facts) -> Evaluation
//!                                                                   '--> export::to_json        -> regel-ir/1 JSON
//! ```
//!
//! | stage      | module         | produces                                   |
//! |------------|----------------|--------------------------------------------|
//! | parse      | [`syntax`]     | [`syntax::ast::File`], syntax diagnostics  |
//! | load       | [`load`]       | [`load::Program`]: policy + used modules   |
//! | check      | [`check`]      | [`ir::Policy`]: resolved, typed, ordered   |
//! | facts      | [`eval::facts`]| typed provider facts, data diagnostics     |
//! | evaluate   | [`eval`]       | [`eval::Evaluation`]: one result per decision |
//! | compile    | [`eval::compiled`] | a program deciding many records fast   |
//! | batch      | [`batch`]      | rows of a data file decided, bad rows coded |
//! | export     | [`export`]     | the versioned JSON form of the IR          |
//!
//! Every stage reports problems as [`diagnostics::Diagnostic`] values; only
//! [`diagnostics::render`] turns them into text. The library does no I/O: the
//! `regel` binary (`src/cli`) reads files, prints and picks exit codes.

pub mod batch;
pub mod check;
pub mod coverage;
pub mod diagnostics;
pub mod eval;
pub mod explain;
pub mod export;
pub mod fmt;
pub mod import;
pub mod ir;
pub mod load;
pub mod number;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod testing;
