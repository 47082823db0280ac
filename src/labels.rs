//! Well-known label and annotation keys, Kubernetes name and label syntax, and
//! label selectors.
//!
//! Injection is decided by label selectors on namespaces and pods, so this module
//! is the vocabulary the rest of the crate speaks: syntax of keys and values,
//! which operator takes which values (errors name the offending field), and
//! selector evaluation with Kubernetes semantics. The evaluation is a few lines of
//! its own rather than kube-core's `Selector`, because kube-core depends on
//! k8s-openapi, which would force a Kubernetes version feature on every user
//! (`tests/selector_agreement.rs` checks that both always agree).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Namespace (and pod) label naming the revision or tag that should inject.
pub const REV: &str = "istio.io/rev";
/// Namespace label `enabled` / `disabled`: the default revision's switch.
pub const INJECTION: &str = "istio-injection";
/// Pod label or annotation that opts a pod in or out of injection.
pub const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";
/// Pod annotation recording what the injector added, as JSON.
pub const SIDECAR_STATUS: &str = "sidecar.istio.io/status";
/// Label on a revision-tag webhook configuration naming the tag.
pub const TAG: &str = "istio.io/tag";
/// Selector key `istioctl tag set default` writes to switch off the old default.
pub const DEACTIVATED: &str = "istio.io/deactivated";
/// Namespace label naming the Maistra control-plane namespace it is a member of.
pub const MAISTRA_MEMBER_OF: &str = "maistra.io/member-of";
/// Namespace label that stops a Maistra control plane injecting (any value).
pub const MAISTRA_IGNORE_NAMESPACE: &str = "maistra.io/ignore-namespace";
/// Namespace label the API server sets to the namespace's own name.
pub const METADATA_NAME: &str = "kubernetes.io/metadata.name";
/// Name of the proxy container the injector adds.
pub const PROXY_CONTAINER: &str = "istio-proxy";

/// Namespaces istiod never injects (`pkg/kube/inject/inject.go`,
/// `IgnoredNamespaces`). `istio-system` is deliberately not one of them.
pub const IGNORED_NAMESPACES: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];

mod map;

pub(crate) use map::Interner;
pub use map::Labels;

/// `kubectl rollout restart`'s pod-template annotation: a restart is recognised
/// by its value.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Whether meshrev keeps an annotation of an object it reads: the Istio and
/// Maistra ones (`istio.io/rev`, `sidecar.istio.io/inject`, the injector's
/// `sidecar.istio.io/status`, `inject.istio.io/templates`, ...) and
/// [`RESTARTED_AT`]. Every other annotation (network attachments, scrape
/// settings, `last-applied-configuration`) says nothing about injection and
/// is dropped as it is read, so a large cluster's model stays small; the same
/// rule applies to pods put in by [`Edit::ReplacePods`](crate::snapshot::Edit).
pub fn is_kept_annotation(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once('/') else {
        return false;
    };
    let in_domain = |domain: &str| {
        prefix == domain
            || prefix
                .strip_suffix(domain)
                .is_some_and(|sub| sub.ends_with('.'))
    };
    in_domain("istio.io") || in_domain("maistra.io") || key == RESTARTED_AT
}

/// Checks a DNS-1123 label (namespace names): at most 63 characters of lower-case
/// alphanumerics and `-`, starting and ending alphanumeric.
pub fn check_dns1123_label(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 63 {
        return Err(format!("must be at most 63 characters, not {}", name.len()));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if let Some(c) = name.chars().find(|c| !ok_char(*c)) {
        return Err(format!(
            "{c:?} is not allowed: only lower-case letters, digits and '-'"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// Checks a DNS-1123 subdomain (most object names): at most 253 characters,
/// dot-separated DNS-1123 labels.
pub fn check_dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 253 {
        return Err(format!(
            "must be at most 253 characters, not {}",
            name.len()
        ));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    if let Some(c) = name.chars().find(|c| !ok_char(*c)) {
        return Err(format!(
            "{c:?} is not allowed: only lower-case letters, digits, '-' and '.'"
        ));
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if name
        .split('.')
        .any(|part| !part.starts_with(alnum) || !part.ends_with(alnum))
    {
        return Err("each dot-separated part must start and end with a letter or digit".into());
    }
    Ok(())
}

/// The name part of a label key, and a label value (when not empty): at most 63
/// characters of alphanumerics, `-`, `_` and `.`, alphanumeric at both ends.
fn check_qualified_segment(s: &str, what: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err(format!(
            "{what} must be at most 63 characters, not {}",
            s.len()
        ));
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    if let Some(c) = s.chars().find(|c| !ok_char(*c)) {
        return Err(format!(
            "{what}: {c:?} is not allowed: only letters, digits, '-', '_' and '.'"
        ));
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if !s.starts_with(alnum) || !s.ends_with(alnum) {
        return Err(format!("{what} must start and end with a letter or digit"));
    }
    Ok(())
}

/// Checks a label key: an optional DNS-1123 subdomain prefix and `/`, then a name.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        check_dns1123_subdomain(prefix).map_err(|e| format!("prefix {prefix:?} {e}"))?;
    }
    if name.is_empty() {
        return Err("the name part must not be empty".into());
    }
    check_qualified_segment(name, "the name part")
}

/// Checks a label value: empty, or at most 63 characters as for a key's name.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    check_qualified_segment(value, "the value")
}

/// A Kubernetes `LabelSelector`, valid by construction.
///
/// Like kube-core's `Selector`, the fields are private: a selector is built only
/// through [`LabelSelector::new`], the builders, or deserialization, each of which
/// checks every key, value and operator as the API server does. Evaluation reads
/// those same fields (there is no second, compiled copy), so the value and what
/// matches can never disagree. An empty selector matches everything; `None` where
/// a selector is optional means the same.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawLabelSelector")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    match_labels: Labels,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    match_expressions: Vec<Requirement>,
}

/// The serialized shape, checked into a [`LabelSelector`] by `TryFrom`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLabelSelector {
    #[serde(default)]
    match_labels: Labels,
    #[serde(default)]
    match_expressions: Vec<Requirement>,
}

impl TryFrom<RawLabelSelector> for LabelSelector {
    type Error = String;
    fn try_from(raw: RawLabelSelector) -> Result<Self, String> {
        LabelSelector::new(raw.match_labels, raw.match_expressions)
    }
}

impl PartialEq for LabelSelector {
    fn eq(&self, other: &Self) -> bool {
        self.match_labels == other.match_labels && self.match_expressions == other.match_expressions
    }
}

impl Eq for LabelSelector {}

/// One `matchExpressions` entry, valid by construction ([`Requirement::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRequirement")]
pub struct Requirement {
    key: String,
    operator: Operator,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values: Vec<String>,
}

/// The serialized shape, checked into a [`Requirement`] by `TryFrom`.
#[derive(Deserialize)]
struct RawRequirement {
    key: String,
    operator: Operator,
    #[serde(default)]
    values: Vec<String>,
}

impl TryFrom<RawRequirement> for Requirement {
    type Error = String;
    fn try_from(raw: RawRequirement) -> Result<Self, String> {
        Requirement::new(raw.key, raw.operator, raw.values)
    }
}

/// A selector operator, exactly the four Kubernetes accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Operator {
    /// The key is present and its value is one of the values.
    In,
    /// The key is absent, or its value is none of the values.
    NotIn,
    /// The key is present.
    Exists,
    /// The key is absent.
    DoesNotExist,
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        })
    }
}

impl std::str::FromStr for Operator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "In" => Ok(Operator::In),
            "NotIn" => Ok(Operator::NotIn),
            "Exists" => Ok(Operator::Exists),
            "DoesNotExist" => Ok(Operator::DoesNotExist),
            other => Err(format!(
                "unknown operator {other:?}: expected In, NotIn, Exists or DoesNotExist"
            )),
        }
    }
}

impl Requirement {
    /// A requirement, checked as the API server would check it: the key's syntax,
    /// values for `In`/`NotIn` and none for `Exists`/`DoesNotExist`, each value's
    /// syntax.
    ///
    /// ```
    /// use meshrev::labels::{Operator, Requirement};
    /// assert!(Requirement::new("istio.io/rev", Operator::In, vec!["canary".into()]).is_ok());
    /// assert!(Requirement::new("istio.io/rev", Operator::In, vec![]).is_err());
    /// ```
    pub fn new(
        key: impl Into<String>,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Self, String> {
        let key = key.into();
        check_label_key(&key).map_err(|e| format!("key {key:?}: {e}"))?;
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err(format!(
                    "operator {operator} on {key:?} needs at least one value"
                ));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err(format!("operator {operator} on {key:?} takes no values"));
            }
            _ => {}
        }
        for v in &values {
            check_label_value(v).map_err(|e| format!("value {v:?} of {key:?}: {e}"))?;
        }
        Ok(Requirement {
            key,
            operator,
            values,
        })
    }

    /// A requirement meshrev renders itself (see [`LabelSelector::unchecked`]).
    pub(crate) fn unchecked(key: &str, operator: Operator, values: &[&str]) -> Self {
        Requirement {
            key: key.to_owned(),
            operator,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values (empty for `Exists` / `DoesNotExist`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether `labels` satisfy it: `In` needs the key with one of the values,
    /// `NotIn` holds for an absent key or another value, `Exists` and
    /// `DoesNotExist` look at the key only (Kubernetes `labels.Requirement.Matches`).
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

impl std::fmt::Display for Requirement {
    /// `key in (a,b)`, `key notin (a,b)` (values sorted, once each), `key`, `!key`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values = || {
            let set: std::collections::BTreeSet<&str> =
                self.values.iter().map(String::as_str).collect();
            set.into_iter().collect::<Vec<_>>().join(",")
        };
        match self.operator {
            Operator::In => write!(f, "{} in ({})", self.key, values()),
            Operator::NotIn => write!(f, "{} notin ({})", self.key, values()),
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
        }
    }
}

impl LabelSelector {
    /// A selector from `matchLabels` and `matchExpressions`, checked as the API
    /// server checks it (the requirements are checked when they are built).
    ///
    /// ```
    /// use meshrev::labels::{LabelSelector, Labels, Operator, Requirement};
    /// let rev = Labels::from([("istio.io/rev".to_owned(), "canary".to_owned())]);
    /// let no_injection = Requirement::new("istio-injection", Operator::DoesNotExist, vec![])?;
    /// let s = LabelSelector::new(rev.clone(), vec![no_injection])?;
    /// assert!(s.matches(&rev));
    /// assert_eq!(s.to_string(), "istio.io/rev=canary,!istio-injection");
    /// assert!(LabelSelector::new(Labels::from([("bad key!".into(), "x".into())]), vec![]).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn new(match_labels: Labels, match_expressions: Vec<Requirement>) -> Result<Self, String> {
        for (k, v) in &match_labels {
            check_label_key(k).map_err(|e| format!("matchLabels key {k:?}: {e}"))?;
            check_label_value(v).map_err(|e| format!("matchLabels value {v:?} of {k:?}: {e}"))?;
        }
        Ok(Self::unchecked(match_labels, match_expressions))
    }

    /// Builds the selector without checking the labels. Only for selectors
    /// meshrev renders itself from names it already holds (the chart's webhooks):
    /// evaluation never depends on syntax, and the API server would have refused an
    /// invalid one before any pod reached it.
    pub(crate) fn unchecked(match_labels: Labels, match_expressions: Vec<Requirement>) -> Self {
        LabelSelector {
            match_labels,
            match_expressions,
        }
    }

    /// A selector that matches everything (no requirements).
    pub fn everything() -> Self {
        Self::default()
    }

    /// Whether it has no requirements at all (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// `matchLabels`: `key: value` pairs that must all be present.
    pub fn match_labels(&self) -> &Labels {
        &self.match_labels
    }

    /// `matchExpressions`: requirements that must all hold.
    pub fn match_expressions(&self) -> &[Requirement] {
        &self.match_expressions
    }

    /// Whether any `matchLabels` pair or requirement is about `key`.
    pub fn mentions(&self, key: &str) -> bool {
        self.match_labels.contains_key(key) || self.match_expressions.iter().any(|r| r.key == key)
    }

    /// This selector with one more `matchLabels` pair, checked.
    pub fn with_label(
        self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, String> {
        let mut match_labels = self.match_labels;
        match_labels.insert(key.into(), value.into());
        Self::new(match_labels, self.match_expressions)
    }

    /// This selector with one more requirement, checked ([`Requirement::new`]).
    pub fn with(self, key: &str, operator: Operator, values: &[&str]) -> Result<Self, String> {
        let requirement = Requirement::new(
            key,
            operator,
            values.iter().map(|v| (*v).to_owned()).collect(),
        )?;
        Ok(self.with_requirement(requirement))
    }

    /// This selector with one more requirement (already checked when built).
    pub fn with_requirement(self, requirement: Requirement) -> Self {
        let mut match_expressions = self.match_expressions;
        match_expressions.push(requirement);
        Self::unchecked(self.match_labels, match_expressions)
    }

    /// Whether `labels` satisfy this selector (Kubernetes semantics: `NotIn` and
    /// `DoesNotExist` hold for an absent key).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

impl std::fmt::Display for LabelSelector {
    /// The selector in `kubectl -l` syntax (`a=b,c notin (d),!e`); empty matches all.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut std::fmt::Formatter<'_>| {
            let s = if first { "" } else { "," };
            first = false;
            f.write_str(s)
        };
        for (k, v) in &self.match_labels {
            sep(f)?;
            write!(f, "{k}={v}")?;
        }
        for r in &self.match_expressions {
            sep(f)?;
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn dns1123_label_rules() {
        assert!(check_dns1123_label("mercury").is_ok());
        assert!(check_dns1123_label("a-1").is_ok());
        assert!(check_dns1123_label("Mercury").is_err());
        assert!(check_dns1123_label("-a").is_err());
        assert!(check_dns1123_label("a.b").is_err());
        assert!(check_dns1123_label(&"a".repeat(64)).is_err());
        assert!(check_dns1123_subdomain("istio-sidecar-injector.istio.io").is_ok());
        assert!(check_dns1123_subdomain("a..b").is_err());
    }

    #[test]
    fn label_key_and_value_rules() {
        assert!(check_label_key("istio.io/rev").is_ok());
        assert!(check_label_key("app").is_ok());
        assert!(check_label_key("istio.io/").is_err());
        assert!(check_label_key("Bad_Prefix/x").is_err());
        assert!(check_label_key("a/b/c").is_err());
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("1-24-0").is_ok());
        assert!(check_label_value("has space").is_err());
        assert!(check_label_value("-x").is_err());
    }

    #[test]
    fn absent_key_satisfies_notin_and_doesnotexist() {
        let s = LabelSelector::everything()
            .with(INJECTION, Operator::NotIn, &["disabled"])
            .and_then(|s| s.with("istio-env", Operator::DoesNotExist, &[]))
            .expect("valid selector");
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[(INJECTION, "enabled")])));
        assert!(!s.matches(&labels(&[(INJECTION, "disabled")])));
        assert!(!s.matches(&labels(&[("istio-env", "x")])));
    }

    #[test]
    fn in_needs_values_and_exists_takes_none() {
        assert!(Requirement::new("a", Operator::In, vec![]).is_err());
        assert!(Requirement::new("a", Operator::Exists, vec!["x".into()]).is_err());
        assert!("Equals".parse::<Operator>().is_err());
    }

    #[test]
    fn a_selector_is_checked_when_deserialized() {
        let ok: LabelSelector = serde_json::from_str(
            r#"{"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": ["canary"]}]}"#,
        )
        .expect("valid selector");
        assert!(ok.matches(&labels(&[("app", "web"), (REV, "canary")])));
        assert!(!ok.matches(&labels(&[("app", "web")])));
        for bad in [
            r#"{"matchLabels": {"bad key!": "x"}}"#,
            r#"{"matchLabels": {"app": "has space"}}"#,
            r#"{"matchExpressions": [{"key": "a", "operator": "In"}]}"#,
            r#"{"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}"#,
            r#"{"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]}"#,
        ] {
            assert!(
                serde_json::from_str::<LabelSelector>(bad).is_err(),
                "accepted {bad}"
            );
        }
    }

    #[test]
    fn a_selector_round_trips_through_serde_and_still_matches() {
        let s = LabelSelector::everything()
            .with_label("app", "web")
            .and_then(|s| s.with(INJECTION, Operator::NotIn, &["disabled"]))
            .expect("valid selector");
        let text = serde_json::to_string(&s).expect("serializes");
        let back: LabelSelector = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, s);
        assert_eq!(back.to_string(), s.to_string());
        assert!(back.matches(&labels(&[("app", "web")])));
    }

    #[test]
    fn builders_refuse_what_the_api_server_refuses() {
        assert!(
            LabelSelector::everything()
                .with_label("a/b/c", "x")
                .is_err()
        );
        assert!(
            LabelSelector::everything()
                .with("a", Operator::In, &[])
                .is_err()
        );
    }
}
