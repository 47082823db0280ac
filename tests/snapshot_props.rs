//! Property tests of snapshot reading: whatever the text, the reader returns `Ok`
//! or `Err` and never panics; the YAML and JSON forms of one cluster read the
//! same; a valid cluster written out as YAML or JSON reads back unchanged.

use std::collections::BTreeMap;

use meshrev::Snapshot;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrinking a failure can take long; the first failure is what matters.
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

/// Reads `text` and renders the outcome, exercising the error's `Display` too.
fn read(text: &str) -> Result<Snapshot, String> {
    Snapshot::from_yaml(text).map_err(|e| e.to_string())
}

// ------------------------------------------------------------ arbitrary text

/// Pieces of `kubectl` output and of YAML/JSON syntax, glued at random.
const FRAGMENTS: &[&str] = &[
    "apiVersion: v1\n",
    "apiVersion: apps/v1\n",
    "apiVersion: admissionregistration.k8s.io/v1\n",
    "apiVersion: sailoperator.io/v1\n",
    "kind: Pod\n",
    "kind: Namespace\n",
    "kind: Deployment\n",
    "kind: List\n",
    "kind: PodList\n",
    "kind: MutatingWebhookConfiguration\n",
    "kind: IstioRevisionTag\n",
    "---\n",
    "...\n",
    "metadata:\n",
    "metadata: {name: a, namespace: b}\n",
    "  name: ",
    "  namespace: ",
    "  labels:\n",
    "    istio.io/rev: ",
    "  annotations: {sidecar.istio.io/status: '{\"revision\":\"x\"}'}\n",
    "  ownerReferences: [{kind: ReplicaSet, name: web, controller: true}]\n",
    "spec:\n",
    "spec: {containers: [{name: web}]}\n",
    "  containers:\n",
    "  - name: istio-proxy\n",
    "  template:\n",
    "items:\n",
    "webhooks:\n",
    "- name: a.istio.io\n",
    "  namespaceSelector:\n",
    "    matchExpressions:\n",
    "    - {key: istio.io/rev, operator: In, values: [canary]}\n",
    "  targetRef: {kind: Istio, name: default}\n",
    "mercury",
    "web-1",
    "Mercury",
    "\n",
    "  ",
    "    ",
    "\t",
    "- ",
    ": ",
    ", ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "# comment\n",
    "&anchor ",
    "*anchor",
    "!!str ",
    "!custom ",
    "<<: ",
    "? ",
    "|\n",
    ">-\n",
    "%YAML 1.2\n",
    "null",
    "~",
    "3",
    "-1e999",
    "true",
    "\u{feff}",
    "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\"",
    ", \"metadata\": {\"name\": \"a\"}}",
    "{\"kind\": \"List\", \"items\": [",
    "\\u0000",
    "é",
];

fn yamlish() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            4 => select(FRAGMENTS).prop_map(str::to_owned),
            1 => "[ -~]{0,4}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn any_string_is_read_or_refused_without_panicking(text in any::<String>()) {
        let _ = read(&text);
    }

    #[test]
    fn yaml_like_fragments_in_any_order_are_read_or_refused_without_panicking(
        text in yamlish()
    ) {
        let _ = read(&text);
    }
}

// ---------------------------------------------------------- arbitrary trees

/// Field names the reader looks for, so that random trees reach deep checks.
const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "uid",
    "labels",
    "annotations",
    "ownerReferences",
    "controller",
    "spec",
    "status",
    "template",
    "containers",
    "initContainers",
    "hostNetwork",
    "replicas",
    "phase",
    "data",
    "webhooks",
    "clientConfig",
    "service",
    "path",
    "url",
    "namespaceSelector",
    "objectSelector",
    "matchLabels",
    "matchExpressions",
    "key",
    "operator",
    "values",
    "items",
    "version",
    "mode",
    "meshConfig",
    "discoverySelectors",
    "proxy",
    "injection",
    "autoInject",
    "members",
    "memberSelectors",
    "controlPlaneRef",
    "updateStrategy",
    "type",
    "targetRef",
    "activeRevisionName",
    "istioRevision",
    "external_services",
    "prometheus",
    "tracing",
    "enabled",
    "istio.io/rev",
    "istio-injection",
    "<<",
];

/// String leaves that mean something to the reader.
const WORDS: &[&str] = &[
    "",
    "mercury",
    "istio-system",
    "web-1",
    "Mercury",
    "a b",
    "-x",
    "a/b/c",
    "istio.io/",
    "In",
    "NotIn",
    "Exists",
    "DoesNotExist",
    "Equals",
    "Istio",
    "IstioRevision",
    "ClusterWide",
    "MultiTenant",
    "InPlace",
    "RevisionBased",
    "ReplicaSet",
    "Deployment",
    "istio-proxy",
    "v1",
    "List",
];

const KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "Pod"),
    ("v1", "ConfigMap"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    ("maistra.io/v2", "ServiceMeshControlPlane"),
    ("maistra.io/v1", "ServiceMeshMemberRoll"),
    ("maistra.io/v1", "ServiceMeshMember"),
    ("sailoperator.io/v1", "Istio"),
    ("sailoperator.io/v1", "IstioRevision"),
    ("sailoperator.io/v1", "IstioRevisionTag"),
    ("kiali.io/v1alpha1", "Kiali"),
    ("v1", "Service"),
];

const API_VERSIONS: &[&str] = &[
    "v1",
    "apps/v1",
    "admissionregistration.k8s.io/v1",
    "maistra.io/v2",
    "maistra.io/v1",
    "sailoperator.io/v1",
    "kiali.io/v1alpha1",
];

fn string_leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(WORDS).prop_map(str::to_owned),
        2 => "[a-z0-9.-]{1,12}",
        1 => "\\PC{0,8}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(FIELDS).prop_map(str::to_owned),
        1 => string_leaf(),
    ]
}

/// Floats whose decimal form both parsers read back exactly (an `i32` over a
/// small power of two). serde_json without its `float_roundtrip` feature may
/// read a long decimal one unit in the last place away from the value YAML reads.
fn exact_float() -> impl Strategy<Value = f64> {
    (any::<i32>(), 0..=8i32).prop_map(|(m, e)| f64::from(m) / 2f64.powi(e))
}

fn leaf(floats: BoxedStrategy<f64>) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // NaN and infinities become null, as in serde_json.
        floats.prop_map(Value::from),
        string_leaf().prop_map(Value::from),
    ]
}

/// Any tree, any float included.
fn any_tree() -> BoxedStrategy<Value> {
    tree_of(leaf(any::<f64>().boxed()))
}

/// A tree whose YAML and JSON forms read as the same value.
fn tree() -> BoxedStrategy<Value> {
    tree_of(leaf(exact_float().boxed()))
}

fn tree_of(leaf: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Labels or annotations: mostly strings, sometimes any tree.
fn loose_labels() -> impl Strategy<Value = BTreeMap<String, Value>> {
    btree_map(
        key(),
        prop_oneof![3 => string_leaf().prop_map(Value::from), 1 => tree()],
        0..4,
    )
}

/// `metadata`: mostly shaped like the real thing, sometimes any tree.
fn metadata() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => tree(),
        4 => (
            proptest::option::of(string_leaf()),
            proptest::option::of(string_leaf()),
            proptest::option::of(loose_labels()),
            proptest::option::of(loose_labels()),
            proptest::option::of(tree()),
        )
            .prop_map(|(name, namespace, labels, annotations, owners)| {
                let mut m = Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), v);
                    }
                };
                put("name", name.map(Value::from));
                put("namespace", namespace.map(Value::from));
                put("labels", labels.map(|l| Value::Object(l.into_iter().collect())));
                put("annotations", annotations.map(|l| Value::Object(l.into_iter().collect())));
                put("ownerReferences", owners);
                Value::Object(m)
            }),
    ]
}

/// One object: a random tree with, most of the time, a known kind, a matching
/// (or sometimes another) apiVersion, and metadata shaped like metadata.
fn random_object() -> impl Strategy<Value = Value> {
    (
        vec((key(), tree()), 0..5),
        proptest::option::weighted(0.9, select(KINDS)),
        proptest::option::weighted(0.15, select(API_VERSIONS)),
        proptest::option::weighted(0.9, metadata()),
    )
        .prop_map(|(fields, kind, other_api_version, metadata)| {
            let mut m: Map<String, Value> = fields.into_iter().collect();
            if let Some((api_version, kind)) = kind {
                m.insert("kind".into(), kind.into());
                m.insert(
                    "apiVersion".into(),
                    other_api_version.unwrap_or(api_version).into(),
                );
            }
            if let Some(metadata) = metadata {
                m.insert("metadata".into(), metadata);
            }
            Value::Object(m)
        })
}

/// A valid object of every kind the reader keeps, as `kubectl` prints it.
fn valid_objects() -> Vec<Value> {
    let selector = json!({
        "matchLabels": {"istio.io/rev": "canary"},
        "matchExpressions": [
            {"key": "istio-injection", "operator": "NotIn", "values": ["disabled"]},
            {"key": "istio.io/deactivated", "operator": "DoesNotExist"},
        ],
    });
    let workload = |kind: &str| {
        json!({
            "apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": "web", "namespace": "mercury", "uid": "u-1",
                         "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
            "spec": {"replicas": 2, "template": {
                "metadata": {"labels": {"app": "web", "istio.io/rev": "canary"},
                             "annotations": {"sidecar.istio.io/inject": "true"}},
                "spec": {"hostNetwork": false, "containers": [{"name": "web"}]}}},
        })
    };
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "mercury", "labels": {"istio.io/rev": "canary"}}}),
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web-5d9c-abcde", "namespace": "mercury",
                            "labels": {"app": "web"},
                            "annotations": {"sidecar.istio.io/status": "{\"revision\":\"canary\"}"},
                            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d9c", "uid": "u-2", "controller": true}]},
               "spec": {"hostNetwork": false, "containers": [{"name": "web"}, {"name": "istio-proxy"}],
                        "initContainers": [{"name": "istio-init"}]},
               "status": {"phase": "Running"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "istio-sidecar-injector-canary", "namespace": "istio-system"},
               "data": {"values": "{}", "config": "policy: enabled"}}),
        workload("Deployment"),
        workload("StatefulSet"),
        workload("DaemonSet"),
        workload("ReplicaSet"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
               "metadata": {"name": "istio-sidecar-injector-canary", "labels": {"istio.io/rev": "canary"}},
               "webhooks": [{"name": "rev.namespace.sidecar-injector.istio.io",
                             "clientConfig": {"service": {"name": "istiod-canary", "namespace": "istio-system", "path": "/inject"}},
                             "namespaceSelector": selector,
                             "objectSelector": {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]}},
                            {"name": "rev.object.sidecar-injector.istio.io", "clientConfig": {"url": "https://istiod:443/inject"}}]}),
        json!({"apiVersion": "maistra.io/v2", "kind": "ServiceMeshControlPlane",
               "metadata": {"name": "basic", "namespace": "istio-system"},
               "spec": {"version": "v2.6", "mode": "ClusterWide",
                        "meshConfig": {"discoverySelectors": [selector]},
                        "proxy": {"injection": {"autoInject": true}}}}),
        json!({"apiVersion": "maistra.io/v1", "kind": "ServiceMeshMemberRoll",
               "metadata": {"name": "default", "namespace": "istio-system"},
               "spec": {"members": ["mercury", "venus"], "memberSelectors": [{"matchLabels": {"mesh": "yes"}}]}}),
        json!({"apiVersion": "maistra.io/v1", "kind": "ServiceMeshMember",
               "metadata": {"name": "default", "namespace": "mercury"},
               "spec": {"controlPlaneRef": {"name": "basic", "namespace": "istio-system"}}}),
        json!({"apiVersion": "sailoperator.io/v1", "kind": "Istio",
               "metadata": {"name": "default"},
               "spec": {"version": "v1.24.3", "namespace": "istio-system",
                        "updateStrategy": {"type": "RevisionBased", "inactiveRevisionDeletionGracePeriodSeconds": 30},
                        "values": {"meshConfig": {"discoverySelectors": [selector]}}},
               "status": {"activeRevisionName": "default-v1-24-3"}}),
        json!({"apiVersion": "sailoperator.io/v1", "kind": "IstioRevision",
               "metadata": {"name": "default-v1-24-3"},
               "spec": {"version": "v1.24.3", "namespace": "istio-system", "values": {"revision": "default-v1-24-3"}}}),
        json!({"apiVersion": "sailoperator.io/v1", "kind": "IstioRevisionTag",
               "metadata": {"name": "default"},
               "spec": {"targetRef": {"kind": "Istio", "name": "default"}},
               "status": {"istioRevision": "default-v1-24-3"}}),
        json!({"apiVersion": "kiali.io/v1alpha1", "kind": "Kiali",
               "metadata": {"name": "kiali", "namespace": "istio-system"},
               "spec": {"external_services": {"prometheus": {"url": "http://prometheus:9090"},
                                              "tracing": {"enabled": true, "provider": "tempo"},
                                              "grafana": {"enabled": false}}}}),
    ]
}

/// One change at a random place of an object.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    Remove(Index),
    Insert(String, Value),
}

fn edit() -> impl Strategy<Value = (Vec<Index>, Edit)> {
    (
        vec(any::<Index>(), 1..7),
        prop_oneof![
            tree().prop_map(Edit::Replace),
            any::<Index>().prop_map(Edit::Remove),
            (key(), tree()).prop_map(|(k, v)| Edit::Insert(k, v)),
        ],
    )
}

/// Walks down `path` (one child per step, as far as the tree goes) and edits there.
fn apply(value: &mut Value, path: &[Index], edit: Edit) {
    let mut node = value;
    for (depth, step) in path.iter().enumerate() {
        // Random objects already cover a bad kind or apiVersion: edit the body.
        let skip = |k: &String| depth == 0 && (k == "kind" || k == "apiVersion");
        let len = match &*node {
            Value::Object(m) => m.keys().filter(|k| !skip(k)).count(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if len == 0 {
            break;
        }
        let i = step.index(len);
        node = match node {
            Value::Object(m) => {
                let mut children = m.iter_mut().filter(|(k, _)| !skip(k)).map(|(_, v)| v);
                children.nth(i).expect("i < len")
            }
            Value::Array(a) => &mut a[i],
            leaf => leaf,
        };
    }
    match (edit, node) {
        (Edit::Replace(v), node) => *node = v,
        (Edit::Remove(i), Value::Object(m)) if !m.is_empty() => {
            let key = m.keys().nth(i.index(m.len())).expect("i < len").clone();
            m.remove(&key);
        }
        (Edit::Remove(i), Value::Array(a)) if !a.is_empty() => {
            a.remove(i.index(a.len()));
        }
        (Edit::Remove(_), node) => *node = Value::Null,
        (Edit::Insert(k, v), Value::Object(m)) => {
            m.insert(k, v);
        }
        (Edit::Insert(_, v), node) => *node = v,
    }
}

/// A valid object of a random kind with a few random edits (none, sometimes).
fn edited_object() -> impl Strategy<Value = Value> {
    (select(valid_objects()), vec(edit(), 0..4)).prop_map(|(mut object, edits)| {
        for (path, edit) in edits {
            apply(&mut object, &path, edit);
        }
        object
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop_oneof![1 => random_object(), 2 => edited_object()]
}

/// A document: an object, or a `List`/`PodList`/`DeploymentList` of them.
fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => object(),
        1 => (
            select(&[("v1", "List"), ("v1", "PodList"), ("apps/v1", "DeploymentList")][..]),
            vec(prop_oneof![4 => object(), 1 => tree()], 0..4),
        )
            .prop_map(|((api_version, kind), items)| {
                json!({"apiVersion": api_version, "kind": kind, "items": items})
            }),
    ]
}

fn yaml_stream(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| serde_yaml::to_string(d).expect("a JSON value is representable in YAML"))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn json_stream(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| serde_json::to_string_pretty(d).expect("a JSON value serializes"))
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(config(800))]

    #[test]
    fn any_tree_as_yaml_or_json_is_read_or_refused_without_panicking(doc in any_tree()) {
        let _ = read(&serde_yaml::to_string(&doc).expect("YAML"));
        let _ = read(&serde_json::to_string(&doc).expect("JSON"));
    }

    #[test]
    fn objects_of_every_kind_with_random_fields_read_the_same_from_yaml_and_json(
        docs in vec(document(), 1..4)
    ) {
        let from_yaml = read(&yaml_stream(&docs));
        let from_json = read(&json_stream(&docs));
        // The same values reach the decoder either way, so the outcome (object
        // or error, down to its message) must not depend on the syntax; except
        // that a field that is always a string takes a YAML plain scalar
        // (`false`, `-1.0`) as its text, where JSON's typed value is refused
        // (the text may then be accepted, or refused by the field's own rules).
        let yaml_only = matches!(
            &from_json,
            Err(e) if e.contains("invalid type: ") && e.contains(", expected a string")
        ) && from_yaml != from_json;
        if !yaml_only {
            prop_assert_eq!(from_yaml, from_json);
        }
    }
}

// -------------------------------------------------- valid clusters round-trip

/// Values YAML might read as something other than a string if left unquoted.
const TRICKY: &[&str] = &[
    "true",
    "false",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "N",
    "1",
    "10",
    "010",
    "0x1F",
    "0o17",
    "0b101",
    "1e3",
    "1E3",
    "1.5",
    "1_000",
    "inf",
    "nan",
    "NaN",
    "2001-12-14",
    "1-24-0",
    "0.0",
];

fn dns_label() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?",
        1 => "[a-z][-a-z0-9]{61}[a-z0-9]",
        1 => select(TRICKY).prop_filter("a DNS label", |s| {
            meshrev::labels::check_dns1123_label(s).is_ok()
        }).prop_map(str::to_owned),
    ]
}

fn dns_subdomain() -> impl Strategy<Value = String> {
    vec(
        dns_label().prop_map(|l| l[..l.len().min(20)].trim_end_matches('-').to_owned()),
        1..4,
    )
    .prop_map(|parts| parts.join("."))
    .prop_filter("a DNS subdomain", |s| {
        meshrev::labels::check_dns1123_subdomain(s).is_ok()
    })
}

fn label_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Za-z0-9]([-A-Za-z0-9_.]{0,14}[A-Za-z0-9])?",
        1 => "[A-Za-z0-9][-A-Za-z0-9_.]{61}[A-Za-z0-9]",
        2 => select(TRICKY).prop_map(str::to_owned),
    ]
}

fn label_key() -> impl Strategy<Value = String> {
    (proptest::option::of(dns_subdomain()), label_segment()).prop_map(|(prefix, name)| match prefix
    {
        Some(p) => format!("{p}/{name}"),
        None => name,
    })
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just(String::new()), 6 => label_segment()]
}

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(label_key(), label_value(), 0..5)
}

/// Annotation values are free text: the injector's JSON record, anything else.
fn annotations() -> impl Strategy<Value = BTreeMap<String, String>> {
    let value = prop_oneof![
        2 => any::<String>(),
        1 => select(TRICKY).prop_map(str::to_owned),
        1 => "[a-z0-9-]{1,12}".prop_map(|rev| {
            json!({"initContainers": ["istio-init"], "containers": ["istio-proxy"], "revision": rev})
                .to_string()
        }),
        1 => Just("multi\nline\n  text: with: colons\n# and a hash".to_owned()),
    ];
    // Half the keys are Istio's, which a snapshot keeps; the rest it drops.
    let key = prop_oneof![
        label_key(),
        "[a-z]{1,8}".prop_map(|k| format!("sidecar.istio.io/x-{k}")),
    ];
    btree_map(key, value, 0..4)
}

#[derive(Debug, Clone)]
struct GenPod {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    containers: Vec<String>,
    host_network: bool,
}

#[derive(Debug, Clone)]
struct GenNamespace {
    labels: BTreeMap<String, String>,
    pods: BTreeMap<String, GenPod>,
}

fn pod() -> impl Strategy<Value = GenPod> {
    (
        labels(),
        annotations(),
        vec(dns_label(), 1..4),
        any::<bool>(),
    )
        .prop_map(|(labels, annotations, containers, host_network)| GenPod {
            labels,
            annotations,
            containers,
            host_network,
        })
}

fn cluster() -> impl Strategy<Value = BTreeMap<String, GenNamespace>> {
    btree_map(
        dns_label(),
        (labels(), btree_map(dns_subdomain(), pod(), 0..4))
            .prop_map(|(labels, pods)| GenNamespace { labels, pods }),
        1..5,
    )
}

fn cluster_documents(cluster: &BTreeMap<String, GenNamespace>) -> Vec<Value> {
    let mut docs = Vec::new();
    for (ns, n) in cluster {
        docs.push(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": n.labels},
        }));
        for (name, p) in &n.pods {
            let containers: Vec<Value> = p.containers.iter().map(|c| json!({"name": c})).collect();
            docs.push(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": p.labels, "annotations": p.annotations},
                "spec": {"containers": containers, "hostNetwork": p.host_network},
            }));
        }
    }
    docs
}

fn assert_reads_back(
    snapshot: &Snapshot,
    cluster: &BTreeMap<String, GenNamespace>,
) -> Result<(), TestCaseError> {
    let names: Vec<&str> = snapshot.namespaces().map(|n| n.name()).collect();
    prop_assert_eq!(
        names,
        cluster.keys().map(String::as_str).collect::<Vec<_>>()
    );
    for (ns, n) in cluster {
        let read = snapshot.namespace(ns).expect("listed above");
        prop_assert_eq!(&read.meta.labels, &n.labels);
        let pods: Vec<&str> = snapshot.pods_in(ns).map(|p| p.meta.name.as_str()).collect();
        prop_assert_eq!(pods, n.pods.keys().map(String::as_str).collect::<Vec<_>>());
        for (name, p) in &n.pods {
            let read = snapshot.pod(ns, name).expect("listed above");
            prop_assert_eq!(&read.meta.labels, &p.labels);
            let kept: BTreeMap<String, String> = p
                .annotations
                .iter()
                .filter(|(k, _)| meshrev::labels::is_kept_annotation(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            prop_assert_eq!(read.meta.annotations.as_map(), &kept);
            prop_assert_eq!(&*read.containers, &p.containers[..]);
            prop_assert_eq!(read.host_network, p.host_network);
        }
    }
    prop_assert!(snapshot.absent_namespaces().is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn a_valid_cluster_written_as_yaml_reads_back_with_the_same_names_and_labels(
        cluster in cluster()
    ) {
        let docs = cluster_documents(&cluster);
        let snapshot = Snapshot::from_yaml(&yaml_stream(&docs));
        prop_assert!(snapshot.is_ok(), "{}", snapshot.unwrap_err());
        assert_reads_back(&snapshot.unwrap(), &cluster)?;
    }

    #[test]
    fn a_valid_cluster_written_as_a_json_list_reads_back_with_the_same_names_and_labels(
        cluster in cluster()
    ) {
        let list = json!({"apiVersion": "v1", "kind": "List", "items": cluster_documents(&cluster)});
        let snapshot = Snapshot::from_yaml(&serde_json::to_string_pretty(&list).expect("JSON"));
        prop_assert!(snapshot.is_ok(), "{}", snapshot.unwrap_err());
        assert_reads_back(&snapshot.unwrap(), &cluster)?;
    }
}
