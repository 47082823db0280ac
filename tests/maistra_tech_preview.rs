//! Maistra's tech-preview injection objectSelector (issue 8, rule 8): an SMCP with
//! `spec.techPreview.sidecarInjectorWebhook.objectSelector.enabled: true` gets the
//! v2.6 chart's extra objectSelector requirement (maistra/istio-operator
//! `resources/helm/v2.6/istio-control/istio-discovery/templates/mutatingwebhook.yaml`):
//! `sidecar.istio.io/inject In [true]` under the default policy, `NotIn [false]`
//! with `autoInject`. The fixture `fixtures/edge-cases/maistra-object-selector.yaml`
//! covers the rest.

use meshrev::{Error, Mesh, Snapshot};

fn mesh(tech_preview: &str, auto_inject: &str) -> Mesh {
    Mesh::new(
        Snapshot::from_yaml(&format!(
            r#"
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: {{name: basic, namespace: istio-system}}
spec:
  version: v2.6
  {tech_preview}
  {auto_inject}
---
apiVersion: v1
kind: Namespace
metadata: {{name: shop, labels: {{maistra.io/member-of: istio-system}}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: labelled
  namespace: shop
  labels: {{sidecar.istio.io/inject: "true"}}
spec: {{containers: [{{name: app}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: annotated
  namespace: shop
  annotations: {{sidecar.istio.io/inject: "true"}}
spec: {{containers: [{{name: app}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: plain, namespace: shop}}
spec: {{containers: [{{name: app}}]}}
"#
        ))
        .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn injector(mesh: &Mesh, pod: &str) -> Option<String> {
    let pod = mesh.snapshot().pod("shop", pod).expect("pod");
    mesh.resolve_pod(pod).revision().map(str::to_owned)
}

const ON: &str = "techPreview: {sidecarInjectorWebhook: {objectSelector: {enabled: true}}}";

#[test]
fn without_the_tech_preview_an_annotation_opts_in() {
    let m = mesh("", "");
    assert_eq!(injector(&m, "labelled").as_deref(), Some("basic"));
    assert_eq!(injector(&m, "annotated").as_deref(), Some("basic"));
    assert_eq!(injector(&m, "plain"), None);
    assert_eq!(m.resolve_namespace("shop").revision(), Some("basic"));
}

#[test]
fn with_it_only_the_label_reaches_istiod_under_the_default_policy() {
    let m = mesh(ON, "");
    let hook = &m.webhooks()[0];
    assert_eq!(
        hook.object_selector
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("app notin (istiod),sidecar.istio.io/inject in (true)")
    );
    assert_eq!(injector(&m, "labelled").as_deref(), Some("basic"));
    assert_eq!(injector(&m, "annotated"), None);
    let why = m
        .resolve_pod(m.snapshot().pod("shop", "annotated").expect("pod"))
        .to_string();
    assert!(why.contains("objectSelector"), "{why}");
    assert!(why.contains("annotation cannot pass it"), "{why}");
    // A label-less pod no longer reaches the webhook: the namespace has no injector.
    assert_eq!(m.resolve_namespace("shop").revision(), None);
}

#[test]
fn with_auto_inject_every_pod_not_labelled_false_reaches_istiod() {
    let m = mesh(ON, "proxy: {injection: {autoInject: true}}");
    assert_eq!(
        m.webhooks()[0]
            .object_selector
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("app notin (istiod),sidecar.istio.io/inject notin (false)")
    );
    for pod in ["labelled", "annotated", "plain"] {
        assert_eq!(injector(&m, pod).as_deref(), Some("basic"), "{pod}");
    }
    assert_eq!(m.resolve_namespace("shop").revision(), Some("basic"));
}

#[test]
fn disabled_explicitly_is_the_chart_default() {
    let m = mesh(
        "techPreview: {sidecarInjectorWebhook: {objectSelector: {enabled: false}}}",
        "",
    );
    assert_eq!(injector(&m, "annotated").as_deref(), Some("basic"));
}

#[test]
fn a_value_that_is_not_a_boolean_is_refused_naming_the_field() {
    let err = Snapshot::from_yaml(
        r#"
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: {name: basic, namespace: istio-system}
spec: {techPreview: {sidecarInjectorWebhook: {objectSelector: {enabled: "yes"}}}}
"#,
    )
    .expect_err("a string is not a boolean");
    assert!(matches!(err, Error::InvalidField { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("spec.techPreview.sidecarInjectorWebhook.objectSelector.enabled"),
        "{shown}"
    );
    assert!(
        shown.contains("ServiceMeshControlPlane istio-system/basic"),
        "{shown}"
    );
}
