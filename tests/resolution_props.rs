//! Resolution against an independent, closed-form statement of the injection rules.
//!
//! Each case is a generated mesh (1 to 4 revisions of the three families, 0 to 2
//! tags, `default` revisions and tags, enableNamespacesByDefault, injector
//! policies) plus namespaces and pods with generated labels and annotations. The
//! test renders the mesh as the cluster objects each family really has (the
//! upstream chart's MutatingWebhookConfigurations per domain.md section 2, Sail
//! CRs with no webhook configurations, Maistra SMCP/SMMR with or without its
//! webhook per section 5), runs `Mesh::new` and `resolve_namespace` /
//! `resolve_pod`, and compares with [`expected`], which states the rules directly
//! as boolean conditions on labels (domain.md sections 2, 4 and 5, istio
//! `pkg/kube/inject/inject.go` `injectRequired`) without calling meshrev.
//!
//! Further properties: resolution does not depend on the order of the input
//! documents, and a namespace's resolution is the webhook match of a label-less
//! pod created in it.

use std::collections::BTreeSet;
use std::fmt;

use meshrev::resolve::{NotInjected, Resolution};
use meshrev::{Mesh, SnapshotBuilder, Status};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Value, json};

// ------------------------------------------------------------------ the model

/// Namespaces istiod never injects (`inject.go` `IgnoredNamespaces`), and which
/// the chart's `auto.` webhook leaves out.
const IGNORED: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];
const REV_POOL: [&str; 6] = ["default", "1-24-0", "1-25-2", "basic", "ossm3", "tenant"];
const TAG_POOL: [&str; 3] = ["prod", "blue", "default"];
const NS_POOL: [&str; 5] = ["web", "shop", "kube-system", "istio-system", "mesh-a"];
const MAISTRA_NS: [&str; 4] = ["istio-system", "mesh-a", "mesh-b", "mesh-c"];
const UNKNOWN: &str = "nope";
const SAIL_VERSION: &str = "v1.24.3";
/// Pod label values (must be valid label values).
const INJECT_LABELS: [&str; 10] = [
    "true", "false", "yes", "", "garbage", "True", "on", "y", "FALSE", "no",
];
/// Pod annotation values (anything goes).
const INJECT_ANNOTATIONS: [&str; 11] = [
    "true", "false", "yes", "", "garbage", "TRUE", "On", "Y", "enabled", "no", " true",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// helm/istioctl: MutatingWebhookConfigurations in the snapshot.
    Upstream,
    /// Sail `Istio`, InPlace: revision = the Istio's name.
    SailInPlace,
    /// Sail `Istio`, RevisionBased: revision = `<name>-v1-24-3`.
    SailRevisionBased,
    /// Sail `IstioRevision`.
    SailRevision,
    /// Maistra SMCP, ClusterWide.
    MaistraClusterWide,
    /// Maistra SMCP, MultiTenant.
    MaistraMultiTenant,
}

impl Family {
    fn is_maistra(self) -> bool {
        matches!(
            self,
            Family::MaistraClusterWide | Family::MaistraMultiTenant
        )
    }
    fn is_sail(self) -> bool {
        matches!(
            self,
            Family::SailInPlace | Family::SailRevisionBased | Family::SailRevision
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    Enabled,
    Disabled,
    /// Any other value: istiod never injects.
    Other,
}

impl Policy {
    fn as_str(self) -> &'static str {
        match self {
            Policy::Enabled => "enabled",
            Policy::Disabled => "disabled",
            Policy::Other => "bogus",
        }
    }
}

#[derive(Clone)]
struct Rev {
    /// The revision name.
    name: String,
    /// The defining object's name (the Istio's name for RevisionBased).
    object: String,
    family: Family,
    /// Control-plane namespace.
    namespace: String,
    policy: Policy,
    /// `sidecarInjectorWebhook.enableNamespacesByDefault` (upstream and Sail).
    auto: bool,
    /// Maistra: `spec.techPreview.sidecarInjectorWebhook.objectSelector.enabled`
    /// (only with the policy on the SMCP itself, not from a profile alone).
    tech_preview: bool,
    /// Representation choices that must not change the outcome:
    /// `0x01` upstream: no injector config map when the policy is the chart
    /// default; Sail: explicit `InPlace`; Maistra: explicit `MultiTenant`.
    /// `0x02` upstream: the istiod Deployment; Sail Istio:
    /// `status.activeRevisionName`; Maistra: its webhook configuration (else
    /// synthesized). `0x04` Sail and Maistra: the rendered injector config map.
    /// `0x08` Maistra: explicit `autoInject: false`. `0x10` helm values left
    /// implicit where default. `0x20` a tag via the Istio has
    /// `status.istioRevision`. `0x40` (with `0x04`) Maistra: the policy comes
    /// from a profile, so only the config map shows it.
    bits: u8,
}

#[derive(Clone)]
struct Tag {
    name: String,
    /// Index into `MeshDesc::revs` (always an upstream or Sail revision).
    target: usize,
    /// Sail only: target the Istio rather than the IstioRevision.
    via_istio: bool,
}

#[derive(Clone)]
struct MeshDesc {
    revs: Vec<Rev>,
    tags: Vec<Tag>,
}

#[derive(Clone)]
struct Ns {
    name: String,
    /// In the snapshot (else only its pods are, and it has no labels).
    present: bool,
    /// `kubernetes.io/metadata.name` written out (the API server always sets it).
    name_label: bool,
    injection: Option<String>,
    rev: Option<String>,
    member_of: Option<String>,
    ignore: Option<String>,
}

#[derive(Clone)]
struct PodDesc {
    name: String,
    inject_label: Option<String>,
    inject_annotation: Option<String>,
    rev: Option<String>,
    app: Option<String>,
    host_network: bool,
}

#[derive(Clone)]
struct Case {
    mesh: MeshDesc,
    namespaces: Vec<(Ns, Vec<PodDesc>)>,
    /// For the reordering property.
    seed: u64,
}

impl MeshDesc {
    fn has_default_tag(&self) -> bool {
        self.tags.iter().any(|t| t.name == "default")
    }

    /// An upstream revision rendered without its istiod Deployment while another
    /// istiod Deployment of its namespace is in the snapshot: its webhooks (and its
    /// tags') call a service nothing serves, and `failurePolicy: Fail` (the chart's)
    /// makes the API server reject every pod they match.
    fn unserved(&self, r: &Rev) -> bool {
        let deployed = |r: &Rev| r.family == Family::Upstream && r.bits & 2 != 0;
        r.family == Family::Upstream
            && !deployed(r)
            && self
                .revs
                .iter()
                .any(|o| o.name != r.name && o.namespace == r.namespace && deployed(o))
            && !self.revs.iter().any(|o| {
                o.family.is_sail()
                    && o.namespace == r.namespace
                    && istiod_name(&o.name) == istiod_name(&r.name)
            })
    }

    /// An upstream revision named `default` whose webhooks `istioctl tag set
    /// default` pointed at `istio.io/deactivated=never-match`.
    fn deactivated(&self, r: &Rev) -> bool {
        r.family == Family::Upstream && r.name == "default" && self.has_default_tag()
    }
}

// -------------------------------------------------------- the closed form

/// What resolution answers, in the closed form's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// No webhook receives the pod.
    Nobody,
    /// Webhooks of these revisions receive it and every one's istiod declines.
    Refused(BTreeSet<String>),
    /// Exactly one revision injects.
    Injected(String),
    /// Several revisions inject (a namespace: several revisions' webhooks match).
    Several(BTreeSet<String>),
    /// The API server rejects the pod: a matching webhook calls one of these
    /// services, which no istiod serves.
    Rejected(BTreeSet<String>),
}

impl Outcome {
    /// meshrev reports a refusal by the first revision called; the closed form
    /// knows the set of revisions that refused.
    fn agrees(&self, expected: &Outcome) -> bool {
        match (self, expected) {
            (Outcome::Refused(got), Outcome::Refused(want))
            | (Outcome::Rejected(got), Outcome::Rejected(want)) => got.is_subset(want),
            _ => self == expected,
        }
    }
}

/// The labels webhooks see on a namespace (none when it is absent).
struct NsView<'a> {
    name: &'a str,
    injection: Option<&'a str>,
    rev: Option<&'a str>,
    member_of: Option<&'a str>,
    ignored_by_maistra: bool,
}

impl<'a> NsView<'a> {
    fn of(ns: &'a Ns) -> Self {
        let p = |o: &'a Option<String>| o.as_deref().filter(|_| ns.present);
        NsView {
            name: &ns.name,
            injection: p(&ns.injection),
            rev: p(&ns.rev),
            member_of: p(&ns.member_of),
            ignored_by_maistra: p(&ns.ignore).is_some(),
        }
    }
}

/// The closed form: which revisions' webhooks receive a pod with these labels
/// (`pod == None`: a label-less pod).
fn receivers(mesh: &MeshDesc, ns: &NsView<'_>, pod: Option<&PodDesc>) -> BTreeSet<String> {
    let inject_label = pod.and_then(|p| p.inject_label.as_deref());
    let pod_rev = pod.and_then(|p| p.rev.as_deref());
    let app = pod.and_then(|p| p.app.as_deref());
    let not_false = inject_label != Some("false");
    // Namespace labels: `istio-injection` (any value) beats `istio.io/rev`, which
    // beats a pod's `istio.io/rev`.
    let unlabelled = ns.injection.is_none() && ns.rev.is_none();

    let mut receivers = BTreeSet::new();
    // `istio.io/rev=<V>` on the namespace, else on the pod: every live upstream or
    // Sail revision answers to its name, every tag to its own.
    let names = mesh
        .revs
        .iter()
        .filter(|r| !r.family.is_maistra() && !mesh.deactivated(r))
        .map(|r| (r.name.as_str(), r.name.as_str()))
        .chain(
            mesh.tags
                .iter()
                .map(|t| (t.name.as_str(), mesh.revs[t.target].name.as_str())),
        );
    for (v, target) in names {
        let asked = ns.rev == Some(v) || (ns.rev.is_none() && pod_rev == Some(v));
        if ns.injection.is_none() && not_false && asked {
            receivers.insert(target.to_owned());
        }
    }
    // The default revision: the `default` tag's target, else a revision named
    // `default`. `istio-injection=enabled`, or pod `sidecar.istio.io/inject=true`
    // in an unlabelled namespace, or anything unlabelled with enableNamespacesByDefault.
    let default = match mesh.tags.iter().find(|t| t.name == "default") {
        Some(t) => Some(&mesh.revs[t.target]),
        None => mesh
            .revs
            .iter()
            .find(|r| r.name == "default" && !r.family.is_maistra()),
    };
    if let Some(d) = default {
        let by_namespace = ns.injection == Some("enabled") && not_false;
        let by_object = unlabelled && pod_rev.is_none() && inject_label == Some("true");
        let by_default = d.auto
            && unlabelled
            && pod_rev.is_none()
            && inject_label.is_none()
            && !IGNORED.contains(&ns.name);
        if by_namespace || by_object || by_default {
            receivers.insert(d.name.clone());
        }
    }
    // Maistra: members of its control-plane namespace, unless ignored or
    // `istio-injection=disabled`; never istiod itself.
    for r in mesh.revs.iter().filter(|r| r.family.is_maistra()) {
        if ns.member_of == Some(r.namespace.as_str())
            && !ns.ignored_by_maistra
            && ns.injection != Some("disabled")
            && app != Some("istiod")
            // The tech-preview objectSelector (maistra v2.6 chart
            // `mutatingwebhook.yaml`): autoInject enabled -> the label is not
            // `false`; else the label is exactly `true`.
            && (!r.tech_preview
                || match r.policy {
                    Policy::Enabled => not_false,
                    _ => inject_label == Some("true"),
                })
        {
            receivers.insert(r.name.clone());
        }
    }

    receivers
}

/// The closed form's answer. A namespace: the receivers alone. A pod: every
/// receiving istiod decides on its own (istio `pkg/kube/inject/webhook.go`
/// `inject()` allows the pod unpatched when `injectRequired` is false), and only
/// those that inject count: none, one, or a double injection.
fn expected(mesh: &MeshDesc, ns: &NsView<'_>, pod: Option<&PodDesc>) -> Outcome {
    let received = receivers(mesh, ns, pod);
    // A receiving webhook that cannot be called refuses the pod before any istiod
    // decides (the API server, failurePolicy Fail).
    let rejected: BTreeSet<String> = received
        .iter()
        .filter_map(|name| mesh.revs.iter().find(|r| &r.name == name))
        .filter(|r| mesh.unserved(r))
        .map(|r| format!("{}/{}", r.namespace, istiod_name(&r.name)))
        .collect();
    if !rejected.is_empty() {
        return Outcome::Rejected(rejected);
    }
    let injecting: BTreeSet<String> = match pod {
        None => received.clone(),
        Some(p) => received
            .iter()
            .filter(|name| {
                let rev = mesh.revs.iter().find(|r| &r.name == *name);
                // A webhook to a revision with no control plane: chart defaults, and
                // no version known, so the newer value rule.
                istiod_injects(
                    ns.name,
                    p,
                    rev.map_or(Policy::Enabled, |r| r.policy),
                    rev.is_none_or(strict_values),
                )
            })
            .cloned()
            .collect(),
    };
    match injecting.len() {
        0 if received.is_empty() => Outcome::Nobody,
        0 => Outcome::Refused(received),
        1 => Outcome::Injected(injecting.into_iter().next().unwrap_or_default()),
        _ => Outcome::Several(injecting),
    }
}

/// The istiod image tag an upstream revision's Deployment is rendered with:
/// the version its name spells (`1-24-0` -> `1.24.0`), else 1.27.0.
fn upstream_istiod_version(name: &str) -> String {
    let parts: Vec<&str> = name.split('-').collect();
    if parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()) {
        parts.join(".")
    } else {
        "1.27.0".to_owned()
    }
}

/// Whether the revision's istiod reads `sidecar.istio.io/inject` strictly (istio
/// `inject.go` from 1.27.0, commit 331d32e30a3: only exact `true`/`false`, other
/// values fall back to the default) rather than lowercasing it and accepting
/// `y|yes|true|on` (1.26 and earlier, every Maistra 2.x). Unknown version: strict.
fn strict_values(r: &Rev) -> bool {
    let minor_at_least_27 = |v: &str| {
        let mut parts = v.trim_start_matches('v').split('.');
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        major > 1 || (major == 1 && minor >= 27)
    };
    match r.family {
        f if f.is_maistra() => false,
        f if f.is_sail() => minor_at_least_27(SAIL_VERSION),
        // Upstream: the Deployment's image tag, when the Deployment is rendered.
        _ if r.bits & 2 != 0 => minor_at_least_27(&upstream_istiod_version(&r.name)),
        _ => true,
    }
}

/// istiod's `injectRequired` once its webhook received the pod.
fn istiod_injects(namespace: &str, pod: &PodDesc, policy: Policy, strict: bool) -> bool {
    if pod.host_network || IGNORED.contains(&namespace) {
        return false;
    }
    // The label wins over the annotation whenever present, even empty.
    let value = pod
        .inject_label
        .as_deref()
        .or(pod.inject_annotation.as_deref())
        .unwrap_or("");
    let explicit = if strict {
        match value {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    } else {
        match value.to_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => Some(true),
            "" => None,
            _ => Some(false),
        }
    };
    match policy {
        Policy::Enabled => explicit.unwrap_or(true),
        Policy::Disabled => explicit.unwrap_or(false),
        Policy::Other => false,
    }
}

/// meshrev's answer in the same terms.
fn observed(r: &Resolution) -> Outcome {
    match r {
        Resolution::Injected { revision, .. } => Outcome::Injected(revision.clone()),
        Resolution::NotInjected {
            reason: NotInjected::Refused { revision, .. },
            ..
        } => Outcome::Refused(BTreeSet::from([revision.clone()])),
        Resolution::NotInjected { .. } => Outcome::Nobody,
        Resolution::Rejected { service, .. } => {
            Outcome::Rejected(BTreeSet::from([service.clone()]))
        }
        Resolution::Conflict { candidates } => {
            Outcome::Several(candidates.iter().map(|c| c.revision.clone()).collect())
        }
        other => panic!("a resolution this test does not know yet: {other:?}"),
    }
}

// ------------------------------------------------------ rendering the cluster

fn sel(exprs: &[(&str, &str, &[&str])]) -> Value {
    let exprs: Vec<Value> = exprs
        .iter()
        .map(|(k, op, vs)| {
            if vs.is_empty() {
                json!({"key": k, "operator": op})
            } else {
                json!({"key": k, "operator": op, "values": vs})
            }
        })
        .collect();
    json!({ "matchExpressions": exprs })
}

fn never_match() -> Value {
    json!({"matchLabels": {"istio.io/deactivated": "never-match"}})
}

fn ns_suffix(ns: &str) -> String {
    if ns == "istio-system" {
        String::new()
    } else {
        format!("-{ns}")
    }
}

fn istiod_name(rev: &str) -> String {
    if rev == "default" {
        "istiod".into()
    } else {
        format!("istiod-{rev}")
    }
}

/// The webhooks of domain.md section 2 for `istio.io/rev` value `v`.
fn chart_webhooks(
    v: &str,
    service: &str,
    namespace: &str,
    default_hooks: bool,
    auto: bool,
    deactivated: bool,
) -> Vec<Value> {
    let hook = |name: &str, ns_sel: Value, obj_sel: Value| {
        let (ns_sel, obj_sel) = if deactivated {
            (never_match(), never_match())
        } else {
            (ns_sel, obj_sel)
        };
        json!({
            "name": format!("{name}sidecar-injector.istio.io"),
            "clientConfig": {"service": {"name": service, "namespace": namespace, "path": "/inject", "port": 443}},
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "admissionReviewVersions": ["v1"],
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": ns_sel,
            "objectSelector": obj_sel,
        })
    };
    let not_false = ("sidecar.istio.io/inject", "NotIn", &["false"][..]);
    let mut hooks = vec![
        hook(
            "rev.namespace.",
            sel(&[
                ("istio.io/rev", "In", &[v]),
                ("istio-injection", "DoesNotExist", &[]),
            ]),
            sel(&[not_false]),
        ),
        hook(
            "rev.object.",
            sel(&[
                ("istio.io/rev", "DoesNotExist", &[]),
                ("istio-injection", "DoesNotExist", &[]),
            ]),
            sel(&[not_false, ("istio.io/rev", "In", &[v])]),
        ),
    ];
    if default_hooks {
        hooks.push(hook(
            "namespace.",
            sel(&[("istio-injection", "In", &["enabled"])]),
            sel(&[not_false]),
        ));
        hooks.push(hook(
            "object.",
            sel(&[
                ("istio-injection", "DoesNotExist", &[]),
                ("istio.io/rev", "DoesNotExist", &[]),
            ]),
            sel(&[
                ("sidecar.istio.io/inject", "In", &["true"]),
                ("istio.io/rev", "DoesNotExist", &[]),
            ]),
        ));
        if auto {
            hooks.push(hook(
                "auto.",
                sel(&[
                    ("istio-injection", "DoesNotExist", &[]),
                    ("istio.io/rev", "DoesNotExist", &[]),
                    ("kubernetes.io/metadata.name", "NotIn", &IGNORED),
                ]),
                sel(&[
                    ("sidecar.istio.io/inject", "DoesNotExist", &[]),
                    ("istio.io/rev", "DoesNotExist", &[]),
                ]),
            ));
        }
    }
    hooks
}

fn helm_values(r: &Rev) -> Value {
    let mut values = json!({});
    // bit 4: leave chart defaults implicit where they are the defaults.
    let implicit = r.bits & 0x10 != 0;
    if !(implicit && r.policy == Policy::Enabled) {
        values["global"] = json!({"proxy": {"autoInject": r.policy.as_str()}});
    }
    if r.auto || !implicit {
        values["sidecarInjectorWebhook"] = json!({"enableNamespacesByDefault": r.auto});
    }
    values
}

fn injector_config_map(name: &str, namespace: &str, r: &Rev) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"istio.io/rev": r.name}},
        "data": {
            "config": format!("policy: {}\nalwaysInjectSelector: []\nneverInjectSelector: []\ntemplate: \"\"\n", r.policy.as_str()),
            "values": helm_values(r).to_string(),
        },
    })
}

fn documents(case: &Case) -> Vec<Value> {
    let mesh = &case.mesh;
    let mut docs = Vec::new();
    for r in &mesh.revs {
        let bits = r.bits;
        match r.family {
            Family::Upstream => {
                let default_rev = r.name == "default";
                docs.push(json!({
                    "apiVersion": "admissionregistration.k8s.io/v1",
                    "kind": "MutatingWebhookConfiguration",
                    "metadata": {
                        "name": format!("istio-sidecar-injector{}{}",
                            if default_rev { String::new() } else { format!("-{}", r.name) },
                            ns_suffix(&r.namespace)),
                        "labels": {"istio.io/rev": r.name, "app": "sidecar-injector"},
                    },
                    "webhooks": chart_webhooks(&r.name, &istiod_name(&r.name), &r.namespace,
                        default_rev, r.auto, mesh.deactivated(r)),
                }));
                // bit 0: no injector config map (only when it would say the chart default).
                if !(bits & 1 != 0 && r.policy == Policy::Enabled) {
                    let cm = if default_rev {
                        "istio-sidecar-injector".to_owned()
                    } else {
                        format!("istio-sidecar-injector-{}", r.name)
                    };
                    docs.push(injector_config_map(&cm, &r.namespace, r));
                }
                // bit 1: the istiod Deployment too.
                if bits & 2 != 0 {
                    docs.push(json!({
                        "apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": istiod_name(&r.name), "namespace": r.namespace,
                                     "labels": {"app": "istiod", "istio.io/rev": r.name}},
                        "spec": {"replicas": 1, "template": {
                            "metadata": {"labels": {"app": "istiod", "istio.io/rev": r.name,
                                                    "sidecar.istio.io/inject": "false"}},
                            "spec": {"containers": [{"name": "discovery",
                                "image": format!("docker.io/istio/pilot:{}",
                                                 upstream_istiod_version(&r.name))}]}}},
                    }));
                }
            }
            Family::SailInPlace | Family::SailRevisionBased => {
                let mut strategy = json!({});
                if r.family == Family::SailRevisionBased {
                    strategy = json!({"type": "RevisionBased"});
                } else if bits & 1 != 0 {
                    strategy = json!({"type": "InPlace"});
                }
                let mut istio = json!({
                    "apiVersion": "sailoperator.io/v1", "kind": "Istio",
                    "metadata": {"name": r.object},
                    "spec": {"version": SAIL_VERSION, "namespace": r.namespace,
                             "updateStrategy": strategy, "values": helm_values(r)},
                });
                if bits & 2 != 0 {
                    istio["status"] = json!({"activeRevisionName": r.name});
                }
                docs.push(istio);
            }
            Family::SailRevision => docs.push(json!({
                "apiVersion": "sailoperator.io/v1", "kind": "IstioRevision",
                "metadata": {"name": r.name},
                "spec": {"version": SAIL_VERSION, "namespace": r.namespace, "values": helm_values(r)},
            })),
            Family::MaistraClusterWide | Family::MaistraMultiTenant => {
                let cw = r.family == Family::MaistraClusterWide;
                let mut spec = json!({"version": "v2.6"});
                if r.tech_preview {
                    spec["techPreview"] =
                        json!({"sidecarInjectorWebhook": {"objectSelector": {"enabled": true}}});
                }
                if cw {
                    spec["mode"] = json!("ClusterWide");
                } else if bits & 1 != 0 {
                    spec["mode"] = json!("MultiTenant");
                }
                // The policy is `spec.proxy.injection.autoInject` (maistra
                // `conversion`: true -> `global.proxy.autoInject: enabled`), absent
                // meaning the default profile's `disabled`; the operator renders it
                // into the injector config map (bit 2). With bits 2 and 6 a profile
                // set it, so only the rendered config map shows it.
                let profile_only =
                    bits & 0x44 == 0x44;
                match r.policy {
                    Policy::Enabled if !profile_only => {
                        spec["proxy"] = json!({"injection": {"autoInject": true}})
                    }
                    _ if bits & 8 != 0 && !profile_only => {
                        spec["proxy"] = json!({"injection": {"autoInject": false}})
                    }
                    _ => {}
                }
                docs.push(json!({
                    "apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
                    "metadata": {"name": r.name, "namespace": r.namespace},
                    "spec": spec,
                }));
                let roll = if cw {
                    json!({"memberSelectors": [{"matchLabels": {"istio-injection": "enabled"}}]})
                } else {
                    json!({"members": ["web", "shop"]})
                };
                docs.push(json!({
                    "apiVersion": "maistra.io/v1", "kind": "ServiceMeshMemberRoll",
                    "metadata": {"name": "default", "namespace": r.namespace},
                    "spec": roll,
                }));
                if bits & 4 != 0 {
                    docs.push(injector_config_map(
                        &format!("istio-sidecar-injector-{}", r.name),
                        &r.namespace,
                        r,
                    ));
                }
                // bit 1: the webhook configuration is in the snapshot (else synthesized).
                if bits & 2 != 0 {
                    docs.push(json!({
                        "apiVersion": "admissionregistration.k8s.io/v1",
                        "kind": "MutatingWebhookConfiguration",
                        "metadata": {
                            "name": format!("istiod-{}-{}", r.name, r.namespace),
                            "labels": {"istio.io/rev": r.name, "app": "sidecar-injector",
                                       "maistra-version": "2.6.7"},
                        },
                        "webhooks": [{
                            "name": "sidecar-injector.istio.io",
                            "clientConfig": {"service": {"name": format!("istiod-{}", r.name),
                                "namespace": r.namespace, "path": "/inject", "port": 443}},
                            "namespaceSelector": sel(&[
                                ("maistra.io/member-of", "In", &[r.namespace.as_str()]),
                                ("maistra.io/ignore-namespace", "DoesNotExist", &[]),
                                ("istio-injection", "NotIn", &["disabled"]),
                                ("istio-env", "DoesNotExist", &[]),
                            ]),
                            "objectSelector": match (r.tech_preview, r.policy) {
                                (false, _) => sel(&[("app", "NotIn", &["istiod"])]),
                                (true, Policy::Enabled) => sel(&[
                                    ("app", "NotIn", &["istiod"]),
                                    ("sidecar.istio.io/inject", "NotIn", &["false"]),
                                ]),
                                (true, _) => sel(&[
                                    ("app", "NotIn", &["istiod"]),
                                    ("sidecar.istio.io/inject", "In", &["true"]),
                                ]),
                            },
                        }],
                    }));
                }
            }
        }
    }
    // Sail: bit 2 adds the injector config map the operator rendered from the
    // values (`istio-sidecar-injector` for the revision named `default`, whose
    // helm revision is "").
    for r in mesh
        .revs
        .iter()
        .filter(|r| r.family.is_sail() && r.bits & 4 != 0)
    {
        let name = if r.name == "default" {
            "istio-sidecar-injector".to_owned()
        } else {
            format!("istio-sidecar-injector-{}", r.name)
        };
        docs.push(injector_config_map(&name, &r.namespace, r));
    }
    for t in &mesh.tags {
        let target = &mesh.revs[t.target];
        if target.family == Family::Upstream {
            docs.push(json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {
                    "name": format!("istio-revision-tag-{}{}", t.name, ns_suffix(&target.namespace)),
                    "labels": {"istio.io/tag": t.name, "istio.io/rev": target.name,
                               "app": "sidecar-injector"},
                },
                "webhooks": chart_webhooks(&t.name, &istiod_name(&target.name), &target.namespace,
                    t.name == "default", target.auto, false),
            }));
        } else {
            let by_istio = t.via_istio && target.family != Family::SailRevision;
            let (kind, name) = if by_istio {
                ("Istio", target.object.as_str())
            } else {
                ("IstioRevision", target.name.as_str())
            };
            let mut tag = json!({
                "apiVersion": "sailoperator.io/v1", "kind": "IstioRevisionTag",
                "metadata": {"name": t.name},
                "spec": {"targetRef": {"kind": kind, "name": name}},
            });
            if by_istio && target.bits & 0x20 != 0 {
                tag["status"] = json!({"istioRevision": target.name});
            }
            docs.push(tag);
        }
    }
    for (ns, pods) in &case.namespaces {
        if ns.present {
            let mut labels = serde_json::Map::new();
            let mut put = |k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    labels.insert(k.to_owned(), json!(v));
                }
            };
            put("istio-injection", &ns.injection);
            put("istio.io/rev", &ns.rev);
            put("maistra.io/member-of", &ns.member_of);
            put("maistra.io/ignore-namespace", &ns.ignore);
            if ns.name_label {
                put("kubernetes.io/metadata.name", &Some(ns.name.clone()));
            }
            docs.push(json!({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": ns.name, "labels": labels}}));
        }
        let bare = PodDesc {
            name: "bare".into(),
            inject_label: None,
            inject_annotation: None,
            rev: None,
            app: None,
            host_network: false,
        };
        for p in pods.iter().chain(std::iter::once(&bare)) {
            let mut labels = serde_json::Map::new();
            if let Some(v) = &p.inject_label {
                labels.insert("sidecar.istio.io/inject".into(), json!(v));
            }
            if let Some(v) = &p.rev {
                labels.insert("istio.io/rev".into(), json!(v));
            }
            if let Some(v) = &p.app {
                labels.insert("app".into(), json!(v));
            }
            let mut annotations = serde_json::Map::new();
            if let Some(v) = &p.inject_annotation {
                annotations.insert("sidecar.istio.io/inject".into(), json!(v));
            }
            docs.push(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": p.name, "namespace": ns.name,
                             "labels": labels, "annotations": annotations},
                "spec": {"hostNetwork": p.host_network, "containers": [{"name": "app"}]},
                "status": {"phase": "Running"},
            }));
        }
    }
    docs
}

fn mesh_of(docs: impl IntoIterator<Item = Value>) -> Mesh {
    let mut b = SnapshotBuilder::new();
    for d in docs {
        if let Err(e) = b.add_value(d) {
            panic!("generated object refused: {e}");
        }
    }
    Mesh::new(b.build())
}

// ---------------------------------------------------------------- generation
//
// Raw cases are plain bytes (cheap to generate and shrink in a debug build); each
// byte is read through a table whose entry 0 is the simplest choice, so shrinking
// walks towards "no label", "upstream", "enabled".

const FAMILIES: [Family; 11] = [
    Family::Upstream,
    Family::Upstream,
    Family::Upstream,
    Family::Upstream,
    Family::SailInPlace,
    Family::SailInPlace,
    Family::SailRevisionBased,
    Family::SailRevision,
    Family::MaistraClusterWide,
    Family::MaistraClusterWide,
    Family::MaistraMultiTenant,
];
const POLICIES: [Policy; 9] = [
    Policy::Enabled,
    Policy::Enabled,
    Policy::Enabled,
    Policy::Enabled,
    Policy::Enabled,
    Policy::Disabled,
    Policy::Disabled,
    Policy::Disabled,
    Policy::Other,
];

fn at<T: Copy>(table: &[T], byte: u8) -> T {
    table[usize::from(byte) % table.len()]
}

/// `[name pick, family, policy, enableNamespacesByDefault, bits, namespace, namespace pick]`.
type RawRev = [u8; 7];
/// `[name, target, via Istio]`.
type RawTag = [u8; 3];
/// `[present, name label, istio-injection, istio.io/rev, rev pick, member-of, member pick, ignore, name pick]`.
type RawNs = [u8; 9];
/// `[inject label, inject annotation, istio.io/rev, rev pick, app, hostNetwork]`.
type RawPod = [u8; 6];

/// Takes one name out of `pool`: the one `byte` points at, else the next free one
/// (so that shrinking away one revision leaves the others' names alone).
fn take<'a>(pool: &mut [Option<&'a str>], byte: u8) -> &'a str {
    let len = pool.len();
    let start = usize::from(byte) % len;
    (0..len)
        .map(|i| (start + i) % len)
        .find_map(|i| pool[i].take())
        .unwrap_or("exhausted")
}

fn pool<'a>(names: &[&'a str]) -> Vec<Option<&'a str>> {
    names.iter().copied().map(Some).collect()
}

fn build_mesh(raw: &[RawRev], raw_tags: &[RawTag]) -> MeshDesc {
    let mut names = pool(&REV_POOL);
    let mut maistra_ns = pool(&MAISTRA_NS);
    let mut revs = Vec::new();
    for &[name, family, policy, auto, bits, canary, ns_pick] in raw {
        let base = take(&mut names, name);
        let family = at(&FAMILIES, family);
        let policy = at(&POLICIES, policy);
        let (name, namespace, policy) = if family.is_maistra() {
            let ns = take(&mut maistra_ns, ns_pick);
            let policy = if policy == Policy::Other {
                Policy::Disabled
            } else {
                policy
            };
            (base.to_owned(), ns.to_owned(), policy)
        } else {
            let name = if family == Family::SailRevisionBased {
                format!("{base}-{}", SAIL_VERSION.replace('.', "-"))
            } else {
                base.to_owned()
            };
            let ns = if canary % 5 == 4 {
                "istio-canary"
            } else {
                "istio-system"
            };
            (name, ns.to_owned(), policy)
        };
        revs.push(Rev {
            name,
            object: base.to_owned(),
            family,
            namespace,
            policy,
            auto: !family.is_maistra() && auto % 10 >= 7,
            tech_preview: family.is_maistra() && auto % 10 >= 7 && bits & 0x44 != 0x44,
            bits,
        });
    }
    let targets: Vec<usize> = (0..revs.len())
        .filter(|&i| !revs[i].family.is_maistra())
        .collect();
    let mut tags: Vec<Tag> = Vec::new();
    if !targets.is_empty() {
        // Sail refuses a tag that shares its name with a revision; an upstream
        // `default` tag next to a Sail `default` revision is two installers fighting.
        let sail_default = revs
            .iter()
            .any(|r| r.name == "default" && r.family.is_sail());
        for &[name, target, via_istio] in raw_tags {
            let name = at(&TAG_POOL, name);
            if tags.iter().any(|t| t.name == name) || (name == "default" && sail_default) {
                continue;
            }
            tags.push(Tag {
                name: name.to_owned(),
                target: at(&targets, target),
                via_istio: via_istio % 2 == 1,
            });
        }
    }
    MeshDesc { revs, tags }
}

/// An `istio.io/rev` value: none, a revision, a tag, or a name nobody answers to.
fn name_ref(mesh: &MeshDesc, choice: u8, none: u8, pick: u8) -> Option<String> {
    let rev = |pick: u8| mesh.revs[usize::from(pick) % mesh.revs.len()].name.clone();
    match choice % (none + 6) {
        c if c < none => None,
        c if c < none + 3 => Some(rev(pick)),
        c if c < none + 5 => Some(if mesh.tags.is_empty() {
            rev(pick)
        } else {
            mesh.tags[usize::from(pick) % mesh.tags.len()].name.clone()
        }),
        _ => Some(UNKNOWN.to_owned()),
    }
}

fn build_ns(mesh: &MeshDesc, name: &str, raw: RawNs) -> Ns {
    let [
        present,
        name_label,
        injection,
        rev,
        rev_pick,
        member_of,
        member_pick,
        ignore,
        _,
    ] = raw;
    let maistra: Vec<&str> = mesh
        .revs
        .iter()
        .filter(|r| r.family.is_maistra())
        .map(|r| r.namespace.as_str())
        .collect();
    Ns {
        name: name.to_owned(),
        present: present % 12 != 11,
        name_label: name_label % 2 == 1,
        injection: match injection % 12 {
            8 => Some("enabled".into()),
            9 => Some("disabled".into()),
            10 => Some(
                if member_pick % 2 == 0 {
                    "Enabled"
                } else {
                    "true"
                }
                .into(),
            ),
            11 => Some(String::new()),
            _ => None,
        },
        rev: name_ref(mesh, rev, 7, rev_pick),
        member_of: match member_of % 8 {
            4..=6 if !maistra.is_empty() => Some(at(&maistra, member_pick).to_owned()),
            7 => Some("other-system".into()),
            _ => None,
        },
        ignore: match ignore % 8 {
            6 => Some("true".into()),
            7 => Some(String::new()),
            _ => None,
        },
    }
}

fn build_pod(mesh: &MeshDesc, i: usize, raw: RawPod) -> PodDesc {
    let [label, annotation, rev, rev_pick, app, host_network] = raw;
    let value = |byte: u8, none: u8, values: &[&str]| {
        let i = usize::from(byte % (none + values.len() as u8));
        i.checked_sub(usize::from(none))
            .map(|i| values[i].to_owned())
    };
    PodDesc {
        name: format!("p{i}"),
        inject_label: value(label, 6, &INJECT_LABELS),
        inject_annotation: value(annotation, 5, &INJECT_ANNOTATIONS),
        rev: name_ref(mesh, rev, 11, rev_pick),
        app: match app % 8 {
            5 | 6 => Some("web".into()),
            7 => Some("istiod".into()),
            _ => None,
        },
        host_network: host_network % 12 == 11,
    }
}

fn arb_case() -> impl Strategy<Value = Case> {
    use prop::collection::vec;
    (
        vec(any::<RawRev>(), 1..=4),
        vec(any::<RawTag>(), 0..=2),
        vec((any::<RawNs>(), vec(any::<RawPod>(), 1..=3)), 1..=3),
        any::<u64>(),
    )
        .prop_map(|(revs, tags, namespaces, seed)| {
            let mesh = build_mesh(&revs, &tags);
            let mut ns_names = pool(&NS_POOL);
            let namespaces = namespaces
                .into_iter()
                .map(|(raw_ns, raw_pods)| {
                    let name = take(&mut ns_names, raw_ns[8]);
                    let ns = build_ns(&mesh, name, raw_ns);
                    let pods = raw_pods
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| build_pod(&mesh, i, p))
                        .collect();
                    (ns, pods)
                })
                .collect();
            Case {
                mesh,
                namespaces,
                seed,
            }
        })
}

// ------------------------------------------------------------ minimal printing

impl fmt::Debug for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?}", self.name, self.family)?;
        if self.object != self.name {
            write!(f, " of Istio {}", self.object)?;
        }
        write!(
            f,
            ", ns {}, policy {}",
            self.namespace,
            self.policy.as_str()
        )?;
        if self.auto {
            f.write_str(", enableNamespacesByDefault")?;
        }
        if self.tech_preview {
            f.write_str(", techPreview objectSelector")?;
        }
        write!(f, ", representation bits {:#04x})", self.bits)
    }
}

fn show_opt(f: &mut fmt::Formatter<'_>, key: &str, v: &Option<String>) -> fmt::Result {
    match v {
        Some(v) => write!(f, " {key}={v:?}"),
        None => Ok(()),
    }
}

impl fmt::Debug for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "namespace {}", self.name)?;
        if !self.present {
            return f.write_str(" (absent from the snapshot)");
        }
        show_opt(f, "istio-injection", &self.injection)?;
        show_opt(f, "istio.io/rev", &self.rev)?;
        show_opt(f, "maistra.io/member-of", &self.member_of)?;
        show_opt(f, "maistra.io/ignore-namespace", &self.ignore)
    }
}

impl fmt::Debug for PodDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pod {}", self.name)?;
        show_opt(f, "label sidecar.istio.io/inject", &self.inject_label)?;
        show_opt(
            f,
            "annotation sidecar.istio.io/inject",
            &self.inject_annotation,
        )?;
        show_opt(f, "label istio.io/rev", &self.rev)?;
        show_opt(f, "label app", &self.app)?;
        if self.host_network {
            f.write_str(" hostNetwork")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MeshDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.revs {
            writeln!(f, "  revision {r:?}")?;
        }
        for t in &self.tags {
            writeln!(
                f,
                "  tag {} -> {}{}",
                t.name,
                self.revs[t.target].name,
                if t.via_istio { " (via Istio)" } else { "" }
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n{:?}", self.mesh)?;
        for (ns, pods) in &self.namespaces {
            writeln!(f, "  {ns:?}")?;
            for p in pods {
                writeln!(f, "    {p:?}")?;
            }
        }
        write!(f, "  (shuffle seed {})", self.seed)
    }
}

// ---------------------------------------------------------------- properties

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // The test file is the only thing this suite may write to; keep no
        // regression files next to it.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A deterministic permutation (splitmix64 driving Fisher-Yates).
fn shuffled<T>(mut v: Vec<T>, mut seed: u64) -> Vec<T> {
    let mut next = || {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..v.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// meshrev agrees with the closed form on every namespace and pod.
fn check_closed_form(case: &Case, mesh: &Mesh) -> Result<(), TestCaseError> {
    for (ns, pods) in &case.namespaces {
        let view = NsView::of(ns);
        let got = mesh.resolve_namespace(&ns.name);
        let want = expected(&case.mesh, &view, None);
        prop_assert!(
            observed(&got).agrees(&want),
            "[closed form] {:?}: meshrev says {} ({:?}); the closed form says {:?}",
            ns,
            got,
            observed(&got),
            want
        );
        for p in pods {
            let Some(pod) = mesh.snapshot().pod(&ns.name, &p.name) else {
                return Err(TestCaseError::fail(format!("pod {} missing", p.name)));
            };
            let got = mesh.resolve_pod(pod);
            let want = expected(&case.mesh, &view, Some(p));
            prop_assert!(
                observed(&got).agrees(&want),
                "[closed form] {:?} / {:?}: meshrev says {} ({:?}); the closed form says {:?}",
                ns,
                p,
                got,
                observed(&got),
                want
            );
        }
    }
    Ok(())
}

/// A namespace resolves to exactly the webhook match of a label-less pod created
/// in it: the same receiver through the same webhook, or the same reason for none.
fn check_namespace_is_label_less_pod(case: &Case, mesh: &Mesh) -> Result<(), TestCaseError> {
    for (ns, _) in &case.namespaces {
        let Some(bare) = mesh.snapshot().pod(&ns.name, "bare") else {
            return Err(TestCaseError::fail(format!(
                "pod bare missing in {}",
                ns.name
            )));
        };
        let of_ns = mesh.resolve_namespace(&ns.name);
        let of_pod = mesh.resolve_pod(bare);
        let same = match (&of_ns, &of_pod) {
            (
                Resolution::Injected {
                    revision,
                    via,
                    webhook,
                    decision: None,
                    ..
                },
                Resolution::Injected {
                    revision: r2,
                    via: v2,
                    webhook: w2,
                    decision: Some(_),
                    ..
                },
            ) => (revision, via, webhook) == (r2, v2, w2),
            (
                Resolution::Injected {
                    revision,
                    webhook,
                    decision: None,
                    ..
                },
                Resolution::NotInjected {
                    reason:
                        NotInjected::Refused {
                            revision: r2,
                            webhook: w2,
                            ..
                        },
                    ..
                },
            ) => (revision, webhook) == (r2, w2),
            (
                Resolution::NotInjected {
                    reason: NotInjected::NoWebhook { why },
                    ..
                },
                Resolution::NotInjected {
                    reason: NotInjected::NoWebhook { why: w2 },
                    ..
                },
            ) => why == w2,
            (
                Resolution::Rejected {
                    webhook, service, ..
                },
                Resolution::Rejected {
                    webhook: w2,
                    service: s2,
                    ..
                },
            ) => (webhook, service) == (w2, s2),
            // Several revisions' webhooks receive it; their istiods decide for the pod.
            (Resolution::Conflict { candidates }, pod) => {
                let received: BTreeSet<&str> =
                    candidates.iter().map(|c| c.revision.as_str()).collect();
                match pod {
                    Resolution::Conflict { candidates: c2 } => {
                        c2.iter().all(|c| received.contains(c.revision.as_str()))
                    }
                    Resolution::Injected { revision, .. }
                    | Resolution::NotInjected {
                        reason: NotInjected::Refused { revision, .. },
                        ..
                    } => received.contains(revision.as_str()),
                    _ => false,
                }
            }
            _ => false,
        };
        prop_assert!(
            same,
            "[namespace = label-less pod] {:?}: the namespace resolves to `{}` but a label-less pod to `{}`",
            ns,
            of_ns,
            of_pod
        );
        // And the closed form says the same of both.
        let view = NsView::of(ns);
        let bare_desc = PodDesc {
            name: "bare".into(),
            inject_label: None,
            inject_annotation: None,
            rev: None,
            app: None,
            host_network: false,
        };
        prop_assert_eq!(
            receivers(&case.mesh, &view, None),
            receivers(&case.mesh, &view, Some(&bare_desc)),
            "[namespace = label-less pod] {:?}",
            ns
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(10_000))]

    /// The closed form, and namespace = label-less pod, on one build per case
    /// (building the mesh is most of the cost).
    #[test]
    fn agrees_with_closed_form(case in arb_case()) {
        let mesh = mesh_of(documents(&case));
        check_closed_form(&case, &mesh)?;
        check_namespace_is_label_less_pod(&case, &mesh)?;
    }
}

proptest! {
    #![proptest_config(config(INVARIANCE_CASES))]

    /// The order of the input documents changes nothing: not the resolutions,
    /// their reasons, the warnings, nor the status.
    #[test]
    fn invariant_under_document_order(case in arb_case()) {
        let docs = documents(&case);
        let a = mesh_of(docs.clone());
        let b = mesh_of(shuffled(docs, case.seed));
        prop_assert_eq!(a.warnings(), b.warnings());
        for (ns, _) in &case.namespaces {
            prop_assert_eq!(a.resolve_namespace(&ns.name), b.resolve_namespace(&ns.name));
        }
        for pod in a.snapshot().pods() {
            let Some(other) = b.snapshot().pod(pod.namespace(), &pod.meta.name) else {
                return Err(TestCaseError::fail(format!("pod {} lost", pod.meta.name)));
            };
            prop_assert_eq!(a.resolve_pod(pod), b.resolve_pod(other));
        }
        prop_assert_eq!(Status::of(&a), Status::of(&b));
    }
}

/// Each case builds two meshes and two statuses.
const INVARIANCE_CASES: u32 = 10_000;

/// An SMCP named `default` whose profile set `autoInject: true`, visible only in
/// the config map the operator rendered: meshrev reads
/// `istio-sidecar-injector-default` (maistra chart `istiod-injector-configmap.yaml`),
/// not the upstream `istio-sidecar-injector`. Found by the closed-form property.
#[test]
fn maistra_default_reads_its_suffixed_injector_config_map() {
    let rev = Rev {
        name: "default".into(),
        object: "default".into(),
        family: Family::MaistraClusterWide,
        namespace: "istio-system".into(),
        policy: Policy::Enabled,
        auto: false,
        tech_preview: false,
        bits: 0,
    };
    let docs = vec![
        json!({"apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
               "metadata": {"name": "default", "namespace": "istio-system"},
               "spec": {"version": "v2.6", "mode": "ClusterWide", "profiles": ["autoinject"]}}),
        injector_config_map("istio-sidecar-injector-default", "istio-system", &rev),
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "web", "labels": {"maistra.io/member-of": "istio-system"}}}),
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "p0", "namespace": "web"},
               "spec": {"containers": [{"name": "app"}]}}),
    ];
    let mesh = mesh_of(docs);
    let pod = mesh.snapshot().pod("web", "p0").expect("pod");
    // Policy `enabled` (from the config map): the pod need not opt in.
    assert_eq!(mesh.resolve_pod(pod).revision(), Some("default"));
}
