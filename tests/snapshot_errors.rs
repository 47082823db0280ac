//! Malformed snapshots are refused with the specific error and a message that
//! names where (document, list item, line), which object (`Kind ns/name`) and
//! which field; well-formed oddities (absent namespaces, unknown kinds, lists,
//! JSON, empty documents, a BOM) are accepted.

use meshrev::{Error, Snapshot, SnapshotBuilder};

mod common;

/// The error a case must produce. `document`/`item` are the 1-based location;
/// `object` is the `Display` of the object (`Pod mercury/web-1`); `message` is a
/// fragment the parser's or checker's message must contain.
#[derive(Debug)]
enum Want {
    Syntax {
        format: &'static str,
        document: usize,
        line: usize,
        column: Option<usize>,
    },
    NotAnObject {
        document: usize,
        item: Option<usize>,
        message: &'static str,
    },
    Missing {
        document: usize,
        item: Option<usize>,
        object: &'static str,
        field: &'static str,
    },
    Invalid {
        document: usize,
        item: Option<usize>,
        object: &'static str,
        field: &'static str,
        message: &'static str,
    },
    Duplicate {
        object: &'static str,
        first: (usize, Option<usize>),
        second: (usize, Option<usize>),
    },
}

fn where_(document: usize, item: Option<usize>) -> String {
    match item {
        Some(i) => format!("<input>: document {document}, item {i}"),
        None => format!("<input>: document {document}"),
    }
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

impl Want {
    /// Checks the variant, its fields, and that the message shows them.
    fn check(&self, err: &Error) -> Result<(), String> {
        let shown = err.to_string();
        let in_message = |part: &str| {
            ensure(shown.contains(part), || {
                format!("message {shown:?} does not contain {part:?}")
            })
        };
        match (self, err) {
            (
                Want::Syntax {
                    format,
                    document,
                    line,
                    column,
                },
                Error::Syntax {
                    location,
                    format: f,
                    line: l,
                    column: c,
                    ..
                },
            ) => {
                ensure(
                    f == format
                        && location.document == *document
                        && location.item.is_none()
                        && *l == Some(*line)
                        && (column.is_none() || c == column),
                    || format!("got {err:?}"),
                )?;
                in_message(&format!("malformed {format}"))?;
                in_message(&where_(*document, None))?;
                match column {
                    Some(col) => in_message(&format!("line {line} column {col}")),
                    None => in_message(&format!("line {line}")),
                }
            }
            (
                Want::NotAnObject {
                    document,
                    item,
                    message,
                },
                Error::NotAnObject { location, .. },
            ) => {
                ensure(
                    location.document == *document && location.item == *item,
                    || format!("got {err:?}"),
                )?;
                in_message(&format!(
                    "{}: not a Kubernetes object",
                    where_(*document, *item)
                ))?;
                in_message(message)
            }
            (
                Want::Missing {
                    document,
                    item,
                    object,
                    field,
                },
                Error::MissingField {
                    location,
                    object: o,
                    field: f,
                },
            ) => {
                ensure(
                    location.document == *document
                        && location.item == *item
                        && o.to_string() == *object
                        && f == field,
                    || format!("got {err:?}"),
                )?;
                in_message(&format!(
                    "{}: {object}: missing required field `{field}`",
                    where_(*document, *item)
                ))
            }
            (
                Want::Invalid {
                    document,
                    item,
                    object,
                    field,
                    message,
                },
                Error::InvalidField {
                    location,
                    object: o,
                    field: f,
                    ..
                },
            ) => {
                ensure(
                    location.document == *document
                        && location.item == *item
                        && o.to_string() == *object
                        && f == field,
                    || format!("got {err:?}"),
                )?;
                in_message(&format!(
                    "{}: {object}: invalid `{field}`: ",
                    where_(*document, *item)
                ))?;
                in_message(message)
            }
            (
                Want::Duplicate {
                    object,
                    first,
                    second,
                },
                Error::Duplicate {
                    object: o,
                    first: f,
                    second: s,
                    ..
                },
            ) => {
                ensure(
                    o.to_string() == *object
                        && (f.document, f.item) == *first
                        && (s.document, s.item) == *second,
                    || format!("got {err:?}"),
                )?;
                in_message(&format!(
                    "{object} appears twice: at {} and at {}",
                    where_(first.0, first.1),
                    where_(second.0, second.1)
                ))
            }
            _ => Err(format!("wrong variant: got {err:?}")),
        }
    }
}

const NS: &str = "apiVersion: v1\nkind: Namespace\n";
/// A name one character too long for a namespace.
macro_rules! n64 {
    () => {
        "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
    };
}
const N64: &str = n64!();
const POD: &str = "apiVersion: v1\nkind: Pod\n";

/// `(what the case is, input, expected error)`.
fn cases() -> Vec<(&'static str, String, Want)> {
    let mwc = |selector: &str| {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1\n\
             kind: MutatingWebhookConfiguration\n\
             metadata: {{name: istio-sidecar-injector}}\n\
             webhooks:\n\
             - name: rev.namespace.sidecar-injector.istio.io\n\
             \x20 clientConfig: {{service: {{name: istiod, namespace: istio-system, path: /inject}}}}\n\
             \x20 {selector}\n"
        )
    };
    let ns_label = |labels: &str| format!("{NS}metadata:\n  name: mercury\n  labels: {labels}\n");
    let pod =
        |meta: &str| format!("{POD}metadata: {meta}\nspec: {{containers: [{{name: web}}]}}\n");
    vec![
        // ---------------------------------------------------------------- syntax
        (
            "YAML with an unclosed flow mapping: the line where the parser gave up",
            format!("{NS}metadata: {{name: mercury\n"),
            Want::Syntax { format: "YAML", document: 1, line: 4, column: Some(1) },
        ),
        (
            "YAML with a bad indentation in the second document",
            format!("{NS}metadata: {{name: mercury}}\n---\n{NS}metadata:\n  name: a\n    labels: x: y\n"),
            Want::Syntax { format: "YAML", document: 2, line: 9, column: Some(11) },
        ),
        (
            "JSON with a missing value: line and column",
            "{\"apiVersion\": \"v1\",\n \"kind\": }".into(),
            Want::Syntax { format: "JSON", document: 1, line: 2, column: Some(10) },
        ),
        (
            "JSON stream whose second object is cut short",
            "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}\n\
             {\"apiVersion\": \"v1\",\n \"kind\": \"Namespace\", \"metadata\": {\"name\": \"b\"}"
                .into(),
            Want::Syntax { format: "JSON", document: 2, line: 3, column: Some(47) },
        ),
        // ------------------------------------------------------- not an object
        (
            "a document that is a scalar",
            format!("{NS}metadata: {{name: mercury}}\n---\njust some words\n"),
            Want::NotAnObject { document: 2, item: None, message: "expected a mapping with apiVersion and kind, found a string" },
        ),
        (
            "a document that is a sequence",
            "- apiVersion: v1\n  kind: Namespace\n".into(),
            Want::NotAnObject { document: 1, item: None, message: "found a sequence" },
        ),
        (
            "an object without kind",
            "apiVersion: v1\nmetadata: {name: mercury}\n".into(),
            Want::NotAnObject { document: 1, item: None, message: "no `kind`" },
        ),
        (
            "an object without apiVersion",
            "kind: Namespace\nmetadata: {name: mercury}\n".into(),
            Want::NotAnObject { document: 1, item: None, message: "no `apiVersion`" },
        ),
        (
            "kind that is a number, not a string",
            "apiVersion: v1\nkind: 7\nmetadata: {name: mercury}\n".into(),
            Want::NotAnObject { document: 1, item: None, message: "`kind` must be a string, found a number" },
        ),
        (
            "apiVersion that is a mapping",
            "apiVersion: {group: apps}\nkind: Deployment\n".into(),
            Want::NotAnObject { document: 1, item: None, message: "`apiVersion` must be a string, found a mapping" },
        ),
        // ------------------------------------------------------------- metadata
        (
            "a namespace without metadata.name",
            format!("{NS}metadata: {{labels: {{a: b}}}}\n"),
            Want::Missing { document: 1, item: None, object: "Namespace <unnamed>", field: "metadata.name" },
        ),
        (
            "metadata that is a number, not a mapping",
            format!("{NS}metadata: 3\n"),
            Want::Invalid { document: 1, item: None, object: "Namespace <unnamed>", field: "metadata", message: "invalid type: integer `3`, expected a mapping" },
        ),
        (
            "a pod without metadata.namespace",
            pod("{name: web-1}"),
            Want::Missing { document: 1, item: None, object: "Pod web-1", field: "metadata.namespace" },
        ),
        (
            "a namespace name with upper case",
            format!("{NS}metadata: {{name: Mercury}}\n"),
            Want::Invalid { document: 1, item: None, object: "Namespace Mercury", field: "metadata.name", message: "\"Mercury\" is not a valid name: 'M' is not allowed" },
        ),
        (
            "a namespace name of 64 characters",
            format!("{NS}metadata: {{name: {N64}}}\n"),
            Want::Invalid { document: 1, item: None, object: concat!("Namespace ", n64!()), field: "metadata.name", message: "must be at most 63 characters, not 64" },
        ),
        (
            "a pod in a namespace whose name has upper case",
            pod("{name: web-1, namespace: Mercury}"),
            Want::Invalid { document: 1, item: None, object: "Pod Mercury/web-1", field: "metadata.namespace", message: "\"Mercury\" is not a valid namespace name" },
        ),
        (
            "a pod name with an underscore",
            pod("{name: web_1, namespace: mercury}"),
            Want::Invalid { document: 1, item: None, object: "Pod mercury/web_1", field: "metadata.name", message: "'_' is not allowed" },
        ),
        (
            "a pod name ending in a dot",
            pod("{name: web., namespace: mercury}"),
            Want::Invalid { document: 1, item: None, object: "Pod mercury/web.", field: "metadata.name", message: "must start and end with a letter or digit" },
        ),
        (
            "an owner reference without a name",
            pod("{name: web-1, namespace: mercury, ownerReferences: [{kind: ReplicaSet, controller: true}]}"),
            Want::Missing { document: 1, item: None, object: "Pod mercury/web-1", field: "metadata.ownerReferences[0].name" },
        ),
        // --------------------------------------------------------------- labels
        (
            "a label key with a space",
            ns_label("{bad key: x}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.bad key", message: "invalid key: the name part: ' ' is not allowed" },
        ),
        (
            "a label key starting with a dash",
            ns_label("{-x: y}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.-x", message: "must start and end with a letter or digit" },
        ),
        (
            "a label key with two slashes",
            ns_label("{a/b/c: y}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.a/b/c", message: "'/' is not allowed" },
        ),
        (
            "a label key with an empty name after its prefix",
            ns_label("{istio.io/: y}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.istio.io/", message: "the name part must not be empty" },
        ),
        (
            "a label key whose prefix has upper case",
            ns_label("{Istio.io/rev: y}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.Istio.io/rev", message: "prefix \"Istio.io\"" },
        ),
        (
            "a label value of 64 characters",
            ns_label(&format!("{{istio.io/rev: {}}}", "v".repeat(64))),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.istio.io/rev", message: "the value must be at most 63 characters, not 64" },
        ),
        (
            "a label value with a space",
            ns_label("{istio.io/rev: has space}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.istio.io/rev", message: "invalid value \"has space\"" },
        ),
        (
            "a label value that is a sequence",
            ns_label("{a: [1]}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.a", message: "invalid type: sequence, expected a string" },
        ),
        (
            "a label value that is a mapping",
            ns_label("{version: {major: 1}}"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.labels.version", message: "expected a string" },
        ),
        (
            "an annotation key with a space (annotation values are free)",
            format!("{NS}metadata:\n  name: mercury\n  annotations: {{ok: 'any value at all', bad key: x}}\n"),
            Want::Invalid { document: 1, item: None, object: "Namespace mercury", field: "metadata.annotations.bad key", message: "invalid key" },
        ),
        (
            "a pod template label value with a slash",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: mercury}\n\
             spec:\n  template:\n    metadata:\n      labels: {istio.io/rev: a/b}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "Deployment mercury/web", field: "spec.template.metadata.labels.istio.io/rev", message: "'/' is not allowed" },
        ),
        // ------------------------------------------------------------ selectors
        (
            "an unknown operator in a webhook namespaceSelector",
            mwc("namespaceSelector: {matchExpressions: [{key: istio.io/rev, operator: Equals, values: [a]}]}"),
            Want::Invalid { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[0].namespaceSelector.matchExpressions[0].operator", message: "unknown operator \"Equals\"" },
        ),
        (
            "operator In without values",
            mwc("namespaceSelector: {matchExpressions: [{key: istio.io/rev, operator: In}]}"),
            Want::Invalid { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[0].namespaceSelector.matchExpressions[0]", message: "operator In on \"istio.io/rev\" needs at least one value" },
        ),
        (
            "operator Exists with values, in the second requirement of an objectSelector",
            mwc("objectSelector: {matchExpressions: [{key: a, operator: DoesNotExist}, {key: sidecar.istio.io/inject, operator: Exists, values: ['true']}]}"),
            Want::Invalid { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[0].objectSelector.matchExpressions[1]", message: "operator Exists on \"sidecar.istio.io/inject\" takes no values" },
        ),
        (
            "a requirement without an operator",
            mwc("namespaceSelector: {matchExpressions: [{key: istio.io/rev, values: [a]}]}"),
            Want::Missing { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[0].namespaceSelector.matchExpressions[0].operator" },
        ),
        (
            "an invalid matchLabels value",
            mwc("namespaceSelector: {matchLabels: {istio.io/rev: 'a b'}}"),
            Want::Invalid { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[0].namespaceSelector.matchLabels.istio.io/rev", message: "invalid value \"a b\"" },
        ),
        (
            "a webhook without a name",
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n\
             metadata: {name: istio-sidecar-injector}\nwebhooks:\n- name: ok.sidecar-injector.istio.io\n- clientConfig: {url: 'https://x'}\n"
                .into(),
            Want::Missing { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[1].name" },
        ),
        (
            "a webhook service reference without a namespace",
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n\
             metadata: {name: istio-sidecar-injector}\nwebhooks:\n- name: a.istio.io\n  clientConfig: {service: {name: istiod}}\n"
                .into(),
            Want::Missing { document: 1, item: None, object: "MutatingWebhookConfiguration istio-sidecar-injector", field: "webhooks[0].clientConfig.service.namespace" },
        ),
        (
            "an SMMR memberSelector with an unknown operator",
            "apiVersion: maistra.io/v1\nkind: ServiceMeshMemberRoll\nmetadata: {name: default, namespace: istio-system}\n\
             spec: {memberSelectors: [{matchLabels: {a: b}}, {matchExpressions: [{key: a, operator: in, values: [b]}]}]}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "ServiceMeshMemberRoll istio-system/default", field: "spec.memberSelectors[1].matchExpressions[0].operator", message: "unknown operator \"in\"" },
        ),
        // -------------------------------------------------- control-plane CRs
        (
            "an IstioRevisionTag whose targetRef.kind is neither Istio nor IstioRevision",
            "apiVersion: sailoperator.io/v1\nkind: IstioRevisionTag\nmetadata: {name: default}\n\
             spec: {targetRef: {kind: ServiceMeshControlPlane, name: basic}}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "IstioRevisionTag default", field: "spec.targetRef.kind", message: "\"ServiceMeshControlPlane\": expected Istio or IstioRevision" },
        ),
        (
            "an IstioRevisionTag without targetRef.name",
            "apiVersion: sailoperator.io/v1\nkind: IstioRevisionTag\nmetadata: {name: default}\nspec: {targetRef: {kind: Istio}}\n"
                .into(),
            Want::Missing { document: 1, item: None, object: "IstioRevisionTag default", field: "spec.targetRef.name" },
        ),
        (
            "a ServiceMeshMember without controlPlaneRef",
            "apiVersion: maistra.io/v1\nkind: ServiceMeshMember\nmetadata: {name: default, namespace: bookinfo}\nspec: {}\n"
                .into(),
            Want::Missing { document: 1, item: None, object: "ServiceMeshMember bookinfo/default", field: "spec.controlPlaneRef" },
        ),
        (
            "a ServiceMeshControlPlane with an unknown spec.mode",
            "apiVersion: maistra.io/v2\nkind: ServiceMeshControlPlane\nmetadata: {name: basic, namespace: istio-system}\n\
             spec: {version: v2.6, mode: Everywhere}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "ServiceMeshControlPlane istio-system/basic", field: "spec.mode", message: "\"Everywhere\": expected MultiTenant or ClusterWide" },
        ),
        (
            "an Istio with an unknown updateStrategy.type",
            "apiVersion: sailoperator.io/v1\nkind: Istio\nmetadata: {name: default}\n\
             spec: {version: v1.24.3, updateStrategy: {type: BlueGreen}}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "Istio default", field: "spec.updateStrategy.type", message: "\"BlueGreen\": expected InPlace or RevisionBased" },
        ),
        (
            "an IstioRevision whose control-plane namespace is not a valid name",
            "apiVersion: sailoperator.io/v1\nkind: IstioRevision\nmetadata: {name: default-v1-24-3}\nspec: {namespace: Istio_System}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "IstioRevision default-v1-24-3", field: "spec.namespace", message: "\"Istio_System\"" },
        ),
        // ------------------------------------------------------------ workloads
        (
            "a Deployment without spec.template",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: mercury}\nspec: {replicas: 2}\n"
                .into(),
            Want::Missing { document: 1, item: None, object: "Deployment mercury/web", field: "spec.template" },
        ),
        (
            "replicas that is a string",
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: mercury}\nspec: {replicas: two, template: {}}\n"
                .into(),
            Want::Invalid { document: 1, item: None, object: "StatefulSet mercury/db", field: "spec.replicas", message: "invalid type: string \"two\"" },
        ),
        (
            "a pod without spec.containers",
            format!("{POD}metadata: {{name: web-1, namespace: mercury}}\nspec: {{hostNetwork: true}}\n"),
            Want::Missing { document: 1, item: None, object: "Pod mercury/web-1", field: "spec.containers" },
        ),
        (
            "a container without a name",
            format!("{POD}metadata: {{name: web-1, namespace: mercury}}\nspec: {{containers: [{{name: web}}, {{image: proxyv2}}]}}\n"),
            Want::Missing { document: 1, item: None, object: "Pod mercury/web-1", field: "spec.containers[1].name" },
        ),
        // ---------------------------------------------------- duplicates, lists
        (
            "the same namespace in two documents",
            format!("{NS}metadata: {{name: mercury}}\n---\n{NS}metadata: {{name: venus}}\n---\n{NS}metadata: {{name: mercury}}\n"),
            Want::Duplicate { object: "Namespace mercury", first: (1, None), second: (3, None) },
        ),
        (
            "the same pod twice inside one List",
            "apiVersion: v1\nkind: List\nitems:\n\
             - {apiVersion: v1, kind: Pod, metadata: {name: web-1, namespace: mercury}, spec: {containers: [{name: web}]}}\n\
             - {apiVersion: v1, kind: Pod, metadata: {name: web-2, namespace: mercury}, spec: {containers: [{name: web}]}}\n\
             - {apiVersion: v1, kind: Pod, metadata: {name: web-1, namespace: mercury}, spec: {containers: [{name: web}]}}\n"
                .into(),
            Want::Duplicate { object: "Pod mercury/web-1", first: (1, Some(1)), second: (1, Some(3)) },
        ),
        (
            "a deployment in a List and again in a later document",
            "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n\
             - {metadata: {name: web, namespace: mercury}, spec: {template: {}}}\n\
             ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: mercury}\nspec: {template: {}}\n"
                .into(),
            Want::Duplicate { object: "Deployment mercury/web", first: (1, Some(1)), second: (2, None) },
        ),
        (
            "a List whose items is a mapping",
            "apiVersion: v1\nkind: List\nitems: {apiVersion: v1, kind: Namespace}\n".into(),
            Want::NotAnObject { document: 1, item: None, message: "`items` of a List must be a sequence, found a mapping" },
        ),
        (
            "a PodList whose second item lacks containers",
            "apiVersion: v1\nkind: PodList\nitems:\n\
             - {metadata: {name: web-1, namespace: mercury}, spec: {containers: [{name: web}]}}\n\
             - {metadata: {name: web-2, namespace: mercury}, spec: {}}\n"
                .into(),
            Want::Missing { document: 1, item: Some(2), object: "Pod mercury/web-2", field: "spec.containers" },
        ),
        (
            "a List item that is a scalar, in the second document",
            format!("{NS}metadata: {{name: mercury}}\n---\napiVersion: v1\nkind: List\nitems: [{{apiVersion: v1, kind: Namespace, metadata: {{name: venus}}}}, 42]\n"),
            Want::NotAnObject { document: 2, item: Some(2), message: "found a number" },
        ),
        (
            "a kind: List item without its own kind",
            "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, metadata: {name: venus}}]\n".into(),
            Want::NotAnObject { document: 1, item: Some(1), message: "no `kind`" },
        ),
        (
            "a List item with an invalid label, named by item number",
            "apiVersion: v1\nkind: NamespaceList\nitems:\n- metadata: {name: mercury}\n- metadata: {name: venus}\n- metadata: {name: earth, labels: {istio-injection: 'yes please'}}\n"
                .into(),
            Want::Invalid { document: 1, item: Some(3), object: "Namespace earth", field: "metadata.labels.istio-injection", message: "' ' is not allowed" },
        ),
    ]
}

#[test]
fn malformed_snapshots_are_refused_naming_the_document_object_and_field() {
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "the table has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for (what, input, want) in &cases {
        match Snapshot::from_yaml(input) {
            Ok(s) => failures.push(format!("{what}: accepted ({:?})", s.counts())),
            Err(err) => {
                if let Err(why) = want.check(&err) {
                    failures.push(format!(
                        "{what}: {why}\n    wanted {want:?}\n    message: {err}"
                    ));
                }
            }
        }
    }
    common::assert_no_failures(&failures, cases.len());
}

#[test]
fn errors_name_the_source_they_came_from() {
    let mut b = SnapshotBuilder::new();
    b.add_str("ok.yaml", &format!("{NS}metadata: {{name: mercury}}\n"))
        .unwrap();
    let err = b
        .add_str(
            "cluster/pods.yaml",
            &format!("---\n{POD}metadata: {{name: web-1}}\nspec: {{containers: []}}\n"),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cluster/pods.yaml: document 1: Pod web-1: missing required field `metadata.namespace`"
    );
}

#[test]
fn the_same_object_from_two_sources_is_a_duplicate_naming_both_sources() {
    let text = format!("{NS}metadata: {{name: mercury}}\n");
    let mut b = SnapshotBuilder::new();
    b.add_str("namespaces.yaml", &text).unwrap();
    let err = b.add_str("more.yaml", &text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Namespace mercury appears twice: at namespaces.yaml: document 1 and at more.yaml: document 1"
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_file() {
    let err = Snapshot::from_path("/nonexistent/cluster.yaml").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("/nonexistent/cluster.yaml: cannot read")
    );
}

// ------------------------------------------------------------ accepted inputs

#[test]
fn a_pod_whose_namespace_is_not_in_the_snapshot_is_kept_and_the_namespace_listed_as_absent() {
    let s = Snapshot::from_yaml(&format!(
        "{NS}metadata: {{name: venus}}\n---\n\
         {POD}metadata: {{name: web-1, namespace: mercury}}\nspec: {{containers: [{{name: web}}]}}\n---\n\
         {POD}metadata: {{name: api-1, namespace: venus}}\nspec: {{containers: [{{name: api}}]}}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: db, namespace: earth}}\nspec: {{template: {{}}}}\n"
    ))
    .unwrap();
    assert_eq!(*s.pod("mercury", "web-1").unwrap().containers, ["web"]);
    assert_eq!(
        s.absent_namespaces().into_iter().collect::<Vec<_>>(),
        ["earth", "mercury"]
    );
}

#[test]
fn kinds_the_model_does_not_read_are_counted_by_kind_and_api_version() {
    let s = Snapshot::from_yaml(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: mercury}\n---\n\
         apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: mercury}\n---\n\
         apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web, namespace: mercury}\n---\n\
         apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old, namespace: mercury}\n---\n\
         apiVersion: v1\nkind: Secret\n",
    )
    .unwrap();
    let skipped: Vec<_> = s.skipped().iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(
        skipped,
        [
            ("Deployment (extensions/v1beta1)", 1),
            ("DestinationRule (networking.istio.io/v1)", 1),
            ("Secret (v1)", 1),
            ("Service (v1)", 2),
        ]
    );
    assert!(s.counts().is_empty());
}

#[test]
fn config_maps_not_named_istio_are_skipped_as_configmap_v1_and_mesh_ones_kept() {
    let s = Snapshot::from_yaml(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-root-ca.crt, namespace: istio-system}\ndata: {ca.crt: x}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector-canary, namespace: istio-system}\ndata: {values: '{}'}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata: {mesh: 'defaultConfig: {}'}\n",
    )
    .unwrap();
    assert_eq!(s.skipped()["ConfigMap (v1)"], 1);
    assert_eq!(
        s.config_maps()
            .map(|c| c.meta.name.as_str())
            .collect::<Vec<_>>(),
        ["istio", "istio-sidecar-injector-canary"]
    );
    assert_eq!(
        s.config_map("istio-system", "istio").unwrap().data["mesh"],
        "defaultConfig: {}"
    );
}

#[test]
fn typed_list_items_without_kind_or_api_version_take_them_from_the_list() {
    let s = Snapshot::from_yaml(
        "apiVersion: v1\nkind: PodList\nitems:\n\
         - metadata: {name: web-1, namespace: mercury}\n  spec: {containers: [{name: web}, {name: istio-proxy}]}\n\
         - metadata: {name: web-2, namespace: mercury}\n  spec: {containers: [{name: web}]}\n\
         ---\napiVersion: apps/v1\nkind: ReplicaSetList\nitems:\n\
         - metadata: {name: web-5d9c, namespace: mercury}\n  spec: {template: {}}\n",
    )
    .unwrap();
    assert!(s.pod("mercury", "web-1").unwrap().has_proxy());
    assert!(!s.pod("mercury", "web-2").unwrap().has_proxy());
    assert_eq!(s.counts()["ReplicaSet"], 1);
}

#[test]
fn an_empty_list_or_one_without_items_adds_nothing() {
    let s = Snapshot::from_yaml(
        "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: List\nitems: null\n---\nkind: PodList\n",
    )
    .unwrap();
    assert!(s.counts().is_empty() && s.skipped().is_empty());
}

#[test]
fn a_json_stream_of_objects_and_a_json_list_are_read() {
    let stream = r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mercury"}}
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "venus", "labels": {"istio.io/rev": "canary"}}}"#;
    let s = Snapshot::from_yaml(stream).unwrap();
    assert_eq!(
        s.namespace("venus").unwrap().meta.labels["istio.io/rev"],
        "canary"
    );
    assert_eq!(s.namespaces().count(), 2);

    let list = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "web-1", "namespace": "mercury",
                  "annotations": {"sidecar.istio.io/status": "{\"revision\":\"canary\"}"}},
     "spec": {"containers": [{"name": "web"}, {"name": "istio-proxy"}]},
     "status": {"phase": "Running"}}
  ]
}"#;
    let s = Snapshot::from_yaml(list).unwrap();
    let pod = s.pod("mercury", "web-1").unwrap();
    assert_eq!(pod.phase.as_deref(), Some("Running"));
    // The injection record is read into its own field at ingest.
    assert_eq!(
        pod.sidecar_status.as_ref().and_then(|r| r.revision()),
        Some("canary")
    );
}

#[test]
fn a_yaml_stream_may_hold_a_json_document() {
    let s = Snapshot::from_yaml(&format!(
        "{NS}metadata: {{name: mercury}}\n---\n\
         {{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"venus\"}}}}\n"
    ))
    .unwrap();
    assert_eq!(
        s.namespaces().map(|n| n.name()).collect::<Vec<_>>(),
        ["mercury", "venus"]
    );
}

#[test]
fn empty_documents_comments_and_a_trailing_separator_are_ignored() {
    let s = Snapshot::from_yaml(&format!(
        "---\n---\n# nothing here\n---\n{NS}metadata: {{name: mercury}}\n---\n\n---\n{NS}metadata: {{name: venus}}\n...\n---\n"
    ))
    .unwrap();
    assert_eq!(s.namespaces().count(), 2);
    assert!(Snapshot::from_yaml("").unwrap().counts().is_empty());
    assert!(Snapshot::from_yaml("---\n").unwrap().counts().is_empty());
}

#[test]
fn a_byte_order_mark_before_yaml_or_json_is_ignored() {
    let yaml = format!("\u{feff}{NS}metadata: {{name: mercury}}\n");
    assert!(
        Snapshot::from_yaml(&yaml)
            .unwrap()
            .namespace("mercury")
            .is_some()
    );
    let json = "\u{feff}{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"mercury\"}}";
    assert!(
        Snapshot::from_yaml(json)
            .unwrap()
            .namespace("mercury")
            .is_some()
    );
    let via_reader = Snapshot::from_reader("bom.yaml", yaml.as_bytes()).unwrap();
    assert!(via_reader.namespace("mercury").is_some());
}

#[test]
fn one_name_in_different_kinds_or_namespaces_is_not_a_duplicate() {
    let s = Snapshot::from_yaml(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: mercury}\nspec: {template: {}}\n---\n\
         apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web, namespace: mercury}\nspec: {template: {}}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: venus}\nspec: {template: {}}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n",
    )
    .unwrap();
    assert_eq!(s.workloads().count(), 3);
    assert_eq!(s.namespaces().count(), 1);
}

/// Only the annotations meshrev reads are kept (`labels::is_kept_annotation`):
/// Istio's and Maistra's, and `kubectl rollout restart`'s.
#[test]
fn only_the_annotations_meshrev_reads_are_kept() {
    let s = Snapshot::from_yaml(&format!(
        "{NS}metadata:\n  name: mercury\n  annotations:\n    \
         kubectl.kubernetes.io/last-applied-configuration: '{{\"big\": \"blob\"}}'\n    \
         openshift.io/description: 'Any text, spaces and all'\n    \
         sidecar.istio.io/inject: 'false'\n    \
         maistra.io/member-of: istio-system\n    \
         kubectl.kubernetes.io/restartedAt: '2026-12-02T08:00:00Z'\n    \
         notistio.io/x: y\n"
    ))
    .unwrap();
    let ann = &s.namespace("mercury").unwrap().meta.annotations;
    assert_eq!(
        ann.keys().collect::<Vec<_>>(),
        [
            "kubectl.kubernetes.io/restartedAt",
            "maistra.io/member-of",
            "sidecar.istio.io/inject"
        ]
    );
}
