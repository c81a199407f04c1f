//! JSON Schemas (draft 2020-12).
//!
//! Two of them: [`ir()`], the schema of the `regel-ir/1` export, generated from
//! the Rust types themselves so it cannot drift from what `regel export`
//! writes (docs/schema/regel-ir-1.schema.json is a committed copy, checked by a
//! test); and [`facts`], the schema of the facts one policy reads, so data
//! producers can validate their exports before sending them.

use serde_json::{Map, Value as Json, json};

use crate::export::Document;
use crate::ir::{self, Type};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of the `regel-ir/1` document.
pub fn ir() -> Json {
    let schema = schemars::schema_for!(Document<'static>);
    let mut value = schema.to_value();
    if let Json::Object(map) = &mut value {
        map.insert(
            "$id".into(),
            json!("https://regel.invalid/schema/regel-ir-1.schema.json"),
        );
        map.insert("title".into(), json!("regel-ir/1"));
        map.insert(
            "description".into(),
            json!("A checked Regel policy, as written by `regel export` (docs/ir.md)."),
        );
    }
    value
}

/// The schema of the facts `policy` reads: one property per input, with its
/// type and description. Every fact may be absent or `null` (unknown), and
/// other properties are allowed (one provider record serves every policy).
pub fn facts(policy: &ir::Policy) -> Json {
    let mut properties = Map::new();
    for input in &policy.inputs {
        let mut schema = of_type(&input.ty);
        if let (Json::Object(map), Some(description)) = (&mut schema, &input.description) {
            map.insert("description".into(), json!(description));
        }
        properties.insert(input.name.clone(), schema);
    }
    json!({
        "$schema": DRAFT,
        "title": format!("Facts for {}", policy.title),
        "description": format!(
            "The provider facts policy `{}` reads. An absent or null fact is unknown; properties other policies read are allowed.",
            policy.id
        ),
        "type": "object",
        "properties": properties,
    })
}

/// A value of `ty`, or `null` (an unknown fact).
fn of_type(ty: &Type) -> Json {
    let schema = match ty {
        Type::Bool => json!({ "type": "boolean" }),
        Type::Count => json!({ "type": "integer", "minimum": 0 }),
        Type::Number | Type::Money => json!({
            "anyOf": [
                { "type": "number" },
                { "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$" }
            ]
        }),
        Type::Percent => json!({
            "description": "percent points: 35 means 35%",
            "anyOf": [
                { "type": "number" },
                { "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?\\s*%$" }
            ]
        }),
        Type::Year => json!({ "type": "integer", "minimum": 1, "maximum": 9999 }),
        Type::Date => {
            json!({ "type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" })
        }
        Type::Month => json!({ "type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$" }),
        Type::Time => json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$" }),
        Type::Text => json!({ "type": "string" }),
        Type::Enum { values } => json!({ "enum": values }),
        Type::Series { of } => json!({
            "type": "object",
            "description": "one value per year",
            "propertyNames": { "pattern": "^[0-9]{4}$" },
            "additionalProperties": of_type(of),
        }),
        Type::List { of } => json!({ "type": "array", "items": of_type(of) }),
        Type::Record { fields } => {
            let mut properties = Map::new();
            for field in fields {
                let mut schema = of_type(&field.ty);
                if let (Json::Object(map), Some(description)) = (&mut schema, &field.description) {
                    map.insert("description".into(), json!(description));
                }
                properties.insert(field.name.clone(), schema);
            }
            json!({ "type": "object", "properties": properties })
        }
        // Not a fact type; nothing validates.
        Type::Duration | Type::Invalid => json!(false),
    };
    json!({ "anyOf": [schema, { "type": "null" }] })
}
