//! Text to documents: YAML streams (serde_yaml) and JSON (serde_json), each
//! document a `serde_json::Value` with its position for errors, or for JSON
//! that is safe to read without the tree, the document's own text.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Location, Result};

/// One document: parsed, or (JSON only) its text and header, the whole stream
/// having been read as JSON first.
pub(crate) enum Document<'a> {
    Tree(Value),
    Json(&'a str, JsonHeader<'a>),
}

/// The fields of a JSON document read before anything else: `kind` and
/// `apiVersion` as found (`Some(Value::Null)` for an explicit `null`, `None` when
/// absent), the name and namespace, and a list's `items`. Reading it reads the
/// whole document, so it also checks the document's syntax.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JsonHeader<'a> {
    #[serde(default, deserialize_with = "present")]
    pub(crate) kind: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) api_version: Option<Value>,
    #[serde(default)]
    pub(crate) metadata: Option<JsonMetaHeader>,
    #[serde(default, borrow)]
    pub(crate) items: Option<Vec<&'a RawValue>>,
}

/// `metadata.name` and `metadata.namespace` of a [`JsonHeader`].
#[derive(Deserialize)]
pub(crate) struct JsonMetaHeader {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) namespace: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The header of one JSON object (a list item); `None` when the text is not an
/// object or the header does not have the expected types or has duplicate keys
/// (the tree path then decides).
pub(crate) fn json_header(text: &str) -> Option<JsonHeader<'_>> {
    if !text.starts_with('{') {
        return None; // a derived struct would also accept a sequence
    }
    serde_json::from_str(text).ok()
}

/// Splits `text` into documents and hands each to `each` with its 1-based number.
/// JSON is recognised by a leading `{` or `[`; everything else is YAML (of which
/// JSON is mostly a subset, so JSON documents inside a YAML stream work too).
pub(crate) fn documents<'a>(
    source: &str,
    text: &'a str,
    mut each: impl FnMut(Document<'a>, usize) -> Result<()>,
) -> Result<()> {
    let trimmed = text.trim_start_matches('\u{feff}');
    if trimmed.trim_start().starts_with(['{', '[']) {
        // Reading headers checks the syntax of every document but skips values
        // (see `tree_safe` for what else the tree refuses, ruled out first). On
        // any error, including a header of unexpected shape, the tree path below
        // runs from the start, to report it exactly.
        if let Some(docs) = json_headers(trimmed) {
            for (i, (doc, header)) in docs.into_iter().enumerate() {
                each(Document::Json(doc, header), i + 1)?;
            }
            return Ok(());
        }
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
            each(Document::Tree(doc), i + 1)?;
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
        each(Document::Tree(value), i + 1)?;
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

/// Every document of a JSON stream with its text and header, or `None` where
/// the tree path must read the stream.
fn json_headers(text: &str) -> Option<Vec<(&str, JsonHeader<'_>)>> {
    if !tree_safe(text.as_bytes()) {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<JsonHeader>();
    let mut docs = Vec::new();
    let mut start = 0;
    while let Some(header) = stream.next() {
        let header = header.ok()?;
        let end = stream.byte_offset();
        let doc = text.get(start..end)?.trim_start();
        if !doc.starts_with('{') {
            return None; // a derived struct would also accept a sequence
        }
        docs.push((doc, header));
        start = end;
    }
    Some(docs)
}

/// The JSON text of one document or list item, parsed to a tree: used where the
/// text path falls back to the tree path. The text was read as a `RawValue` out
/// of a `tree_safe` stream, so this does not fail; should it, the error names
/// the position within `text`.
pub(crate) fn json_tree(text: &str, location: &crate::error::Location) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::Syntax {
        location: location.clone(),
        format: "JSON",
        line: Some(e.line()),
        column: Some(e.column()),
        message: strip_position(&e.to_string()),
    })
}

/// Whether JSON `text` that is valid syntax also parses to a `Value` tree.
/// serde_json skips values (`RawValue`, `IgnoredAny`) checking syntax only; the
/// tree also refuses nesting deeper than 127, numbers beyond `f64`, and lone
/// UTF-16 surrogates in `\u` escapes. This errs towards `false`: any exponent, a
/// run of over 300 digits, nesting over 100, or any `\uD...` escape.
fn tree_safe(text: &[u8]) -> bool {
    const MAX_DEPTH: usize = 100;
    const MAX_DIGITS: usize = 300;
    let mut depth = 0usize;
    let mut digits = 0usize;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        i += 1;
        match b {
            b'"' => {
                // A string: up to its closing quote, escapes included.
                while i < text.len() {
                    match text[i] {
                        b'"' => break,
                        b'\\' => {
                            if text.get(i + 1) == Some(&b'u')
                                && matches!(text.get(i + 2), Some(b'd' | b'D'))
                            {
                                return false;
                            }
                            i += 2;
                        }
                        _ => i += 1,
                    }
                }
                i += 1;
                digits = 0;
            }
            b'0'..=b'9' => {
                digits += 1;
                if digits > MAX_DIGITS {
                    return false;
                }
            }
            b'e' | b'E' if digits > 0 => return false,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
                digits = 0;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                digits = 0;
            }
            _ => digits = 0,
        }
    }
    true
}
