//! The crate's one error type. Every message names where the problem is (source,
//! document, list item), which object (kind, namespace/name) and which field, so
//! that a user can go straight to the offending line of their `kubectl` output.

use std::fmt;
use std::path::PathBuf;

/// Where in the input an object came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file name, or `<input>` for a string.
    pub source: String,
    /// 1-based document number in a multi-document stream.
    pub document: usize,
    /// 1-based item number inside a `kind: List` document.
    pub item: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.source, self.document)?;
        if let Some(item) = self.item {
            write!(f, ", item {item}")?;
        }
        Ok(())
    }
}

// `ObjectRef` lives with the objects it names (`snapshot`); this path stays for
// code written before the move.
pub(crate) use crate::snapshot::ObjectRef;

/// Everything that can go wrong reading a snapshot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The text is not well-formed YAML or JSON.
    #[error("{location}{}: malformed {format}: {message}", line_col(*line, *column))]
    Syntax {
        /// The document the parser was reading.
        location: Location,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// 1-based line, when the parser gives one.
        line: Option<usize>,
        /// 1-based column, when the parser gives one.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A document is not a Kubernetes object: not a mapping, or no `kind`/`apiVersion`.
    #[error("{location}: not a Kubernetes object: {message}")]
    NotAnObject {
        /// Where.
        location: Location,
        /// What is missing or wrong.
        message: String,
    },
    /// A field the model needs is absent.
    #[error("{location}: {object}: missing required field `{field}`")]
    MissingField {
        /// Where.
        location: Location,
        /// Which object.
        object: ObjectRef,
        /// The field path, e.g. `spec.targetRef.name`.
        field: String,
    },
    /// A field is present but its value is wrong: wrong type, bad name, bad label,
    /// unknown selector operator.
    #[error("{location}: {object}: invalid `{field}`: {message}")]
    InvalidField {
        /// Where.
        location: Location,
        /// Which object.
        object: ObjectRef,
        /// The field path, e.g. `metadata.labels.istio.io/rev`.
        field: String,
        /// Why it is invalid.
        message: String,
    },
    /// The same object appears twice, and the two copies are not one version of it
    /// (the same `metadata.uid` and `metadata.resourceVersion`, which is read once).
    #[error(
        "{object} appears twice: at {first} and at {second}{}",
        versions_note(first_version.as_deref(), second_version.as_deref())
    )]
    Duplicate {
        /// Which object.
        object: ObjectRef,
        /// Its first appearance.
        first: Location,
        /// Its second appearance.
        second: Location,
        /// `metadata.resourceVersion` of the first copy, when it has one.
        first_version: Option<String>,
        /// `metadata.resourceVersion` of the second copy, when it has one.
        second_version: Option<String>,
    },
    /// The input is not text meshrev can read: UTF-16, or not UTF-8 at all.
    #[error("{input}: {message}")]
    Encoding {
        /// The file name, `<stdin>` or the source name given.
        input: String,
        /// What the bytes are and what to do about it.
        message: String,
    },
}

/// The tail of a [`Error::Duplicate`] message: which versions, and the way out.
fn versions_note(first: Option<&str>, second: Option<&str>) -> String {
    match (first, second) {
        (Some(a), Some(b)) if a != b => format!(
            " (resourceVersion {a} and {b}: two versions of one object; keep the newer with \
             `SnapshotBuilder::keep_newest`, `--newest` on the command line)"
        ),
        _ => String::new(),
    }
}

fn line_col(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(", line {l} column {c}"),
        (Some(l), None) => format!(", line {l}"),
        _ => String::new(),
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
