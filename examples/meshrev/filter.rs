//! `-n/--namespace` and `-l/--selector`: which namespaces a command shows.

use std::collections::BTreeSet;

use clap::Args;
use meshrev::analyze::Finding;
use meshrev::labels::{LabelSelector, Operator};
use meshrev::{Mesh, Status};

/// The namespace filter, shared by `status`, `analyze` and `graph`.
#[derive(Args, Default)]
pub struct Namespaces {
    /// Only this namespace (repeatable): its workloads, pods and findings;
    /// revisions list only selected namespaces, and progress counts their pods.
    #[arg(short = 'n', long = "namespace", value_name = "NAMESPACE")]
    pub names: Vec<String>,
    /// Only namespaces whose labels match this selector, in `kubectl -l` syntax
    /// (`istio-injection=enabled`, `istio.io/rev in (a,b)`, `!istio.io/rev`).
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
}

impl Namespaces {
    /// The selected namespaces, or `None` when no filter was given. A named
    /// namespace that the snapshot does not know is an error, not an empty answer.
    pub fn select(&self, mesh: &Mesh) -> Result<Option<BTreeSet<String>>, String> {
        if self.names.is_empty() && self.selector.is_none() {
            return Ok(None);
        }
        let s = mesh.snapshot();
        let mut known: BTreeSet<String> = s.namespaces().map(|n| n.name().to_owned()).collect();
        known.extend(s.absent_namespaces().into_iter().map(str::to_owned));
        for n in &self.names {
            if !known.contains(n) {
                return Err(format!(
                    "namespace {n} is not in the snapshot, and nothing in it is"
                ));
            }
        }
        let mut set: BTreeSet<String> = if self.names.is_empty() {
            known
        } else {
            self.names.iter().cloned().collect()
        };
        if let Some(text) = &self.selector {
            let selector = parse_selector(text)?;
            set.retain(|n| selector.matches(&mesh.namespace_labels(n)));
        }
        Ok(Some(set))
    }
}

/// A selector in `kubectl -l` syntax.
pub fn parse_selector(text: &str) -> Result<LabelSelector, String> {
    let mut selector = LabelSelector::everything();
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    let bad = |term: &str, e: String| format!("selector {text:?}: {term:?}: {e}");
    for term in terms.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        let set_op = [(" notin ", Operator::NotIn), (" in ", Operator::In)]
            .into_iter()
            .find_map(|(word, op)| term.split_once(word).map(|(k, v)| (k, v, op)));
        selector = if let Some((key, values, op)) = set_op {
            let values = values
                .trim()
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| bad(term, "values go in parentheses".into()))?;
            let values: Vec<&str> = values.split(',').map(str::trim).collect();
            selector.with(key.trim(), op, &values)
        } else if let Some((key, value)) = term.split_once("!=") {
            selector.with(key.trim(), Operator::NotIn, &[value.trim()])
        } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
            selector.with_label(key.trim(), value.trim())
        } else if let Some(key) = term.strip_prefix('!') {
            selector.with(key.trim(), Operator::DoesNotExist, &[])
        } else {
            selector.with(term, Operator::Exists, &[])
        }
        .map_err(|e| bad(term, e))?;
    }
    Ok(selector)
}

/// The status of the selected namespaces (their workloads and pods); revisions
/// list only the selected namespaces of their data plane, and progress counts
/// only their live pods and workloads.
pub fn status(mesh: &Mesh, mut status: Status, only: &BTreeSet<String>) -> Status {
    status.namespaces.retain(|n| only.contains(&n.name));
    status.pods.retain(|p| only.contains(&*p.namespace));
    for r in &mut status.revisions {
        r.namespaces.retain(|n| only.contains(n));
    }
    let s = mesh.snapshot();
    let live_on = |revision: &str| {
        status
            .pods
            .iter()
            .filter(|p| p.running.revision() == Some(revision))
            .filter(|p| {
                s.pod(&p.namespace, &p.name)
                    .is_some_and(meshrev::status::is_live)
            })
            .count()
    };
    let pods: Vec<usize> = status
        .progress
        .iter()
        .map(|p| live_on(&p.revision))
        .collect();
    let total: usize = pods.iter().sum();
    let workloads: Vec<usize> = status
        .progress
        .iter()
        .map(|p| {
            status
                .namespaces
                .iter()
                .flat_map(|n| &n.workloads)
                .filter(|w| {
                    w.running
                        .iter()
                        .any(|r| r.revision() == Some(p.revision.as_str()))
                })
                .count()
        })
        .collect();
    for ((p, n), w) in status.progress.iter_mut().zip(pods).zip(workloads) {
        p.pods = n;
        p.workloads = w;
        p.share = if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        };
    }
    status
}

/// Findings about objects in the selected namespaces (or about those namespaces),
/// and how many others were left out.
pub fn findings(findings: Vec<Finding>, only: &BTreeSet<String>) -> (Vec<Finding>, usize) {
    let total = findings.len();
    let kept: Vec<Finding> = findings
        .into_iter()
        .filter(|f| match &f.object.namespace {
            Some(ns) => only.contains(ns),
            None => f.object.kind == "Namespace" && only.contains(&f.object.name),
        })
        .collect();
    let left_out = total - kept.len();
    (kept, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_selector_syntax() {
        let s =
            parse_selector("istio-injection=enabled, istio.io/rev in (a, b),!x,y!=z,w").unwrap();
        assert_eq!(
            s.to_string(),
            "istio-injection=enabled,istio.io/rev in (a,b),!x,y notin (z),w"
        );
        assert!(parse_selector("a in b").is_err());
        assert!(parse_selector("bad key!=x").is_err());
    }
}
