//! Hostile input is answered, never hangs: deep nesting (block and flow, YAML
//! and JSON), millions of empty documents, huge scalars, alias bombs, repeated
//! keys, truncated files and invalid UTF-8 are each accepted or refused with
//! the error that names the problem. The bench `benches/hostile.rs` times the
//! same cases (each is answered in milliseconds; this test asserts outcomes,
//! never times).

use meshrev::{Error, SnapshotBuilder};

#[path = "hostile/cases.rs"]
mod hostile;

use hostile::{Outcome, cases};

fn check(outcome: Outcome, result: Result<meshrev::Snapshot, Error>) -> Result<(), String> {
    match (outcome, result) {
        (Outcome::Accepted { pods }, Ok(s)) if s.pods().count() == pods => Ok(()),
        (Outcome::Accepted { pods }, Ok(s)) => Err(format!(
            "accepted with {} pods, not {pods}",
            s.pods().count()
        )),
        (
            Outcome::Syntax { format, message },
            Err(Error::Syntax {
                format: f,
                message: m,
                ..
            }),
        ) if f == format && m.contains(message) => Ok(()),
        (Outcome::Invalid { message }, Err(Error::InvalidField { message: m, .. }))
            if m.contains(message) =>
        {
            Ok(())
        }
        (want, got) => Err(format!(
            "wanted {want:?}, got {:?}",
            got.map(|s| s.counts())
        )),
    }
}

/// Each case through both entry points: text in memory (`add_str`, when it is
/// UTF-8) and a stream (`add_reader`).
#[test]
fn hostile_inputs_are_answered_with_the_right_error() {
    let cases = cases(1.0);
    let mut failures = Vec::new();
    for case in &cases {
        let streamed = SnapshotBuilder::new()
            .add_reader("<hostile>", case.bytes.as_slice())
            .map(|b| std::mem::take(b).build());
        if let Err(why) = check(case.outcome, streamed) {
            failures.push(format!("{} (reader): {why}", case.name));
        }
        if let Ok(text) = std::str::from_utf8(&case.bytes) {
            let in_memory = SnapshotBuilder::new()
                .add_str("<hostile>", text)
                .map(|b| std::mem::take(b).build());
            if let Err(why) = check(case.outcome, in_memory) {
                failures.push(format!("{} (str): {why}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The message for concatenated outputs names the line where the second one
/// starts and says what to do.
#[test]
fn outputs_concatenated_without_a_separator_are_refused_at_the_second_output() {
    // What `kubectl create namespace mercury --dry-run=client -o yaml` and
    // `kubectl create deployment web --image=nginx -n mercury --dry-run=client -o yaml`
    // print, glued with `cat`.
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: mercury\nspec: {}\nstatus: {}\n";
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n  name: web\n  namespace: mercury\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  strategy: {}\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n    spec:\n      containers:\n      - image: nginx\n        name: nginx\n        resources: {}\nstatus: {}\n";
    let err = meshrev::Snapshot::from_yaml(&format!("{ns}{deploy}")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "<input>: document 1, line 8 column 1: malformed YAML: duplicate key `apiVersion` in one \
         mapping (YAML and JSON require unique keys; outputs concatenated without `---` between \
         them read as one document)"
    );
    // With the separator both are read.
    let s = meshrev::Snapshot::from_yaml(&format!("{ns}---\n{deploy}")).unwrap();
    assert_eq!(s.namespaces().count(), 1);
    assert_eq!(s.workloads().count(), 1);
    // Two Lists appended with `>>`: the second `items` is refused too.
    let list = |name: &str| {
        format!(
            "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: {name}\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
        )
    };
    let err = meshrev::Snapshot::from_yaml(&format!("{}{}", list("a"), list("b"))).unwrap_err();
    assert!(
        err.to_string()
            .contains("line 10 column 1: malformed YAML: duplicate key `apiVersion`"),
        "{err}"
    );
}

/// A repeated key deeper down (a label given twice) is refused in YAML and in
/// JSON, naming the key.
#[test]
fn a_label_given_twice_is_refused_in_yaml_and_json() {
    let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mercury\n  labels:\n    istio.io/rev: ossm-2-6\n    istio.io/rev: ossm-3-0\n";
    let err = meshrev::Snapshot::from_yaml(yaml).unwrap_err();
    assert!(
        err.to_string()
            .contains("line 7 column 5: malformed YAML: duplicate key `istio.io/rev`"),
        "{err}"
    );
    let json = r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mercury", "labels": {"istio.io/rev": "ossm-2-6", "istio.io/rev": "ossm-3-0"}}}"#;
    let err = meshrev::Snapshot::from_yaml(json).unwrap_err();
    assert!(
        err.to_string().contains("duplicate key `istio.io/rev`"),
        "{err}"
    );
    let json = r#"{"apiVersion": "v1", "kind": "Namespace", "kind": "Namespace", "metadata": {"name": "mercury"}}"#;
    let err = meshrev::Snapshot::from_yaml(json).unwrap_err();
    assert!(err.to_string().contains("duplicate key `kind`"), "{err}");
}

/// YAML 1.1 producers (PyYAML's default) leave strings unquoted that YAML 1.2
/// reads as numbers or booleans; a field that is always a string takes the
/// text as written.
#[test]
fn plain_scalars_in_string_fields_are_read_as_their_text() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-17420e94-x\n  namespace: mercury\n  labels:\n    pod-template-hash: 17420e94\n    version: 1.20\n    release: 0x1A\n    canary: yes\n  annotations:\n    sidecar.istio.io/build: 12345\n    prometheus.io/port: 15020\nspec:\n  containers:\n  - name: web\n";
    let s = meshrev::Snapshot::from_yaml(yaml).unwrap();
    let pod = s.pod("mercury", "web-17420e94-x").unwrap();
    assert_eq!(pod.meta.labels["pod-template-hash"], "17420e94");
    assert_eq!(pod.meta.labels["version"], "1.20");
    assert_eq!(pod.meta.labels["release"], "0x1A");
    assert_eq!(pod.meta.labels["canary"], "yes");
    assert_eq!(pod.meta.annotations["sidecar.istio.io/build"], "12345");
    // Annotations meshrev does not read are not kept at all.
    assert!(!pod.meta.annotations.contains_key("prometheus.io/port"));
    // Non-string fields keep their types: `replicas: two` is still refused.
    let err = meshrev::Snapshot::from_yaml(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: mercury}\nspec: {replicas: two, template: {}}\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("spec.replicas"), "{err}");
}

/// A reader is read as a stream: a list read from a reader gives the same
/// snapshot as the same text in memory, in JSON and in YAML.
#[test]
fn a_stream_and_the_same_text_in_memory_read_the_same() {
    let json = hostile::json_pod_list(120);
    let from_str = meshrev::Snapshot::from_yaml(&json).unwrap();
    let from_reader = meshrev::Snapshot::from_reader("<r>", json.as_bytes()).unwrap();
    assert_eq!(from_str, from_reader);
    assert_eq!(from_str.pods().count(), 120);
}
