//! Text to documents: YAML streams (serde_yaml) and JSON (serde_json), each
//! document a `serde_json::Value` with its position for errors.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Location, Result};

/// Splits `text` into documents and hands each to `each` with its 1-based number.
/// JSON is recognised by a leading `{` or `[`; everything else is YAML (of which
/// JSON is mostly a subset, so JSON documents inside a YAML stream work too).
pub(crate) fn documents(
    source: &str,
    text: &str,
    mut each: impl FnMut(Value, usize) -> Result<()>,
) -> Result<()> {
    let trimmed = text.trim_start_matches('\u{feff}');
    if trimmed.trim_start().starts_with(['{', '[']) {
        let stream = serde_json::Deserializer::from_str(trimmed).into_iter::<Value>();
        for (i, doc) in stream.enumerate() {
            let doc = doc.map_err(|e| Error::Syntax {
                location: Location {
                    source: source.to_owned(),
                    document: i + 1,
                    item: None,
                },
                format: "JSON",
                line: Some(e.line()),
                column: Some(e.column()),
                message: strip_position(&e.to_string()),
            })?;
            each(doc, i + 1)?;
        }
        return Ok(());
    }
    for (i, doc) in serde_yaml::Deserializer::from_str(trimmed).enumerate() {
        let value = Value::deserialize(doc).map_err(|e| {
            let loc = e.location();
            Error::Syntax {
                location: Location {
                    source: source.to_owned(),
                    document: i + 1,
                    item: None,
                },
                format: "YAML",
                line: loc.as_ref().map(|l| l.line()),
                column: loc.as_ref().map(|l| l.column()),
                message: strip_position(&e.to_string()),
            }
        })?;
        each(value, i + 1)?;
    }
    Ok(())
}

/// Parser messages end with their own "at line X column Y"; the error prints the
/// position once, in a fixed place.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
