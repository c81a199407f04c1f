//! The registry of diagnostic codes.
//!
//! Codes are stable: once published a code keeps its meaning and is never reused.
//! They are grouped by stage: 01xx syntax, 02xx names, 03xx types and units,
//! 04xx decisions and rules, 05xx provider data, 07xx policy tests, 08xx importing regel-ir, W0xxx lints.
//! Evaluation itself has no errors: what cannot be computed is unknown.
//! Each code has a section in docs/diagnostics.md.

use super::Severity;

macro_rules! codes {
    ($($variant:ident => $severity:ident, $summary:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `E0301`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => stringify!($variant),)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// One line saying what the code is about.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    // Syntax
    E0101 => Error, "syntax error";
    E0102 => Error, "malformed money amount";
    E0103 => Error, "impossible date";
    E0104 => Error, "nesting too deep";
    E0105 => Error, "number out of range";
    E0106 => Error, "bad policy header";
    E0107 => Error, "malformed number";
    // Names
    E0201 => Error, "unknown name";
    E0202 => Error, "name declared twice";
    E0203 => Error, "definitions depend on each other in a cycle";
    E0204 => Error, "module not found";
    E0205 => Error, "unknown decision";
    E0206 => Error, "unknown outcome";
    E0207 => Error, "unknown enum value";
    E0208 => Error, "rule id used twice";
    E0209 => Error, "unknown record field";
    E0210 => Error, "unknown example or rule in a test";
    E0211 => Error, "modules use each other in a cycle";
    E0212 => Error, "decisions depend on each other in a cycle";
    E0213 => Error, "a decision's outcome used outside a rule";
    E0214 => Error, "`except` names a rule the module does not have";
    E0215 => Error, "a table row does not have one cell per column";
    // Types and units
    E0301 => Error, "wrong type";
    E0302 => Error, "incompatible units in comparison";
    E0303 => Error, "arithmetic on incompatible units";
    E0304 => Error, "`over` needs a yearly series";
    E0305 => Error, "aggregate needs a list";
    E0306 => Error, "constant does not match its declared type";
    // Decisions and rules
    E0401 => Error, "outcome listed twice";
    E0402 => Error, "default outcome not among the outcomes";
    E0403 => Error, "policy has no `contract` decision";
    E0404 => Error, "`contract` uses an outcome outside the shared vocabulary";
    // Provider data
    E0501 => Error, "facts are not a JSON object";
    E0502 => Error, "fact has the wrong type";
    E0503 => Error, "negative count";
    E0504 => Error, "impossible date in facts";
    E0505 => Error, "unknown enum value in facts";
    E0506 => Error, "bad year in a yearly series";
    E0507 => Error, "fact not read by the policy";
    E0508 => Error, "facts nested too deeply";
    E0509 => Error, "number with more digits than it can hold exactly";
    E0510 => Error, "number written with a thousands separator or decimal comma";
    E0511 => Error, "key given twice in a JSON object";
    E0512 => Error, "malformed data row";
    E0513 => Error, "data is not valid UTF-8";
    E0514 => Error, "data header does not fit the policy";
    // Tests
    E0701 => Error, "a test's expectation does not hold";
    // Importing regel-ir/1
    E0801 => Error, "not a readable regel-ir document";
    E0802 => Error, "unknown regel-ir format version";
    E0803 => Error, "malformed regel-ir document";
    E0804 => Error, "regel-ir document does not check";
    // Lints
    W0001 => Warning, "a `tbd` value is used";
    W0002 => Warning, "input without a description";
    W0003 => Warning, "a rule that can be unknown blocks a rule written for a missing fact";
    W0004 => Warning, "an input the policy reads has no column in the data";
    W0005 => Warning, "a data column is not an input of the policy";
    W0006 => Warning, "a provider id appears in more than one row";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
