//! The checked policy as versioned JSON (`regel-ir/1`).
//!
//! The document is the serde form of [`crate::ir::Policy`] wrapped with the
//! format tag, the engine version and the source files (so spans can be read:
//! every span is `{file, start, end}` with `file` an index into `sources`).
//! Key order is fixed by the struct declarations, so the same policy always
//! exports to the same bytes.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ir;
use crate::source::SourceMap;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Document<'a> {
    pub format: &'static str,
    pub regel_version: &'static str,
    pub sources: Vec<SourceRef>,
    pub policy: &'a ir::Policy,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SourceRef {
    pub file: u32,
    pub name: String,
    pub sha256: String,
}

/// The engine version stamped on exports and decisions.
pub const REGEL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn document<'a>(policy: &'a ir::Policy, sources: &SourceMap) -> Document<'a> {
    Document {
        format: ir::FORMAT,
        regel_version: REGEL_VERSION,
        sources: sources
            .files()
            .map(|(id, file)| SourceRef {
                file: id.0,
                name: file.name.replace('\\', "/"),
                sha256: hex(&Sha256::digest(file.text.as_bytes())),
            })
            .collect(),
        policy,
    }
}

/// Pretty-printed JSON, with a final newline.
pub fn to_json(policy: &ir::Policy, sources: &SourceMap) -> String {
    let mut text = serde_json::to_string_pretty(&document(policy, sources))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// One hash over the text of every source file that went into a policy (the
/// policy and its modules, in load order): a decision names exactly the text
/// that made it, whatever path the files were read from. It is the SHA-256 of
/// the files' own SHA-256 hex digests, one per line, so it can be recomputed
/// from an exported document's `sources` (see [`policy_sha256_of_digests`]).
pub fn policy_sha256(sources: &SourceMap) -> String {
    let digests: Vec<String> = sources
        .files()
        .map(|(_, file)| hex(&Sha256::digest(file.text.as_bytes())))
        .collect();
    policy_sha256_of_digests(&digests)
}

/// [`policy_sha256`] from the per-file digests.
pub fn policy_sha256_of_digests(digests: &[String]) -> String {
    let mut hasher = Sha256::new();
    for digest in digests {
        hasher.update(digest.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
