//! `k8s-openapi` values read exactly as the same objects printed by `kubectl`:
//! the conversions equal what the YAML path gives, refuse what it refuses with
//! the same error, and `SnapshotBuilder::add` takes every kind.

use k8s_openapi::api::admissionregistration::v1 as adm;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use meshrev::snapshot::{
    ConfigMap, MutatingWebhookConfiguration, Namespace, Pod, Workload, WorkloadKind,
};
use meshrev::{Error, Snapshot, SnapshotBuilder};
use serde::de::DeserializeOwned;

const NAMESPACE: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: mercury
  uid: 9f3c
  labels:
    istio.io/rev: canary
    kubernetes.io/metadata.name: mercury
  annotations:
    openshift.io/sa.scc.mcs: "s0:c26,c15"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Namespace"}
spec:
  finalizers: [kubernetes]
status:
  phase: Active
"#;

const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-5d9c7b-x2kqp
  namespace: mercury
  uid: 1a2b
  labels:
    app: web
    pod-template-hash: 5d9c7b
    service.istio.io/canonical-revision: latest
  annotations:
    sidecar.istio.io/status: '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"revision":"canary"}'
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-5d9c7b
    uid: 3c4d
    controller: true
    blockOwnerDeletion: true
spec:
  hostNetwork: false
  initContainers:
  - name: istio-init
    image: proxyv2:1.24.3
  containers:
  - name: web
    image: quay.io/example/web:1.0
    ports:
    - containerPort: 8080
  - name: istio-proxy
    image: proxyv2:1.24.3
status:
  phase: Running
  podIP: 10.128.0.12
"#;

const CONFIG_MAP: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector-canary
  namespace: istio-system
  labels:
    istio.io/rev: canary
data:
  config: |
    policy: enabled
    alwaysInjectSelector: []
  values: '{"revision":"canary"}'
"#;

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: mercury
  uid: 5e6f
  labels:
    app: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        istio.io/rev: canary
      annotations:
        kubectl.kubernetes.io/restartedAt: "2024-11-02T10:00:00Z"
    spec:
      containers:
      - name: web
        image: quay.io/example/web:1.0
"#;

const STATEFUL_SET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: mercury
spec:
  replicas: 1
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db, sidecar.istio.io/inject: "false"}
    spec:
      containers:
      - name: postgres
        image: postgres:16
"#;

const DAEMON_SET: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  namespace: monitoring
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: agent:2
"#;

const REPLICA_SET: &str = r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d9c7b
  namespace: mercury
  uid: 3c4d
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    uid: 5e6f
    controller: true
spec:
  replicas: 3
  selector:
    matchLabels: {app: web, pod-template-hash: 5d9c7b}
  template:
    metadata:
      labels: {app: web, pod-template-hash: 5d9c7b}
    spec:
      containers:
      - name: web
        image: quay.io/example/web:1.0
"#;

const WEBHOOK: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-sidecar-injector-canary
  labels:
    istio.io/rev: canary
    app: sidecar-injector
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  clientConfig:
    service:
      name: istiod-canary
      namespace: istio-system
      path: /inject
      port: 443
    caBundle: LS0tLS1CRUdJTg==
  namespaceSelector:
    matchExpressions:
    - key: istio.io/rev
      operator: In
      values: [canary]
    - key: istio-injection
      operator: DoesNotExist
  objectSelector:
    matchExpressions:
    - key: sidecar.istio.io/inject
      operator: NotIn
      values: ["false"]
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
- name: rev.object.sidecar-injector.istio.io
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    url: https://istiod-canary.istio-system.svc:443/inject
  objectSelector:
    matchLabels:
      istio.io/rev: canary
"#;

/// The same text read by `kubectl`'s client library, as a `k8s-openapi` value.
fn k8s<K: DeserializeOwned>(yaml: &str) -> K {
    serde_yaml::from_str(yaml).expect("a valid k8s-openapi object")
}

fn snapshot(yaml: &str) -> Snapshot {
    Snapshot::from_yaml(yaml).expect("the YAML path reads it")
}

#[test]
fn a_namespace_converts_to_what_its_yaml_reads_as() {
    let from_yaml = snapshot(NAMESPACE).namespace("mercury").cloned().unwrap();
    let converted = Namespace::try_from(&k8s::<core::Namespace>(NAMESPACE)).unwrap();
    assert_eq!(converted, from_yaml);
    assert_eq!(converted.meta.uid.as_deref(), Some("9f3c"));
    assert!(
        !converted
            .meta
            .annotations
            .contains_key("kubectl.kubernetes.io/last-applied-configuration")
    );
}

#[test]
fn a_pod_converts_to_what_its_yaml_reads_as() {
    let from_yaml = snapshot(POD)
        .pod("mercury", "web-5d9c7b-x2kqp")
        .cloned()
        .unwrap();
    let converted = Pod::try_from(&k8s::<core::Pod>(POD)).unwrap();
    assert_eq!(converted, from_yaml);
    assert!(converted.has_proxy());
    assert_eq!(*converted.init_containers, ["istio-init"]);
    assert_eq!(converted.phase.as_deref(), Some("Running"));
    assert_eq!(converted.meta.controller().unwrap().name, "web-5d9c7b");
}

#[test]
fn a_mesh_config_map_converts_to_what_its_yaml_reads_as() {
    let from_yaml = snapshot(CONFIG_MAP)
        .config_map("istio-system", "istio-sidecar-injector-canary")
        .cloned()
        .unwrap();
    let converted = ConfigMap::try_from(&k8s::<core::ConfigMap>(CONFIG_MAP)).unwrap();
    assert_eq!(converted, from_yaml);
}

#[test]
fn every_workload_kind_converts_to_what_its_yaml_reads_as() {
    let cases: [(&str, WorkloadKind, &str, &str, Workload); 4] = [
        (
            DEPLOYMENT,
            WorkloadKind::Deployment,
            "mercury",
            "web",
            Workload::try_from(&k8s::<apps::Deployment>(DEPLOYMENT)).unwrap(),
        ),
        (
            STATEFUL_SET,
            WorkloadKind::StatefulSet,
            "mercury",
            "db",
            Workload::try_from(&k8s::<apps::StatefulSet>(STATEFUL_SET)).unwrap(),
        ),
        (
            DAEMON_SET,
            WorkloadKind::DaemonSet,
            "monitoring",
            "node-agent",
            Workload::try_from(&k8s::<apps::DaemonSet>(DAEMON_SET)).unwrap(),
        ),
        (
            REPLICA_SET,
            WorkloadKind::ReplicaSet,
            "mercury",
            "web-5d9c7b",
            Workload::try_from(&k8s::<apps::ReplicaSet>(REPLICA_SET)).unwrap(),
        ),
    ];
    for (yaml, kind, ns, name, converted) in cases {
        let from_yaml = snapshot(yaml).workload(ns, kind, name).cloned().unwrap();
        assert_eq!(converted, from_yaml, "{kind} {ns}/{name}");
        assert_eq!(converted.kind, kind);
    }
    let daemon = Workload::try_from(&k8s::<apps::DaemonSet>(DAEMON_SET)).unwrap();
    assert!(daemon.template.host_network);
    assert_eq!(daemon.replicas, None);
}

#[test]
fn a_webhook_configuration_converts_to_what_its_yaml_reads_as() {
    let from_yaml = snapshot(WEBHOOK)
        .webhook_configuration("istio-sidecar-injector-canary")
        .cloned()
        .unwrap();
    let converted =
        MutatingWebhookConfiguration::try_from(&k8s::<adm::MutatingWebhookConfiguration>(WEBHOOK))
            .unwrap();
    assert_eq!(converted, from_yaml);
    assert_eq!(converted.webhooks.len(), 2);
    assert_eq!(
        converted.webhooks[0].service.as_ref().unwrap().name,
        "istiod-canary"
    );
    assert_eq!(
        converted.webhooks[1].url.as_deref(),
        Some("https://istiod-canary.istio-system.svc:443/inject")
    );
}

#[test]
fn a_config_map_not_named_istio_converts_although_ingest_skips_it() {
    let cm = core::ConfigMap {
        metadata: ObjectMeta {
            name: Some("kube-root-ca.crt".into()),
            namespace: Some("mercury".into()),
            ..Default::default()
        },
        data: Some([("ca.crt".to_owned(), "-----BEGIN".to_owned())].into()),
        ..Default::default()
    };
    let converted = ConfigMap::try_from(&cm).unwrap();
    assert_eq!(converted.meta.name, "kube-root-ca.crt");
    assert_eq!(converted.data["ca.crt"], "-----BEGIN");

    let mut b = SnapshotBuilder::new();
    b.add(&cm).unwrap();
    let s = b.build();
    assert_eq!(s.config_maps().count(), 0);
    assert_eq!(s.skipped()["ConfigMap (v1)"], 1);
}

#[test]
fn snapshot_builder_adds_every_convertible_kind() {
    let mut b = SnapshotBuilder::new();
    b.add(&k8s::<core::Namespace>(NAMESPACE))
        .unwrap()
        .add(&k8s::<core::Pod>(POD))
        .unwrap()
        .add(&k8s::<core::ConfigMap>(CONFIG_MAP))
        .unwrap()
        .add(&k8s::<apps::Deployment>(DEPLOYMENT))
        .unwrap()
        .add(&k8s::<apps::StatefulSet>(STATEFUL_SET))
        .unwrap()
        .add(&k8s::<apps::DaemonSet>(DAEMON_SET))
        .unwrap()
        .add(&k8s::<apps::ReplicaSet>(REPLICA_SET))
        .unwrap()
        .add(&k8s::<adm::MutatingWebhookConfiguration>(WEBHOOK))
        .unwrap();
    let from_values = b.build();

    let all_yaml = [
        NAMESPACE,
        POD,
        CONFIG_MAP,
        DEPLOYMENT,
        STATEFUL_SET,
        DAEMON_SET,
        REPLICA_SET,
        WEBHOOK,
    ]
    .join("---\n");
    assert_eq!(from_values, snapshot(&all_yaml));

    let counts: Vec<_> = from_values.counts().into_iter().collect();
    assert_eq!(
        counts,
        [
            ("ConfigMap", 1),
            ("DaemonSet", 1),
            ("Deployment", 1),
            ("MutatingWebhookConfiguration", 1),
            ("Namespace", 1),
            ("Pod", 1),
            ("ReplicaSet", 1),
            ("StatefulSet", 1),
        ]
    );
    let pod = from_values.pod("mercury", "web-5d9c7b-x2kqp").unwrap();
    let owner = from_values.owner_of(pod).unwrap();
    assert_eq!(
        (owner.kind, owner.meta.name.as_str()),
        (WorkloadKind::Deployment, "web")
    );
}

#[test]
fn snapshot_builder_refuses_a_k8s_openapi_object_added_twice() {
    let ns = k8s::<core::Namespace>(NAMESPACE);
    let mut b = SnapshotBuilder::new();
    b.add(&ns).unwrap();
    let err = b.add(&ns).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Namespace mercury appears twice: at <value>: document 1 and at <value>: document 2"
    );
}

/// What an error says, without where it came from (`<input>` or `<value>`).
fn what(err: &Error) -> String {
    match err {
        Error::MissingField { object, field, .. } => format!("{object}: missing `{field}`"),
        Error::InvalidField {
            object,
            field,
            message,
            ..
        } => format!("{object}: invalid `{field}`: {message}"),
        other => format!("unexpected {other:?}"),
    }
}

/// Reads `yaml` both ways; both must fail alike. Returns the shared error.
fn refused_alike<K, T>(yaml: &str) -> String
where
    K: DeserializeOwned,
    for<'a> T: TryFrom<&'a K, Error = Error>,
{
    let by_text = Snapshot::from_yaml(yaml).expect_err("the YAML path refuses it");
    let by_value = T::try_from(&k8s::<K>(yaml))
        .err()
        .expect("the conversion refuses it");
    assert_eq!(what(&by_value), what(&by_text), "for {yaml}");
    assert!(
        by_value.to_string().starts_with("<value>: document 1: "),
        "{by_value}"
    );
    what(&by_text)
}

#[test]
fn a_conversion_refuses_what_the_yaml_path_refuses_with_the_same_error() {
    assert_eq!(
        refused_alike::<core::Namespace, Namespace>(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: Mercury}\n"
        ),
        "Namespace Mercury: invalid `metadata.name`: \"Mercury\" is not a valid name: 'M' is not allowed: only lower-case letters, digits and '-'"
    );
    assert_eq!(
        refused_alike::<core::Namespace, Namespace>(
            "apiVersion: v1\nkind: Namespace\nmetadata: {}\n"
        ),
        "Namespace <unnamed>: missing `metadata.name`"
    );
    assert_eq!(
        refused_alike::<core::Pod, Pod>(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1}\nspec: {containers: [{name: web}]}\n"
        ),
        "Pod web-1: missing `metadata.namespace`"
    );
    assert_eq!(
        refused_alike::<core::Pod, Pod>(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: mercury}\n"
        ),
        "Pod mercury/web-1: missing `spec`"
    );
    assert!(
        refused_alike::<core::ConfigMap, ConfigMap>(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system, labels: {bad key: x}}\n"
        )
        .starts_with("ConfigMap istio-system/istio: invalid `metadata.labels.bad key`")
    );
    assert!(
        refused_alike::<apps::Deployment, Workload>(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: mercury}\n\
             spec: {selector: {}, template: {metadata: {labels: {istio.io/rev: has space}}}}\n"
        )
        .starts_with(
            "Deployment mercury/web: invalid `spec.template.metadata.labels.istio.io/rev`"
        )
    );
    assert_eq!(
        refused_alike::<apps::ReplicaSet, Workload>(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-1, namespace: mercury}\nspec: {selector: {}}\n"
        ),
        "ReplicaSet mercury/web-1: missing `spec.template`"
    );
    assert!(
        refused_alike::<adm::MutatingWebhookConfiguration, MutatingWebhookConfiguration>(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n\
             metadata: {name: istio-sidecar-injector}\nwebhooks:\n\
             - name: a.istio.io\n  admissionReviewVersions: [v1]\n  sideEffects: None\n  clientConfig: {}\n\
             \x20 namespaceSelector: {matchExpressions: [{key: istio.io/rev, operator: Equals, values: [a]}]}\n"
        )
        .starts_with(
            "MutatingWebhookConfiguration istio-sidecar-injector: invalid \
             `webhooks[0].namespaceSelector.matchExpressions[0].operator`: unknown operator \"Equals\""
        )
    );
}

#[test]
fn a_webhook_built_in_rust_converts_with_its_selectors_checked() {
    let mut mwc = adm::MutatingWebhookConfiguration::default();
    mwc.metadata.name = Some("istio-revision-tag-default".into());
    mwc.metadata.labels = Some([("istio.io/tag".to_owned(), "default".to_owned())].into());
    mwc.webhooks = Some(vec![adm::MutatingWebhook {
        name: "rev.namespace.sidecar-injector.istio.io".into(),
        namespace_selector: Some(LabelSelector {
            match_expressions: Some(vec![
                k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement {
                    key: "istio.io/rev".into(),
                    operator: "In".into(),
                    values: Some(vec!["default".into()]),
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }]);
    let converted = MutatingWebhookConfiguration::try_from(&mwc).unwrap();
    let selector = converted.webhooks[0].namespace_selector.as_ref().unwrap();
    assert_eq!(selector.to_string(), "istio.io/rev in (default)");

    // `In` with no values is refused, as the API server would refuse it.
    if let Some(webhooks) = mwc.webhooks.as_mut()
        && let Some(expressions) = webhooks[0]
            .namespace_selector
            .as_mut()
            .and_then(|s| s.match_expressions.as_mut())
    {
        expressions[0].values = None;
    }
    let err = MutatingWebhookConfiguration::try_from(&mwc).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidField { field, .. } if field == "webhooks[0].namespaceSelector.matchExpressions[0]"),
        "{err:?}"
    );
}
