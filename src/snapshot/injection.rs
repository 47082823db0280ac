//! The injection record on a pod: `sidecar.istio.io/status`, read once at ingest.
//!
//! istio's webhook writes this JSON annotation on every pod it injects
//! (`pkg/kube/inject/webhook.go`, `injectionStatus`): the containers, volumes and
//! the `revision` it injected. meshrev parses it when the pod is read, keeps only
//! what the model reads (the revision), and keeps a malformed record as data, so
//! that status and analyze never parse JSON per pod and always agree.

use serde::{Deserialize, Serialize};

use crate::labels::{self, Labels};

/// A pod's `sidecar.istio.io/status` annotation, parsed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Internally tagged (`{"state": "recorded", "revision": ...}`): a pod inside an
// internally tagged `Edit` reads back from YAML too.
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SidecarStatus {
    /// Valid JSON, as istio writes it: the `revision` it names (`None` when the
    /// field is absent, empty or not a string, or the JSON is not an object).
    Recorded {
        /// The revision that injected the pod.
        revision: Option<String>,
    },
    /// Not valid JSON (edited by hand, truncated): the text and the parser's message.
    Malformed {
        /// The annotation as it was.
        text: String,
        /// What the JSON parser said.
        message: String,
    },
}

impl SidecarStatus {
    /// Parses the annotation's text.
    ///
    /// ```
    /// use meshrev::snapshot::SidecarStatus;
    /// let s = SidecarStatus::parse(r#"{"containers":["istio-proxy"],"revision":"canary"}"#);
    /// assert_eq!(s.revision(), Some("canary"));
    /// assert!(matches!(SidecarStatus::parse("{not json"), SidecarStatus::Malformed { .. }));
    /// ```
    pub fn parse(text: &str) -> SidecarStatus {
        /// The one field the model reads; the rest is skipped without allocating.
        #[derive(Deserialize)]
        struct Record {
            #[serde(default)]
            revision: Option<String>,
        }
        // serde reads a struct from a JSON array too; istio writes an object.
        let object = text.trim_start().starts_with('{');
        match serde_json::from_str::<Record>(text).ok().filter(|_| object) {
            Some(r) => SidecarStatus::Recorded {
                revision: r.revision.filter(|r| !r.is_empty()),
            },
            // Valid JSON of another shape (a non-object, a non-string revision)
            // names no revision; only text that is not JSON is malformed.
            None => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => SidecarStatus::Recorded { revision: None },
                Err(e) => SidecarStatus::Malformed {
                    text: text.to_owned(),
                    message: e.to_string(),
                },
            },
        }
    }

    /// Takes the annotation out of a pod's annotations and parses it: the record
    /// is then the one copy, so nothing can read a stale annotation.
    pub(crate) fn take(annotations: &mut Labels) -> Option<SidecarStatus> {
        annotations
            .remove(labels::SIDECAR_STATUS)
            .map(|text| SidecarStatus::parse(&text))
    }

    /// Annotation text that reads back as this record: `{"revision":"R"}` (or
    /// `{}`), or a malformed record's own text. For writing a pod back out.
    ///
    /// ```
    /// use meshrev::snapshot::SidecarStatus;
    /// let s = SidecarStatus::parse(r#"{"containers":["istio-proxy"],"revision":"canary"}"#);
    /// assert_eq!(SidecarStatus::parse(&s.to_annotation()), s);
    /// ```
    pub fn to_annotation(&self) -> String {
        match self {
            SidecarStatus::Recorded { revision: Some(r) } => {
                serde_json::json!({ "revision": r }).to_string()
            }
            SidecarStatus::Recorded { revision: None } => "{}".to_owned(),
            SidecarStatus::Malformed { text, .. } => text.clone(),
        }
    }

    /// The revision the record names, if it is well-formed and names one.
    pub fn revision(&self) -> Option<&str> {
        match self {
            SidecarStatus::Recorded { revision } => revision.as_deref(),
            SidecarStatus::Malformed { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_every_shape() {
        let rev = |t: &str| SidecarStatus::parse(t);
        assert_eq!(rev(r#"{"revision":"basic"}"#).revision(), Some("basic"));
        assert_eq!(
            rev(r#"{"revision":""}"#),
            SidecarStatus::Recorded { revision: None }
        );
        assert_eq!(
            rev(r#"{"revision":7}"#),
            SidecarStatus::Recorded { revision: None }
        );
        assert_eq!(
            rev(r#"["istio-proxy"]"#),
            SidecarStatus::Recorded { revision: None }
        );
        assert_eq!(rev("{}"), SidecarStatus::Recorded { revision: None });
        assert!(matches!(
            rev(r#"{"revision": "a""#),
            SidecarStatus::Malformed { .. }
        ));
        assert!(matches!(rev(""), SidecarStatus::Malformed { .. }));
        for text in [
            r#"{"revision":"basic","containers":[]}"#,
            "{}",
            "[1]",
            "{oops",
        ] {
            assert_eq!(rev(&rev(text).to_annotation()), rev(text), "{text}");
        }
    }
}
