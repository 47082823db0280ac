#![allow(dead_code)]
//! Hostile inputs (issue 10): text that a corrupted file, a careless script or
//! an attacker could hand to a tool built on meshrev. Shared by the table test
//! (`tests/hostile_input.rs`, which checks each outcome) and the criterion
//! bench (`benches/hostile.rs`, which times each).

/// What reading a case must give.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Read without error, with this many pods.
    Accepted { pods: usize },
    /// Refused as malformed text (`Error::Syntax`) of this format, with a
    /// message containing this fragment.
    Syntax {
        format: &'static str,
        message: &'static str,
    },
    /// Refused as a field error (`Error::InvalidField`) whose message
    /// contains this fragment.
    Invalid { message: &'static str },
}

/// One hostile input.
pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub outcome: Outcome,
}

const POD_YAML: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-POD\n  namespace: mercury\n  labels: {app: web}\nspec:\n  containers:\n  - name: web\n";

/// A JSON `List` of `n` pods in the shape `kubectl get pods -o json` prints.
pub fn json_pod_list(n: usize) -> String {
    let mut out = String::from("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n");
    for i in 0..n {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&format!(
            "        {{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"web-{i}\", \
             \"namespace\": \"ns-{ns}\", \"labels\": {{\"app\": \"web\", \"pod-template-hash\": \"7d4b9c{i:x}\"}}, \
             \"annotations\": {{\"sidecar.istio.io/status\": \"{{\\\"initContainers\\\":[\\\"istio-init\\\"],\\\"containers\\\":[\\\"istio-proxy\\\"],\\\"volumes\\\":[\\\"istio-envoy\\\",\\\"istio-data\\\",\\\"istio-podinfo\\\",\\\"istio-token\\\",\\\"istiod-ca-cert\\\"],\\\"imagePullSecrets\\\":null,\\\"revision\\\":\\\"ossm-3-0\\\"}}\"}}}}, \
             \"spec\": {{\"containers\": [{{\"name\": \"web\", \"image\": \"quay.io/example/web:1.4.2\"}}, {{\"name\": \"istio-proxy\"}}]}}, \
             \"status\": {{\"phase\": \"Running\"}}}}",
            ns = i % 50
        ));
    }
    out.push_str(
        "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\"resourceVersion\": \"\"}\n}\n",
    );
    out
}

/// Every case. `big` sizes the large ones (1.0 for the sizes the issue names:
/// a 50 MB scalar, 2 million empty documents, a truncated 100 MB file).
pub fn cases(big: f64) -> Vec<Case> {
    let scaled = |n: usize| ((n as f64) * big) as usize;
    let depth = 200_000;
    let pod_head =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\nspec:\n affinity:";
    let istio_head = "{\"apiVersion\": \"sailoperator.io/v1\", \"kind\": \"Istio\", \"metadata\": {\"name\": \"default\"}, \"spec\": {\"values\": ";
    let mut cases = vec![
        Case {
            name: "YAML flow sequences nested 200,000 deep",
            bytes: format!("{pod_head} {}", "[".repeat(depth)).into_bytes(),
            outcome: Outcome::Syntax { format: "YAML", message: "nesting deeper than 128" },
        },
        Case {
            name: "YAML flow mappings nested 200,000 deep",
            bytes: format!("{pod_head} {}", "{a: ".repeat(depth)).into_bytes(),
            outcome: Outcome::Syntax { format: "YAML", message: "nesting deeper than 128" },
        },
        Case {
            name: "YAML block sequences nested 200,000 deep on one line",
            bytes: format!("{pod_head}\n  {}x\n", "- ".repeat(depth)).into_bytes(),
            outcome: Outcome::Syntax { format: "YAML", message: "nesting deeper than 128" },
        },
        Case {
            name: "YAML block mappings nested 1,000 deep by indentation",
            bytes: format!(
                "{pod_head}\n{}",
                (1..1000).map(|i| format!("{}a:\n", " ".repeat(i))).collect::<String>()
            )
            .into_bytes(),
            outcome: Outcome::Syntax { format: "YAML", message: "nesting deeper than 128" },
        },
        Case {
            name: "a pod whose annotations nest 200,000 flow mappings deep",
            bytes: format!("{POD_YAML}  annotations: {}\n", "{a: ".repeat(depth)).into_bytes(),
            outcome: Outcome::Syntax { format: "YAML", message: "nesting deeper than 128" },
        },
        Case {
            name: "JSON arrays nested 200,000 deep in a value the model keeps",
            bytes: format!("{istio_head}{}", "[".repeat(depth)).into_bytes(),
            outcome: Outcome::Syntax { format: "JSON", message: "recursion limit exceeded" },
        },
        Case {
            name: "JSON objects nested 200,000 deep in a value the model keeps",
            bytes: format!("{istio_head}{}", "{\"a\": ".repeat(depth)).into_bytes(),
            outcome: Outcome::Syntax { format: "JSON", message: "recursion limit exceeded" },
        },
        Case {
            name: "JSON objects nested 200,000 deep in a field the model skips",
            bytes: format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"a\"}}, \"spec\": {}1{}}}",
                "{\"a\": ".repeat(depth),
                "}".repeat(depth)
            )
            .into_bytes(),
            outcome: Outcome::Accepted { pods: 0 },
        },
        Case {
            name: "2 million empty YAML documents",
            bytes: "---\n".repeat(scaled(2_000_000)).into_bytes(),
            outcome: Outcome::Accepted { pods: 0 },
        },
        Case {
            name: "a 50 MB YAML scalar",
            bytes: format!(
                "{}  annotations:\n    big: {}\n",
                POD_YAML.replace("POD", "1"),
                "x".repeat(scaled(50_000_000))
            )
            .into_bytes(),
            outcome: Outcome::Syntax { format: "YAML", message: "a scalar of" },
        },
        Case {
            name: "a 50 MB JSON annotation value",
            bytes: format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"a\", \"annotations\": {{\"sidecar.istio.io/big\": \"{}\"}}}}}}",
                "x".repeat(scaled(50_000_000))
            )
            .into_bytes(),
            outcome: Outcome::Invalid { message: "bytes; at most" },
        },
        Case {
            // Not kept (meshrev reads no such annotation), so skipped unread.
            name: "a 50 MB JSON value of an annotation meshrev does not read",
            bytes: format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"a\", \"annotations\": {{\"big\": \"{}\"}}}}}}",
                "x".repeat(scaled(50_000_000))
            )
            .into_bytes(),
            outcome: Outcome::Accepted { pods: 0 },
        },
        Case {
            name: "an alias bomb (billion laughs)",
            bytes: b"a: &a [x, x, x, x, x, x, x, x, x, x]\n\
                     b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                     c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
                     d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                     e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n\
                     f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                     g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n\
                     h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n\
                     i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n\
                     kind: Pod\n"
                .to_vec(),
            outcome: Outcome::Syntax { format: "YAML", message: "aliases expand to more than" },
        },
        Case {
            name: "a mapping of 200,000 distinct keys",
            bytes: format!(
                "{}  annotations:\n{}",
                POD_YAML.replace("POD", "1"),
                (0..200_000).map(|i| format!("    k{i}: v\n")).collect::<String>()
            )
            .into_bytes(),
            outcome: Outcome::Accepted { pods: 1 },
        },
        Case {
            name: "two outputs concatenated without `---` (cat ns.yaml deploy.yaml)",
            bytes: b"apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: mercury\nspec: {}\nstatus: {}\n\
                     apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: mercury\n"
                .to_vec(),
            outcome: Outcome::Syntax { format: "YAML", message: "duplicate key `apiVersion`" },
        },
    ];
    // A 100 MB JSON list cut in the middle of an item.
    let mut list = json_pod_list(scaled(100_000_000) / 1_100 + 1).into_bytes();
    list.truncate(list.len() / 2);
    cases.push(Case {
        name: "a 100 MB JSON list truncated in the middle",
        bytes: list,
        outcome: Outcome::Syntax {
            format: "JSON",
            message: "EOF while parsing",
        },
    });
    // Invalid UTF-8 in the middle of a YAML stream and of a JSON string.
    let mut yaml = format!("{}---\n", POD_YAML.replace("POD", "1")).into_bytes();
    yaml.extend_from_slice(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-\xff\xfe\n");
    cases.push(Case {
        name: "invalid UTF-8 in the middle of YAML",
        bytes: yaml,
        outcome: Outcome::Syntax {
            format: "YAML",
            message: "invalid leading UTF-8 octet",
        },
    });
    let mut json = json_pod_list(3).into_bytes();
    let at = json
        .windows(6)
        .position(|w| w == b"\"web-1")
        .expect("item 2")
        + 5;
    json.splice(at..at, b"\xc3\x28".iter().copied());
    cases.push(Case {
        name: "invalid UTF-8 in the middle of JSON",
        bytes: json,
        outcome: Outcome::Syntax {
            format: "JSON",
            message: "invalid unicode code point",
        },
    });
    cases
}
