//! Findings: one test per code on small inline snapshots (the shape `kubectl get
//! -o yaml` prints, trimmed to what injection reads), negatives next to each
//! positive, then every fixture under `fixtures/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use meshrev::analyze::{Code, Finding, Severity, analyze, analyze_with_status};
use meshrev::{Mesh, Snapshot, Status};

mod common;

// ------------------------------------------------------------------ helpers

fn mesh(yaml: &str) -> Mesh {
    Mesh::new(Snapshot::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}")))
}

fn run(yaml: &str) -> Vec<Finding> {
    analyze(&mesh(yaml))
}

fn with_code(findings: &[Finding], code: Code) -> Vec<&Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

/// Objects (as `Kind ns/name`) that carry `code`.
fn objects(findings: &[Finding], code: Code) -> BTreeSet<String> {
    with_code(findings, code)
        .into_iter()
        .map(|f| f.object.to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The one finding of `code` on `object`, whose message contains every word.
#[track_caller]
fn expect<'a>(findings: &'a [Finding], code: Code, object: &str, words: &[&str]) -> &'a Finding {
    let hits: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code == code && f.object.to_string() == object)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one {code} on {object}, got {}:\n{}",
        hits.len(),
        dump(findings)
    );
    let f = hits[0];
    for w in words {
        assert!(
            f.message.contains(w),
            "{code} on {object}: message lacks {w:?}:\n{}",
            f.message
        );
    }
    assert_eq!(f.severity, code.severity());
    f
}

#[track_caller]
fn expect_none(findings: &[Finding], code: Code) {
    let hits = with_code(findings, code);
    assert!(
        hits.is_empty(),
        "expected no {code}, got:\n{}",
        dump(findings)
    );
}

fn dump(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {f}"))
        .collect::<Vec<_>>()
        .join("\n")
}

const ISTIOS: &str = r#"
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {name: stable}
spec: {version: v1.24.3, namespace: istio-system}
---
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {name: canary}
spec: {version: v1.25.0, namespace: istio-system}
"#;

const DEFAULT_TAG: &str = r#"
---
apiVersion: sailoperator.io/v1
kind: IstioRevisionTag
metadata: {name: default}
spec:
  targetRef: {kind: Istio, name: stable}
"#;

fn namespace(name: &str, labels: &str) -> String {
    format!(
        r#"
---
apiVersion: v1
kind: Namespace
metadata:
  name: {name}
  labels: {{kubernetes.io/metadata.name: {name}{labels}}}
"#
    )
}

/// A bare istiod Deployment of revision `rev` in istio-system (no `---` around it).
fn istiod(rev: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod-{rev}
  namespace: istio-system
  labels: {{app: istiod, istio.io/rev: {rev}}}
spec:
  template:
    metadata: {{labels: {{app: istiod}}}}
    spec: {{containers: [{{name: discovery}}]}}
"#
    )
}

/// The proxy version a pod injected by the revision its annotations name runs:
/// the version of that revision in [`ISTIOS`] (canary 1.25.0, else 1.24.3), so
/// that no pod has an outdated proxy unless a test says so.
fn proxy_tag(annotations: &str) -> &'static str {
    if annotations.contains("istio.io/rev: canary") {
        "1.25.0"
    } else {
        "1.24.3"
    }
}

/// A Deployment, its ReplicaSet and one pod. `labels` is added to the pod
/// template's (and pod's) labels (start it with `, `); `annotations` are the
/// pod's; `proxy` adds an `istio-proxy` container to the pod.
fn deployment(ns: &str, name: &str, labels: &str, annotations: &str, proxy: bool) -> String {
    let proxy = if proxy {
        format!(
            ", {{name: istio-proxy, image: 'registry.redhat.io/openshift-service-mesh/proxyv2-rhel9:{}'}}",
            proxy_tag(annotations)
        )
    } else {
        String::new()
    };
    format!(
        r#"
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}, labels: {{app: {name}}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}{labels}}}
    spec:
      containers: [{{name: {name}, image: 'quay.io/example/{name}:1.0'}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: {name}-5d9c8b7f6
  namespace: {ns}
  labels: {{app: {name}, pod-template-hash: 5d9c8b7f6}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: 0e1c0a52-{name}, controller: true, blockOwnerDeletion: true}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}, pod-template-hash: 5d9c8b7f6}}}}
  template:
    metadata:
      labels: {{app: {name}, pod-template-hash: 5d9c8b7f6{labels}}}
    spec:
      containers: [{{name: {name}, image: 'quay.io/example/{name}:1.0'}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}-5d9c8b7f6-x2k9q
  namespace: {ns}
  labels: {{app: {name}, pod-template-hash: 5d9c8b7f6{labels}}}
  annotations: {{{annotations}}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: ReplicaSet, name: {name}-5d9c8b7f6, uid: 7a3e-{name}, controller: true, blockOwnerDeletion: true}}
spec:
  containers: [{{name: {name}, image: 'quay.io/example/{name}:1.0'}}{proxy}]
status: {{phase: Running}}
"#
    )
}

/// A pod no workload owns.
fn bare_pod(ns: &str, name: &str, labels: &str, annotations: &str, proxy: bool) -> String {
    let proxy = if proxy {
        format!(
            ", {{name: istio-proxy, image: 'docker.io/istio/proxyv2:{}'}}",
            proxy_tag(annotations)
        )
    } else {
        String::new()
    };
    format!(
        r#"
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
  labels: {{run: {name}{labels}}}
  annotations: {{{annotations}}}
spec:
  containers: [{{name: {name}, image: 'registry.access.redhat.com/ubi9/ubi:latest'}}{proxy}]
status: {{phase: Running}}
"#
    )
}

// --------------------------------------------------------------- the codes

#[test]
fn code_table_is_stable_and_complete() {
    let mut slugs = BTreeSet::new();
    for (i, code) in Code::ALL.into_iter().enumerate() {
        assert_eq!(code.id(), format!("MR{:04}", i + 1), "{code:?}");
        assert!(slugs.insert(code.slug()), "duplicate slug {}", code.slug());
        assert!(
            code.slug()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !code.slug().starts_with('-')
                && !code.slug().ends_with('-'),
            "slug {} is not kebab-case",
            code.slug()
        );
        assert_eq!(code.to_string(), format!("{} {}", code.id(), code.slug()));
        assert_eq!(code.id().parse::<Code>(), Ok(code));
        assert_eq!(code.id().to_lowercase().parse::<Code>(), Ok(code));
        assert_eq!(code.slug().parse::<Code>(), Ok(code));
        assert!(
            code.explain().contains("Source:"),
            "{code}: explain names no source"
        );
        assert!(!code.summary().is_empty());
    }
    assert!("MR9999".parse::<Code>().is_err());
    // The ids the briefs and fixtures refer to.
    assert_eq!(Code::BothInjectionLabels.id(), "MR0001");
    assert_eq!(
        Code::DanglingRevisionLabel.slug(),
        "dangling-revision-label"
    );
    assert_eq!(Code::RevisionPrunable.severity(), Severity::Info);
    assert_eq!(Code::DoubleInjection.severity(), Severity::Error);
}

#[test]
fn findings_serialize_with_id_slug_and_object() {
    let findings = run(&format!(
        "{ISTIOS}{DEFAULT_TAG}{}",
        namespace("shop", ", istio-injection: enabled, istio.io/rev: canary")
    ));
    let f = expect(&findings, Code::BothInjectionLabels, "Namespace shop", &[]);
    let json = serde_json::to_value(f).expect("serializes");
    assert_eq!(json["code"], "MR0001");
    assert_eq!(json["slug"], "both-injection-labels");
    assert_eq!(json["severity"], "warning");
    assert_eq!(json["object"]["kind"], "Namespace");
    assert_eq!(json["object"]["name"], "shop");
    assert_eq!(json["message"], f.message.as_str());
    assert!(
        f.to_string()
            .starts_with("warning[MR0001 both-injection-labels] Namespace shop: ")
    );
}

#[test]
fn a_clean_mesh_has_no_findings() {
    let yaml = format!(
        "{ISTIOS}{DEFAULT_TAG}{}{}{}{}{}{}",
        namespace("web", ", istio.io/rev: canary"),
        namespace("shop", ", istio-injection: enabled"),
        namespace("plain", ""),
        deployment("web", "frontend", "", "istio.io/rev: canary", true),
        deployment("shop", "cart", "", "istio.io/rev: stable", true),
        deployment("plain", "batch", "", "", false),
    );
    let findings = run(&yaml);
    assert!(findings.is_empty(), "unexpected:\n{}", dump(&findings));
}

#[test]
fn mr0001_both_injection_labels() {
    let yaml = format!(
        "{ISTIOS}{DEFAULT_TAG}{}{}{}",
        namespace("shop", ", istio-injection: enabled, istio.io/rev: canary"),
        namespace(
            "ledger",
            ", istio-injection: disabled, istio.io/rev: canary"
        ),
        namespace("canary-only", ", istio.io/rev: canary"),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::BothInjectionLabels,
        "Namespace shop",
        &[
            "istio-injection=enabled",
            "istio.io/rev=canary",
            "istio-injection wins",
            "ignored",
            "`default` tag (-> revision stable)",
            "kubectl label namespace shop istio-injection-",
            "kubectl label namespace shop istio.io/rev-",
        ],
    );
    expect(
        &findings,
        Code::BothInjectionLabels,
        "Namespace ledger",
        &[
            "istio-injection=disabled",
            "nobody injects",
            "never pruned",
            "kubectl label namespace ledger istio.io/rev-",
        ],
    );
    assert_eq!(
        objects(&findings, Code::BothInjectionLabels).len(),
        2,
        "canary-only has one label"
    );
}

#[test]
fn mr0002_dangling_namespace_label() {
    let yaml = format!(
        r#"{ISTIOS}
---
apiVersion: sailoperator.io/v1
kind: IstioRevisionTag
metadata: {{name: prod-stable}}
spec:
  targetRef: {{kind: Istio, name: stable}}
{}{}{}{}"#,
        namespace("orders", ", istio.io/rev: 1-22-0"),
        namespace("legacy", ", istio.io/rev: default"),
        namespace("payments", ", istio.io/rev: prod-stable"),
        deployment("orders", "checkout", "", "", false),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::DanglingRevisionLabel,
        "Namespace orders",
        &[
            "istio.io/rev=1-22-0",
            "names no revision or tag",
            "without a sidecar",
            "kubectl label namespace orders istio.io/rev=",
            "canary, prod-stable, stable",
        ],
    );
    expect(
        &findings,
        Code::DanglingRevisionLabel,
        "Namespace legacy",
        &["istio.io/rev=default", "no `default` tag"],
    );
    // The tag leads somewhere, and the checkout template has no label of its own.
    assert_eq!(
        objects(&findings, Code::DanglingRevisionLabel),
        set(&["Namespace legacy", "Namespace orders"])
    );
}

#[test]
fn a_revision_whose_own_webhooks_are_missing_gets_them_synthesized() {
    // Only the tag's configuration is in the snapshot: the revision's own `rev.*`
    // webhooks are synthesized by the chart rules, so istio.io/rev=1-24-0 is not
    // dangling, and the tag still works.
    let yaml = format!(
        r#"{}---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-revision-tag-prod
  labels: {{app: sidecar-injector, istio.io/rev: 1-24-0, istio.io/tag: prod}}
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  admissionReviewVersions: [v1]
  clientConfig:
    service: {{name: istiod-1-24-0, namespace: istio-system, path: /inject}}
  namespaceSelector:
    matchExpressions:
    - {{key: istio.io/rev, operator: In, values: [prod]}}
    - {{key: istio-injection, operator: DoesNotExist}}
  sideEffects: None
{}{}"#,
        istiod("1-24-0"),
        namespace("direct", ", istio.io/rev: 1-24-0"),
        namespace("tagged", ", istio.io/rev: prod"),
    );
    let findings = run(&yaml);
    assert!(
        objects(&findings, Code::DanglingRevisionLabel).is_empty(),
        "{findings:?}"
    );
    let mesh = Mesh::new(Snapshot::from_yaml(&yaml).expect("parses"));
    assert_eq!(mesh.resolve_namespace("direct").revision(), Some("1-24-0"));
    assert_eq!(mesh.resolve_namespace("tagged").revision(), Some("1-24-0"));
}

#[test]
fn mr0002_dangling_pod_label_in_an_unlabelled_namespace() {
    let yaml = format!(
        "{ISTIOS}{}{}{}{}",
        namespace("sandbox", ""),
        deployment("sandbox", "by-rev", ", istio.io/rev: 1-23-0", "", false),
        deployment(
            "sandbox",
            "fine",
            ", istio.io/rev: canary",
            "istio.io/rev: canary",
            true
        ),
        bare_pod("sandbox", "debug", ", istio.io/rev: nope", "", false),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::DanglingRevisionLabel,
        "Deployment sandbox/by-rev",
        &[
            "Pod template label istio.io/rev=1-23-0",
            "names no revision or tag",
        ],
    );
    expect(
        &findings,
        Code::DanglingRevisionLabel,
        "Pod sandbox/debug",
        &["Pod label istio.io/rev=nope"],
    );
    // Reported on the template, not again on the pods it made.
    assert_eq!(objects(&findings, Code::DanglingRevisionLabel).len(), 2);
}

#[test]
fn mr0002_revision_label_naming_a_maistra_control_plane() {
    let yaml = format!(
        r#"
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: {{name: basic, namespace: istio-system}}
spec: {{version: v2.6, mode: MultiTenant}}
---
apiVersion: maistra.io/v1
kind: ServiceMeshMemberRoll
metadata: {{name: default, namespace: istio-system}}
spec: {{members: [bookinfo]}}
{}{}"#,
        namespace("shop", ", istio.io/rev: basic"),
        namespace(
            "bookinfo",
            ", maistra.io/member-of: istio-system, istio.io/rev: basic"
        ),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::DanglingRevisionLabel,
        "Namespace shop",
        &["Maistra", "maistra.io/member-of", "ignores istio.io/rev"],
    );
    // bookinfo is injected by basic through membership: its label is harmless.
    assert_eq!(objects(&findings, Code::DanglingRevisionLabel).len(), 1);
}

/// Tag `canary` -> stable next to the Istio `canary`'s revision: the Sail operator
/// installs only the older object and refuses the other (sail-operator
/// `istiorevisiontag_controller.go` `validate` -> NameAlreadyExists,
/// `pkg/validation/validation.go` `ResourceTakesPrecedence`). Upstream helm tags,
/// which nothing refuses, are injected twice: `edge-cases/tag-named-like-revision.yaml`
/// and its golden files cover MR0003, MR0004 and MR0009 there.
#[test]
fn mr0021_sail_tag_named_like_a_revision_is_refused_not_installed_twice() {
    let yaml = |tag_created: &str| {
        format!(
            r#"{ISTIOS}
---
apiVersion: sailoperator.io/v1
kind: IstioRevisionTag
metadata: {{name: canary, creationTimestamp: '{tag_created}'}}
spec:
  targetRef: {{kind: Istio, name: stable}}
{}{}{}{}"#,
            namespace("payments", ", istio.io/rev: canary"),
            namespace("web", ", istio.io/rev: stable"),
            deployment("payments", "api", "", "istio.io/rev: canary", true),
            deployment("web", "frontend", "", "istio.io/rev: stable", true),
        )
    };
    // The Istios carry no creationTimestamp here: the revision is kept, the tag refused.
    let findings = run(&yaml("2025-03-08T09:00:00Z"));
    expect_none(&findings, Code::DoubleInjection);
    expect_none(&findings, Code::TagShadowsRevision);
    expect(
        &findings,
        Code::RevisionNameClash,
        "IstioRevisionTag canary",
        &["has the name of revision canary", "NameAlreadyExists"],
    );
    let mesh = Mesh::new(Snapshot::from_yaml(&yaml("2025-03-08T09:00:00Z")).unwrap());
    assert_eq!(
        mesh.resolve_namespace("payments").revision(),
        Some("canary")
    );
    assert!(mesh.tag("canary").is_none());
}

/// Revision 1-24-0 and two configurations with the same `namespace.` webhook, for
/// `istio-injection=enabled`: the revision-less install's (to Service `istiod`) and
/// the `default` tag's (to `istiod-1-24-0`).
fn two_default_webhooks() -> String {
    let namespace_webhook = |mwc: &str, labels: &str, service: &str| {
        format!(
            r#"
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {mwc}
  labels: {{app: sidecar-injector, {labels}}}
webhooks:
- name: namespace.sidecar-injector.istio.io
  admissionReviewVersions: [v1]
  clientConfig:
    service: {{name: {service}, namespace: istio-system, path: /inject, port: 443}}
  namespaceSelector:
    matchExpressions:
    - {{key: istio-injection, operator: In, values: [enabled]}}
  objectSelector:
    matchExpressions:
    - {{key: sidecar.istio.io/inject, operator: NotIn, values: ["false"]}}
  sideEffects: None
"#
        )
    };
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod-1-24-0
  namespace: istio-system
  labels: {{app: istiod, istio.io/rev: 1-24-0}}
spec:
  selector: {{matchLabels: {{app: istiod, istio.io/rev: 1-24-0}}}}
  template:
    metadata:
      labels: {{app: istiod, istio.io/rev: 1-24-0, sidecar.istio.io/inject: "false"}}
    spec:
      containers: [{{name: discovery, image: 'docker.io/istio/pilot:1.24.0'}}]
---
# The old default istiod is still installed (without it, its webhooks would reject
# every pod they match: MR0028).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod
  namespace: istio-system
  labels: {{app: istiod, istio.io/rev: default}}
spec:
  selector: {{matchLabels: {{app: istiod, istio.io/rev: default}}}}
  template:
    metadata:
      labels: {{app: istiod, istio.io/rev: default, sidecar.istio.io/inject: "false"}}
    spec:
      containers: [{{name: discovery, image: 'docker.io/istio/pilot:1.22.3'}}]
---{}---{}"#,
        namespace_webhook("istio-sidecar-injector", "istio.io/rev: default", "istiod"),
        namespace_webhook(
            "istio-revision-tag-default",
            "istio.io/rev: 1-24-0, istio.io/tag: default",
            "istiod-1-24-0"
        ),
    )
}

#[test]
fn mr0004_webhook_overlap_is_reported_before_any_namespace_uses_it() {
    let findings = run(&two_default_webhooks());
    expect(
        &findings,
        Code::WebhookOverlap,
        "MutatingWebhookConfiguration istio-revision-tag-default",
        &[
            "istio-revision-tag-default/namespace.sidecar-injector.istio.io",
            "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
            "istio-injection=enabled",
            "1-24-0 and default",
            "istioctl tag set default --revision 1-24-0",
        ],
    );
    expect_none(&findings, Code::DoubleInjection);

    // Once a namespace carries the labels, it is double injection.
    let findings = run(&format!(
        "{}{}{}",
        two_default_webhooks(),
        namespace("shop", ", istio-injection: enabled"),
        namespace("quiet", "")
    ));
    expect(
        &findings,
        Code::DoubleInjection,
        "Namespace shop",
        &["1-24-0", "default", "namespace.sidecar-injector.istio.io"],
    );
    assert_eq!(objects(&findings, Code::DoubleInjection).len(), 1);
}

#[test]
fn mr0005_needs_restart() {
    let yaml = format!(
        "{ISTIOS}{DEFAULT_TAG}{}{}{}{}{}",
        namespace("mercury", ", istio.io/rev: canary"),
        namespace("ledger", ""),
        deployment("mercury", "web", "", "istio.io/rev: stable", true),
        deployment("mercury", "api", "", "istio.io/rev: canary", true),
        deployment("ledger", "books", "", "istio.io/rev: stable", true),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::NeedsRestart,
        "Deployment mercury/web",
        &[
            "sidecar of stable",
            "revision canary",
            "moves it to canary",
            "`kubectl rollout restart deployment/web -n mercury`",
        ],
    );
    expect(
        &findings,
        Code::NeedsRestart,
        "Deployment ledger/books",
        &[
            "sidecar of stable",
            "removes its sidecar",
            "relabel the namespace",
        ],
    );
    // mercury/api already runs canary.
    assert_eq!(objects(&findings, Code::NeedsRestart).len(), 2);
}

#[test]
fn mr0006_pod_revision_label_ignored() {
    let yaml = format!(
        "{ISTIOS}{DEFAULT_TAG}{}{}{}{}{}{}",
        namespace("payments", ", istio.io/rev: stable"),
        namespace("frontend", ", istio-injection: enabled"),
        deployment(
            "payments",
            "pinned",
            ", istio.io/rev: canary",
            "istio.io/rev: stable",
            true
        ),
        deployment(
            "payments",
            "same",
            ", istio.io/rev: stable",
            "istio.io/rev: stable",
            true
        ),
        deployment(
            "payments",
            "by-tag",
            ", istio.io/rev: default",
            "istio.io/rev: stable",
            true
        ),
        bare_pod(
            "frontend",
            "debug",
            ", istio.io/rev: canary",
            "istio.io/rev: stable",
            true
        ),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::PodRevisionLabelIgnored,
        "Deployment payments/pinned",
        &[
            "Pod template label istio.io/rev=canary",
            "namespace payments has istio.io/rev=stable",
            "revision stable",
            "kubectl patch deployment pinned -n payments",
            "kubectl label namespace payments istio.io/rev=canary --overwrite",
        ],
    );
    expect(
        &findings,
        Code::PodRevisionLabelIgnored,
        "Pod frontend/debug",
        &[
            "Pod label istio.io/rev=canary",
            "istio-injection=enabled",
            "kubectl label pod debug -n frontend istio.io/rev-",
            "kubectl label namespace frontend istio-injection- istio.io/rev=canary",
        ],
    );
    // `same` agrees with its namespace, `by-tag` leads to the same revision, and
    // pods of a workload are reported through their template.
    assert_eq!(objects(&findings, Code::PodRevisionLabelIgnored).len(), 2);
}

#[test]
fn mr0007_running_revision_gone() {
    let yaml = format!(
        "{ISTIOS}{}{}{}",
        namespace("orders", ", istio.io/rev: stable"),
        deployment("orders", "cart", "", "istio.io/rev: 1-22-0", true),
        // A finished pod runs nothing.
        r#"
---
apiVersion: v1
kind: Pod
metadata:
  name: migrate-db
  namespace: orders
  annotations: {istio.io/rev: 1-22-0}
spec:
  containers: [{name: migrate}, {name: istio-proxy}]
status: {phase: Succeeded}
"#,
    );
    let findings = run(&yaml);
    let gone = expect(
        &findings,
        Code::RunningRevisionGone,
        "Deployment orders/cart",
        &[
            "revision 1-22-0",
            "cart-5d9c8b7f6-x2k9q",
            "no control plane",
            "moves it to stable",
            "kubectl rollout restart deployment/cart -n orders",
        ],
    );
    assert_eq!(objects(&findings, Code::RunningRevisionGone).len(), 1);
    // The data: the gone revision and the live pods that still run it.
    assert_eq!(gone.revisions, ["1-22-0"]);
    assert_eq!(
        gone.objects
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["Pod orders/cart-5d9c8b7f6-x2k9q"]
    );
    expect(
        &findings,
        Code::NeedsRestart,
        "Deployment orders/cart",
        &["1-22-0"],
    );
}

#[test]
fn mr0008_outside_discovery_selectors() {
    let yaml = format!(
        r#"
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {{name: ossm3}}
spec:
  version: v1.24.3
  namespace: istio-system
  values:
    meshConfig:
      discoverySelectors:
      - matchLabels: {{istio-discovery: enabled}}
{}{}{}{}"#,
        namespace("mercury", ", istio.io/rev: ossm3"),
        namespace("venus", ", istio.io/rev: ossm3, istio-discovery: enabled"),
        namespace("earth", ""),
        deployment(
            "earth",
            "probe",
            ", istio.io/rev: ossm3",
            "istio.io/rev: ossm3",
            true
        ),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::OutsideDiscoverySelectors,
        "Namespace mercury",
        &[
            "revision ossm3 injects namespace mercury",
            "istio-discovery=enabled",
            "istiod-ossm3",
            "kubectl label namespace mercury istio-discovery=enabled",
        ],
    );
    // Injection by a pod label counts too; venus is selected.
    expect(
        &findings,
        Code::OutsideDiscoverySelectors,
        "Namespace earth",
        &["Deployment probe"],
    );
    assert_eq!(objects(&findings, Code::OutsideDiscoverySelectors).len(), 2);
}

const OSSM2_AND_3: &str = r#"
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: {name: basic, namespace: istio-system}
spec: {version: v2.6, mode: MultiTenant}
---
apiVersion: maistra.io/v1
kind: ServiceMeshMemberRoll
metadata: {name: default, namespace: istio-system}
spec:
  members: [mercury, venus, earth, jupiter]
---
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {name: ossm3}
spec: {version: v1.24.3, namespace: istio-system}
"#;

#[test]
fn mr0010_maistra_member_labelled_for_ossm3_without_ignore() {
    let yaml = format!(
        "{OSSM2_AND_3}{}{}{}",
        namespace(
            "mercury",
            ", maistra.io/member-of: istio-system, istio.io/rev: ossm3"
        ),
        namespace(
            "venus",
            ", maistra.io/member-of: istio-system, maistra.io/ignore-namespace: 'true', istio.io/rev: ossm3"
        ),
        namespace("earth", ", maistra.io/member-of: istio-system"),
    );
    let findings = run(&yaml);
    let f = expect(
        &findings,
        Code::MaistraMemberWithoutIgnore,
        "Namespace mercury",
        &[
            "basic",
            "istio.io/rev=ossm3",
            "OSSM 3 revision ossm3",
            "both control planes",
            "kubectl label namespace mercury maistra.io/ignore-namespace=\"true\"",
            "kubectl rollout restart deployment -n mercury",
        ],
    );
    assert_eq!(f.severity, Severity::Error);
    // venus followed the migration guide; earth stays on OSSM 2.
    assert_eq!(
        objects(&findings, Code::MaistraMemberWithoutIgnore).len(),
        1
    );
    // Both webhooks match mercury.
    expect(
        &findings,
        Code::DoubleInjection,
        "Namespace mercury",
        &["basic", "ossm3", "leaves it to ossm3"],
    );
}

#[test]
fn mr0011_maistra_membership_stale() {
    let yaml = format!(
        "{OSSM2_AND_3}{}{}{}",
        namespace("mercury", ", maistra.io/member-of: istio-system"),
        namespace("mars", ", maistra.io/member-of: istio-system"),
        namespace("jupiter", ", istio.io/rev: ossm3"),
    ) + &namespace("istio-system", ", maistra.io/member-of: istio-system");
    let findings = run(&yaml);
    expect(
        &findings,
        Code::MaistraMembershipStale,
        "Namespace mars",
        &[
            "maistra.io/member-of=istio-system",
            "neither the member roll default in istio-system",
            "not removed the label yet",
        ],
    );
    expect(
        &findings,
        Code::MaistraMembershipStale,
        "Namespace jupiter",
        &[
            "includes namespace jupiter",
            "no maistra.io/member-of label",
        ],
    );
    // The roll includes jupiter, which asks for ossm3 without the ignore label.
    expect(
        &findings,
        Code::MaistraMemberWithoutIgnore,
        "Namespace jupiter",
        &["in its member roll"],
    );
    // The operator labels the control plane's own namespace too: not stale.
    assert_eq!(objects(&findings, Code::MaistraMembershipStale).len(), 2);
}

#[test]
fn mr0012_revision_prunable() {
    let yaml = format!(
        r#"
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {{name: default}}
spec:
  version: v1.25.0
  namespace: istio-system
  updateStrategy: {{type: RevisionBased}}
status: {{activeRevisionName: default-v1-25-0}}
---
apiVersion: sailoperator.io/v1
kind: IstioRevision
metadata:
  name: default-v1-25-0
  ownerReferences: [{{apiVersion: sailoperator.io/v1, kind: Istio, name: default, controller: true}}]
spec: {{version: v1.25.0, namespace: istio-system}}
---
apiVersion: sailoperator.io/v1
kind: IstioRevision
metadata:
  name: default-v1-24-3
  ownerReferences: [{{apiVersion: sailoperator.io/v1, kind: Istio, name: default, controller: true}}]
spec: {{version: v1.24.3, namespace: istio-system}}
---
apiVersion: sailoperator.io/v1
kind: IstioRevision
metadata:
  name: default-v1-24-2
  ownerReferences: [{{apiVersion: sailoperator.io/v1, kind: Istio, name: default, controller: true}}]
spec: {{version: v1.24.2, namespace: istio-system}}
{}{}{}"#,
        namespace("bookinfo", ", istio.io/rev: default-v1-25-0"),
        namespace("legacy", ""),
        deployment(
            "legacy",
            "ratings",
            "",
            "istio.io/rev: default-v1-24-3",
            true
        ),
    );
    let findings = run(&yaml);
    let f = expect(
        &findings,
        Code::RevisionPrunable,
        "IstioRevision default-v1-24-2",
        &[
            "used by nothing",
            "safe to remove",
            "kubectl delete istiorevision default-v1-24-2",
        ],
    );
    assert_eq!(f.severity, Severity::Info);
    // The active revision and one a pod still runs are kept.
    assert_eq!(objects(&findings, Code::RevisionPrunable).len(), 1);
}

#[test]
fn mr0013_to_mr0015_injection_records() {
    let yaml = format!(
        "{ISTIOS}{}{}{}{}{}{}",
        namespace("apps", ", istio.io/rev: stable"),
        bare_pod(
            "apps",
            "not-json",
            "",
            "sidecar.istio.io/status: injected",
            true
        ),
        bare_pod(
            "apps",
            "truncated",
            "",
            r#"istio.io/rev: stable, sidecar.istio.io/status: '{"initContainers":["istio-init"],"containers":["istio-pr'"#,
            true
        ),
        bare_pod("apps", "by-hand", "", "", true),
        bare_pod(
            "apps",
            "edited",
            "",
            r#"istio.io/rev: stable, sidecar.istio.io/status: '{"containers":["istio-proxy"],"revision":"canary"}'"#,
            true
        ),
        bare_pod(
            "apps",
            "fine",
            "",
            r#"sidecar.istio.io/status: '{"containers":["istio-proxy"],"revision":"stable"}'"#,
            true
        ),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::MalformedSidecarStatus,
        "Pod apps/not-json",
        &["not valid JSON", "running revision is unknown"],
    );
    expect(
        &findings,
        Code::MalformedSidecarStatus,
        "Pod apps/truncated",
        &[
            "not valid JSON",
            "running revision stable is read from the istio.io/rev annotation",
        ],
    );
    assert_eq!(objects(&findings, Code::MalformedSidecarStatus).len(), 2);
    // A malformed record is reported once, as malformed.
    expect(
        &findings,
        Code::SidecarWithoutRecord,
        "Pod apps/by-hand",
        &[
            "istio-proxy container",
            "no istio.io/rev annotation",
            "kubectl delete pod by-hand -n apps",
        ],
    );
    assert_eq!(objects(&findings, Code::SidecarWithoutRecord).len(), 1);
    expect(
        &findings,
        Code::InjectionRecordDisagrees,
        "Pod apps/edited",
        &[
            "istio.io/rev=stable",
            "revision canary",
            "trust the annotation",
        ],
    );
    assert_eq!(objects(&findings, Code::InjectionRecordDisagrees).len(), 1);
    expect_none(&findings, Code::NeedsRestart);
}

#[test]
fn mr0016_ignored_namespace_labelled() {
    let yaml = format!(
        "{ISTIOS}{DEFAULT_TAG}{}{}{}{}",
        namespace("kube-system", ", istio-injection: enabled"),
        namespace("local-path-storage", ", istio.io/rev: canary"),
        namespace("kube-public", ""),
        namespace("istio-system", ", istio-injection: enabled"),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::IgnoredNamespaceLabelled,
        "Namespace kube-system",
        &[
            "never injects kube-system",
            "kubectl label namespace kube-system istio-injection-",
        ],
    );
    expect(
        &findings,
        Code::IgnoredNamespaceLabelled,
        "Namespace local-path-storage",
        &["istio.io/rev=canary", "istio.io/rev-"],
    );
    // istio-system is not on istiod's list.
    assert_eq!(objects(&findings, Code::IgnoredNamespaceLabelled).len(), 2);
}

#[test]
fn mr0017_illegal_injector_policy() {
    let yaml = format!(
        r#"
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {{name: broken}}
spec:
  version: v1.24.3
  namespace: istio-system
  values:
    global:
      proxy: {{autoInject: Enabled}}
---
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {{name: fine}}
spec:
  version: v1.24.3
  namespace: istio-system
  values:
    global:
      proxy: {{autoInject: disabled}}
{}{}"#,
        namespace("apps", ", istio.io/rev: broken"),
        namespace("opt-in", ", istio.io/rev: fine"),
    );
    let findings = run(&yaml);
    expect(
        &findings,
        Code::IllegalInjectorPolicy,
        "Istio broken",
        &[
            "\"Enabled\"",
            "injects nothing",
            "sidecar.istio.io/inject=true",
        ],
    );
    assert_eq!(objects(&findings, Code::IllegalInjectorPolicy).len(), 1);
}

#[test]
fn mr0017_illegal_policy_names_the_config_map() {
    let yaml = istiod("1-23-0")
        + r#"---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector-1-23-0, namespace: istio-system}
data:
  config: |
    policy: Enabled
    alwaysInjectSelector: []
    neverInjectSelector: []
  values: '{"revision": "1-23-0"}'
"#;
    let findings = run(&yaml);
    expect(
        &findings,
        Code::IllegalInjectorPolicy,
        "ConfigMap istio-system/istio-sidecar-injector-1-23-0",
        &["revision 1-23-0", "\"Enabled\""],
    );
}

#[test]
fn mr0018_to_mr0024_mesh_warnings_each_get_their_code() {
    let yaml = format!(
        r#"{ISTIOS}
---{}---
apiVersion: v1
kind: ConfigMap
metadata: {{name: istio-sidecar-injector-1-24-0, namespace: istio-system}}
data:
  config: "policy: [enabled"
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-sidecar-injector-ghost
  labels: {{app: sidecar-injector}}
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  admissionReviewVersions: [v1]
  clientConfig:
    service: {{name: istiod-ghost, namespace: istio-system, path: /inject}}
  namespaceSelector:
    matchExpressions:
    - {{key: istio.io/rev, operator: In, values: [ghost]}}
  sideEffects: None
---
apiVersion: sailoperator.io/v1
kind: IstioRevisionTag
metadata: {{name: prod}}
spec:
  targetRef: {{kind: Istio, name: stable}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-revision-tag-prod
  labels: {{app: sidecar-injector, istio.io/rev: canary, istio.io/tag: prod}}
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  admissionReviewVersions: [v1]
  clientConfig:
    service: {{name: istiod-canary, namespace: istio-system, path: /inject}}
  namespaceSelector:
    matchExpressions:
    - {{key: istio.io/rev, operator: In, values: [prod]}}
    - {{key: istio-injection, operator: DoesNotExist}}
  sideEffects: None
"#,
        istiod("1-24-0")
    );
    let mesh = mesh(&yaml);
    let findings = analyze(&mesh);
    expect(
        &findings,
        Code::UnreadableInjectorConfig,
        "ConfigMap istio-system/istio-sidecar-injector-1-24-0",
        &["cannot read injector config"],
    );
    expect(
        &findings,
        Code::WebhookToUnknownRevision,
        "MutatingWebhookConfiguration istio-sidecar-injector-ghost",
        &["\"ghost\""],
    );
    expect(
        &findings,
        Code::TagTargetMismatch,
        "IstioRevisionTag prod",
        &["stable", "canary", "istio-revision-tag-prod"],
    );
    // Every warning is a finding, with the object and words discovery gave it.
    assert!(!mesh.warnings().is_empty());
    for w in mesh.warnings() {
        assert!(
            findings.iter().any(|f| f.object == w.object
                && f.message == w.message
                && f.code >= Code::UnreadableInjectorConfig),
            "warning not reported: {w:?}"
        );
    }
}

#[test]
fn analyze_with_status_agrees_with_analyze_and_order_is_sorted() {
    let yaml = format!(
        "{ISTIOS}{DEFAULT_TAG}{}{}{}{}{}",
        namespace("shop", ", istio-injection: enabled, istio.io/rev: canary"),
        namespace("orders", ", istio.io/rev: 1-22-0"),
        deployment("shop", "web", "", "istio.io/rev: canary", true),
        deployment(
            "orders",
            "cart",
            ", istio.io/rev: canary",
            "istio.io/rev: 1-21-0",
            true
        ),
        bare_pod("shop", "debug", "", "sidecar.istio.io/status: oops", true),
    );
    let mesh = mesh(&yaml);
    let a = analyze(&mesh);
    let b = analyze_with_status(&mesh, &Status::of(&mesh));
    assert_eq!(a, b);
    assert!(a.len() >= 5, "{}", dump(&a));
    assert!(
        a.windows(2)
            .all(|w| (w[0].code, &w[0].object, &w[0].message)
                <= (w[1].code, &w[1].object, &w[1].message)),
        "not sorted:\n{}",
        dump(&a)
    );
}

// ---------------------------------------------------------------- fixtures

/// Every snapshot under `fixtures/` (any depth), without the `.expected.yaml` files.
fn fixture_snapshots() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if (name.ends_with(".yaml") || name.ends_with(".json"))
                && !name.ends_with(".expected.yaml")
                && !name.ends_with(".expected.json")
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&common::fixtures_dir(), &mut out);
    out.sort();
    out
}

#[test]
fn every_fixture_analyzes_without_panic_in_a_stable_order() {
    let mut analyzed = 0;
    for path in fixture_snapshots() {
        // Files that are not snapshots (generator inputs, say) are not ours to judge.
        let Ok(snapshot) = Snapshot::from_path(&path) else {
            eprintln!("skipping {}: not a snapshot", path.display());
            continue;
        };
        let first = analyze(&Mesh::new(snapshot.clone()));
        let again = analyze(&Mesh::new(snapshot.clone()));
        assert_eq!(first, again, "{}: not deterministic", path.display());
        let mesh = Mesh::new(snapshot);
        assert_eq!(
            first,
            analyze_with_status(&mesh, &Status::of(&mesh)),
            "{}",
            path.display()
        );
        assert!(
            first
                .windows(2)
                .all(|w| (w[0].code, &w[0].object, &w[0].message)
                    < (w[1].code, &w[1].object, &w[1].message)),
            "{}: not sorted or duplicated:\n{}",
            path.display(),
            dump(&first)
        );
        for f in &first {
            assert_eq!(f.severity, f.code.severity(), "{}: {f}", path.display());
            assert!(!f.message.is_empty(), "{}: {f}", path.display());
            serde_json::to_string(f).expect("serializes");
        }
        analyzed += 1;
    }
    assert!(analyzed >= 12, "only {analyzed} fixtures analyzed");
}

fn edge_case(stem: &str) -> Vec<Finding> {
    let path = common::fixture("edge-cases").join(format!("{stem}.yaml"));
    analyze(&Mesh::new(
        Snapshot::from_path(&path).unwrap_or_else(|e| panic!("{e}")),
    ))
}

#[test]
fn edge_case_both_labels() {
    let f = edge_case("both-labels");
    expect(
        &f,
        Code::BothInjectionLabels,
        "Namespace shop",
        &[
            "istio-injection=enabled",
            "istio.io/rev=1-24-0",
            "-> revision 1-23-0",
        ],
    );
    expect(
        &f,
        Code::BothInjectionLabels,
        "Namespace ledger",
        &["istio-injection=disabled", "nobody injects"],
    );
    assert_eq!(
        objects(&f, Code::NeedsRestart),
        set(&["Deployment ledger/api", "Deployment shop/web"])
    );
    expect(
        &f,
        Code::NeedsRestart,
        "Deployment ledger/api",
        &["removes its sidecar"],
    );
    expect_none(&f, Code::WebhookOverlap);
    expect_none(&f, Code::DoubleInjection);
}

#[test]
fn edge_case_dangling_rev() {
    let f = edge_case("dangling-rev");
    assert_eq!(
        objects(&f, Code::DanglingRevisionLabel),
        set(&["Namespace legacy", "Namespace orders"])
    );
    expect(
        &f,
        Code::RunningRevisionGone,
        "Deployment orders/cart",
        &["1-22-0"],
    );
    expect(
        &f,
        Code::NeedsRestart,
        "Deployment orders/cart",
        &["1-22-0"],
    );
}

#[test]
fn edge_case_malformed_status() {
    let f = edge_case("malformed-status");
    assert_eq!(
        objects(&f, Code::MalformedSidecarStatus),
        set(&[
            "Pod apps/web-6vsg2jggz4-77vtm",
            "Pod apps/web-6vsg2jggz4-rz847"
        ])
    );
    assert_eq!(
        objects(&f, Code::SidecarWithoutRecord),
        set(&["Pod apps/worker-d5bhjqclmd-k4r6s"])
    );
    expect(
        &f,
        Code::InjectionRecordDisagrees,
        "Pod apps/api-r48hm9kzgw-s248c",
        &["1-24-0", "1-23-0"],
    );
}

#[test]
fn edge_case_overlap() {
    let f = edge_case("overlap");
    assert_eq!(
        objects(&f, Code::DoubleInjection),
        set(&[
            "Deployment tools/toolbox",
            "Namespace legacy",
            "Namespace shop"
        ])
    );
    let overlaps = with_code(&f, Code::WebhookOverlap);
    for hook in ["namespace.", "object.", "rev.namespace.", "rev.object."] {
        let needle = format!("istio-sidecar-injector/{hook}sidecar-injector.istio.io");
        assert!(
            overlaps.iter().any(|o| o.message.contains(&needle)),
            "no overlap for {hook}:\n{}",
            dump(&f)
        );
    }
}

#[test]
fn edge_case_tag_named_like_revision() {
    let f = edge_case("tag-named-like-revision");
    expect(
        &f,
        Code::TagShadowsRevision,
        "MutatingWebhookConfiguration istio-revision-tag-1-23-0",
        &["tag 1-23-0", "revision 1-23-0", "1-24-0"],
    );
    assert_eq!(
        objects(&f, Code::DoubleInjection),
        set(&["Deployment jobs/nightly", "Namespace payments"])
    );
    assert!(!with_code(&f, Code::WebhookOverlap).is_empty());
}

#[test]
fn edge_case_pod_overrides() {
    let f = edge_case("pod-overrides");
    assert_eq!(
        objects(&f, Code::PodRevisionLabelIgnored),
        set(&[
            "Deployment frontend/storefront",
            "Deployment payments/pinned"
        ])
    );
    expect_none(&f, Code::NeedsRestart);
    expect_none(&f, Code::WebhookOverlap);
}

#[test]
fn edge_case_deactivated_default() {
    let f = edge_case("deactivated-default");
    assert_eq!(
        objects(&f, Code::NeedsRestart),
        set(&[
            "Deployment bookinfo/productpage",
            "Deployment legacy/ratings",
            "Deployment tools/toolbox"
        ])
    );
    expect_none(&f, Code::WebhookOverlap);
    expect_none(&f, Code::DoubleInjection);
    expect_none(&f, Code::RevisionPrunable);
}

#[test]
fn edge_case_kube_system() {
    let f = edge_case("kube-system");
    assert_eq!(
        objects(&f, Code::IgnoredNamespaceLabelled),
        set(&["Namespace kube-system", "Namespace local-path-storage"])
    );
    expect(
        &f,
        Code::NeedsRestart,
        "Deployment istio-system/kiali",
        &["adds a sidecar of 1-24-0"],
    );
}

#[test]
fn edge_case_never_always_selectors() {
    let f = edge_case("never-always-selectors");
    expect(
        &f,
        Code::IllegalInjectorPolicy,
        "ConfigMap istio-system/istio-sidecar-injector-1-23-0",
        &["\"Enabled\""],
    );
    expect_none(&f, Code::NeedsRestart);
}

#[test]
fn edge_case_quiet_ones() {
    for stem in ["host-network", "enable-namespaces-by-default"] {
        let f = edge_case(stem);
        expect_none(&f, Code::NeedsRestart);
        expect_none(&f, Code::DoubleInjection);
        expect_none(&f, Code::WebhookOverlap);
    }
}

/// The `findings:` lines of every `.expected.yaml` that name a code by its slug
/// (`<slug> on <Kind> <ns/name>` or `<slug> <Kind> <ns/name>`), plus the two
/// negative phrases `nothing needs a restart` and `no webhook overlap`.
#[test]
fn expected_files_findings_lines_hold() {
    let mut checked = 0;
    for snapshot in fixture_snapshots() {
        let Some(stem) = snapshot
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.rsplit_once('.'))
            .map(|(stem, _)| stem.to_owned())
        else {
            continue;
        };
        let expected = snapshot.with_file_name(format!("{stem}.expected.yaml"));
        let Ok(text) = std::fs::read_to_string(&expected) else {
            continue;
        };
        let Ok(exp) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
            continue;
        };
        let Ok(parsed) = Snapshot::from_path(&snapshot) else {
            continue;
        };
        let findings = analyze(&Mesh::new(parsed));
        let lines: Vec<&str> = exp
            .get("findings")
            .and_then(|f| f.as_sequence())
            .map(|s| s.iter().filter_map(|l| l.as_str()).collect())
            .unwrap_or_default();
        for line in lines {
            let at = format!("{}: {line:?}", expected.display());
            if line.starts_with("nothing needs a restart") {
                if restarts_consistent(&exp) {
                    assert!(
                        with_code(&findings, Code::NeedsRestart).is_empty(),
                        "{at}\n{}",
                        dump(&findings)
                    );
                    checked += 1;
                } else {
                    eprintln!(
                        "{at}: not checked, the file's own pods table has pods whose running \
                         revision differs from their injector"
                    );
                }
                continue;
            }
            if line.contains("no webhook overlap") {
                assert!(
                    with_code(&findings, Code::WebhookOverlap).is_empty()
                        && with_code(&findings, Code::DoubleInjection).is_empty(),
                    "{at}\n{}",
                    dump(&findings)
                );
                checked += 1;
                continue;
            }
            let Some((code, object)) = slug_line(line) else {
                continue;
            };
            assert!(
                findings
                    .iter()
                    .any(|f| f.code == code && f.object.to_string() == object),
                "{at}: no {code} on {object}:\n{}",
                dump(&findings)
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} lines checked");
}

/// `needs-restart Deployment shop/web: ...` -> (NeedsRestart, "Deployment shop/web").
fn slug_line(line: &str) -> Option<(Code, String)> {
    let code = Code::ALL
        .into_iter()
        .filter(|c| line.starts_with(c.slug()))
        .max_by_key(|c| c.slug().len())?;
    let rest = &line[code.slug().len()..];
    let rest = rest
        .strip_prefix(" on ")
        .or_else(|| rest.strip_prefix(' '))?;
    let mut words = rest.split(' ');
    let kind = words.next()?;
    if !kind.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let name = words.next()?.trim_end_matches([':', ',', ';', '.']);
    Some((code, format!("{kind} {name}")))
}

/// Whether the expected file's own `pods:` table agrees that nothing needs a
/// restart (every pod runs what its injector would inject).
fn restarts_consistent(exp: &serde_yaml::Value) -> bool {
    let Some(pods) = exp.get("pods").and_then(|p| p.as_mapping()) else {
        return true;
    };
    pods.values().all(|p| {
        let injector = p.get("injector").and_then(|v| v.as_str());
        let running = p.get("running").and_then(|v| v.as_str());
        injector.is_some_and(|i| i.starts_with("conflict"))
            || running == Some("unknown")
            || injector == running
    })
}

/// Issue 8 rule 6: helm installed revision 1-24-0 in istio-system and again in
/// istio-system-2 (istio-discovery `templates/mutatingwebhook.yaml` suffixes the
/// second configuration with its namespace). Both istiods inject what selects
/// `istio.io/rev=1-24-0`: double injection naming both installations, each
/// webhook credited to the istiod its service names, and neither called unused.
#[test]
fn one_revision_name_installed_in_two_namespaces_is_a_conflict_of_both_istiods() {
    let text = std::fs::read_to_string("fixtures/edge-cases/same-revision-two-namespaces.yaml")
        .expect("fixture");
    let mesh = mesh(&text);
    let revisions: Vec<(&str, &str)> = mesh
        .revisions()
        .map(|r| (r.name.as_str(), r.namespace.as_str()))
        .collect();
    assert_eq!(
        revisions,
        [
            ("1-24-0", "istio-system"),
            ("istio-system-2/1-24-0", "istio-system-2")
        ]
    );
    assert!(mesh.revisions().all(|r| r.label_value() == "1-24-0"));
    let second: Vec<&str> = mesh
        .webhooks()
        .iter()
        .filter(|w| w.revision == "istio-system-2/1-24-0")
        .map(|w| w.configuration.as_str())
        .collect();
    assert_eq!(
        second,
        [
            "istio-sidecar-injector-1-24-0-istio-system-2",
            "istio-sidecar-injector-1-24-0-istio-system-2"
        ]
    );
    let findings = run(&text);
    let f = expect(
        &findings,
        Code::DoubleInjection,
        "Namespace shop",
        &["1-24-0", "istio-system-2/1-24-0"],
    );
    assert_eq!(f.severity, Severity::Error);
    expect_none(&findings, Code::RevisionPrunable);
}
