//! Text to objects, streaming: JSON (serde_json) or YAML (libyaml events, see
//! [`super::yaml`]) is read one document, and one list item, at a time, each
//! straight into its kind's lean `Raw*` shape, never holding the whole text or
//! a tree of it.
//!
//! A second, slower path builds a `serde_json::Value` tree per document
//! ([`documents`]); it runs only to explain a failure (it names the exact
//! field path of a value of the wrong type) when the text can be read again.

use std::io::BufRead;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::Value;

use super::decode::{DocumentSeed, FormatError, Keep, Reading, Sink, strip_position};
use super::yaml::{Yaml, YamlError};
use crate::error::{Error, Location, Result};

/// An error from [`read`], and whether the tree path ([`documents`]) can
/// explain it better (a value of the wrong type: the tree path names its path).
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) explain: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            explain: false,
        }
    }
}

/// Whether a stream is JSON: its first character, after a byte order mark and
/// white space, is `{` or `[`. Everything else is YAML (of which JSON is
/// mostly a subset, so JSON documents inside a YAML stream work too).
fn is_json(start: &[u8]) -> bool {
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    start
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['))
}

/// Reads every document of `text` into `sink`.
pub(crate) fn read_str(
    source: &str,
    text: &[u8],
    keep: Keep,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    if is_json(text) {
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        let mut de = serde_json::Deserializer::from_slice(text);
        json(source, &mut de, keep, sink)
    } else {
        yaml(source, text, keep, sink)
    }
}

/// Reads every document from `reader` into `sink`, holding one list item at a
/// time (plus what the parser buffers).
pub(crate) fn read(
    source: &str,
    mut reader: impl BufRead,
    keep: Keep,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let start = reader.fill_buf().map_err(|e| io(source, e))?;
    if is_json(start) {
        if start.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
        // serde_json asks its reader for one byte at a time. The standard
        // library answers that from a `BufReader`'s buffer without a call, but
        // only when it knows the type: through the caller's `dyn BufRead` every
        // byte was a virtual `read` (30% of a 100k-pod `status`). The outer
        // buffer refills from the inner one a block at a time.
        let reader = std::io::BufReader::with_capacity(1 << 16, reader);
        let mut de = serde_json::Deserializer::from_reader(reader);
        json(source, &mut de, keep, sink)
    } else {
        yaml(source, reader, keep, sink)
    }
}

fn io(source: &str, e: std::io::Error) -> Failure {
    Error::Io {
        path: source.into(),
        source: e,
    }
    .into()
}

fn json<'de, R: serde_json::de::Read<'de>>(
    source: &str,
    de: &mut serde_json::Deserializer<R>,
    keep: Keep,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let mut reading = Reading::new(source, keep, sink);
    while de.end().is_err() {
        reading.document += 1;
        if let Err(e) = DocumentSeed(&mut reading).deserialize(&mut *de) {
            return Err(failure(&mut reading, e, "JSON", |e| {
                (Some(e.line()), Some(e.column()))
            }));
        }
    }
    Ok(())
}

fn yaml(
    source: &str,
    reader: impl BufRead,
    keep: Keep,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    let mut reading = Reading::new(source, keep, sink);
    let mut stream = Yaml::new(reader);
    let position = |e: &YamlError| (e.mark.map(|m| m.line), e.mark.map(|m| m.column));
    loop {
        let next = stream.next_document();
        reading.document += 1;
        let result = match next {
            Ok(false) => return Ok(()),
            Ok(true) => DocumentSeed(&mut reading)
                .deserialize(&mut stream)
                .and_then(|()| stream.end_document()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            return Err(failure(&mut reading, e, "YAML", position));
        }
    }
}

/// The error to report: ours when the reader recorded one and the format's
/// error is not about the text itself, else the format's (a syntax error).
fn failure<E: FormatError + std::fmt::Display>(
    reading: &mut Reading,
    e: E,
    format: &'static str,
    position: impl Fn(&E) -> (Option<usize>, Option<usize>),
) -> Failure {
    // serde_json calls a struct read from a too long array "trailing
    // characters": a value of the wrong shape, not malformed text.
    let wrong_shape = e.to_string().starts_with("trailing characters");
    if (!e.is_syntax() || wrong_shape)
        && let Some((error, explain)) = reading.failure.take()
    {
        return Failure { error, explain };
    }
    let (line, column) = position(&e);
    Error::Syntax {
        location: Location {
            source: reading.source.to_owned(),
            document: reading.document,
            item: None,
        },
        format,
        line,
        column,
        message: strip_position(&e.to_string()),
    }
    .into()
}

/// The tree path: splits `text` into documents, each parsed to a `Value`, and
/// hands each to `each` with its 1-based number. Used to explain a failure of
/// [`read`]; repeated keys and the limits of [`super::yaml`] apply here too.
pub(crate) fn documents(
    source: &str,
    text: &str,
    mut each: impl FnMut(Value, usize) -> Result<()>,
) -> Result<()> {
    let trimmed = text.trim_start_matches('\u{feff}');
    let syntax = |document, format, line, column, message: String| Error::Syntax {
        location: Location {
            source: source.to_owned(),
            document,
            item: None,
        },
        format,
        line,
        column,
        message: strip_position(&message),
    };
    if is_json(trimmed.as_bytes()) {
        let stream = serde_json::Deserializer::from_str(trimmed).into_iter::<Value>();
        for (i, doc) in stream.enumerate() {
            let doc = doc.map_err(|e| {
                syntax(
                    i + 1,
                    "JSON",
                    Some(e.line()),
                    Some(e.column()),
                    e.to_string(),
                )
            })?;
            each(doc, i + 1)?;
        }
        return Ok(());
    }
    let mut stream = Yaml::new(trimmed.as_bytes());
    let mut i = 0;
    loop {
        i += 1;
        let doc = match stream.next_document() {
            Ok(false) => return Ok(()),
            Ok(true) => Value::deserialize(&mut stream).and_then(|v| {
                stream.end_document()?;
                Ok(v)
            }),
            Err(e) => Err(e),
        };
        let doc = doc.map_err(|e| {
            let (line, column) = (e.mark.map(|m| m.line), e.mark.map(|m| m.column));
            syntax(i, "YAML", line, column, e.to_string())
        })?;
        each(doc, i)?;
    }
}
