//! Upstream tables: kiali/kiali `istio/discovery_test.go` (`TestDiscoverWithTags`,
//! `TestDiscoverTagsWithoutWebhookPermissions`, `TestDiscoverTagsWithExternalCluster`,
//! `TestDiscoverWithMaistra`), ported as data in `tests/upstream/kiali_discovery.yaml`.
//! Upstream calls `istio.NewDiscovery(...).Mesh(ctx)` (`istio/discovery.go`) and
//! inspects the control planes it finds; here each case's objects become a
//! [`Snapshot`](meshrev::Snapshot) through [`SnapshotBuilder::add_value`], then
//! [`Mesh::new`], and the harness compares:
//!
//! - the revisions (Kiali: one control plane per istiod Deployment) with
//!   [`Mesh::revisions`], and their istiod name, namespace and (when asserted)
//!   whether they are Maistra;
//! - each control plane's tag with [`Mesh::tags_of`];
//! - each control plane's managed namespaces with the namespaces whose
//!   [`Mesh::resolve_namespace`] gives that revision and that the revision's
//!   `discoverySelectors` admit ([`Revision::discovers`](meshrev::mesh::Revision::discovers)),
//!   Kiali's "data plane".
//!
//! Port adaptation: Kiali's fixtures give tag MutatingWebhookConfigurations only
//! their labels (Kiali reads nothing else), while meshrev reads the webhooks an
//! MWC really has. The harness gives each such MWC the webhooks the istio chart
//! renders for a tag (`manifests/charts/istio-control/istio-discovery/templates/revision-tags.yaml`,
//! see `docs/domain.md` §2), so the tag means the same to both.
//!
//! Kiali rules meshrev deliberately does differently are listed in
//! [`DELIBERATE_DIFFERENCES`] with meshrev's own expected answer, which the case is
//! then checked against.

use std::collections::{BTreeMap, BTreeSet};

use meshrev::mesh::Family;
use meshrev::{Mesh, SnapshotBuilder};
use serde::Deserialize;
use serde_json::{Value, json};

mod common;
use common::{KnownGaps, upstream_table};

/// Entries in `kiali_discovery.yaml`, per the README.
const EXPECTED_ENTRIES: usize = 21;
/// Of which skipped (Kiali RBAC x2, multi-cluster x3, webhook permission, external control plane).
const EXPECTED_SKIPPED: usize = 7;

/// Kiali rules meshrev deliberately does differently: `(case name, reason,
/// meshrev's managed namespaces per revision)`. The case runs against these
/// instead of Kiali's.
/// `(case name, reason, meshrev's managed namespaces per revision)`.
type Deliberate = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
);

const DELIBERATE_DIFFERENCES: &[Deliberate] = &[(
    "maistra manages bookinfo",
    "bookinfo carries maistra.io/member-of=istio-system and istio.io/rev=default. Kiali's GetRevision \
     lets member-of win outright, but the API server calls every matching webhook: the Maistra \
     webhook (member-of In [istio-system], no ignore-namespace) and revision default's \
     rev.namespace webhook (istio.io/rev In [default], no istio-injection) both match, so meshrev \
     reports a conflict (double injection, IST0139) and counts bookinfo for neither",
    &[("default", &[]), ("basic", &[])],
)];

/// Cases that fail because of a meshrev gap outside the files this harness may
/// fix: `(case name, what is wrong)`. The test asserts they still fail, and fail
/// on the gap ([`KNOWN_GAP_SYMPTOM`] appears in the failure).
const KNOWN_GAPS: KnownGaps = &[];

/// What a [`KNOWN_GAPS`] case's failure must say.
const KNOWN_GAP_SYMPTOM: &str = "revision basic: want is_maistra true, got false";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    test: String,
    name: String,
    kiali_config: Value,
    #[serde(default)]
    objects: Vec<Value>,
    #[serde(default)]
    clusters: Option<BTreeMap<String, Vec<Value>>>,
    expected: Expected,
    asserted: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    skip_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    control_planes: Vec<ControlPlane>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlPlane {
    /// Multi-cluster only (the skipped external-cluster case).
    #[serde(default)]
    #[allow(dead_code)]
    id: Option<String>,
    /// meshrev models one cluster per snapshot: not compared.
    #[serde(default)]
    #[allow(dead_code)]
    cluster: Option<String>,
    revision: String,
    istiod_name: String,
    namespace: String,
    /// Absent: not asserted upstream; `null`: asserted to be nil.
    #[serde(default, deserialize_with = "present")]
    tag: Option<Option<TagOut>>,
    #[serde(default)]
    is_maistra: Option<bool>,
    #[serde(default)]
    managed_namespaces: Option<Vec<Value>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<TagOut>>, D::Error> {
    Option::<TagOut>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagOut {
    name: String,
    revision: String,
    /// meshrev models one cluster per snapshot: not compared.
    #[serde(default)]
    #[allow(dead_code)]
    cluster: Option<String>,
}

fn selector(ns: &[(&str, &str, &[&str])]) -> Value {
    json!({"matchExpressions": ns.iter().map(|(k, op, v)| {
        if v.is_empty() {
            json!({"key": k, "operator": op})
        } else {
            json!({"key": k, "operator": op, "values": v})
        }
    }).collect::<Vec<_>>()})
}

/// The webhooks the istio chart's `revision-tags.yaml` renders for tag `tag`
/// pointing at `revision` (the `default` tag also gets `namespace.` and `object.`).
///
/// Kiali's table holds label-only configurations, so no `clientConfig.service` is
/// invented here: a guessed service name (the tables' istiods are named apart from
/// their revisions) would make the API server's rule, route by service and reject
/// when none serves it, judge the port rather than the table. Without one, the
/// `istio.io/rev` label routes, as Kiali reads it.
fn chart_tag_webhooks(tag: &str, _revision: &str) -> Value {
    let hook = |name: &str, ns: Value, obj: Value| {
        json!({
            "name": name,
            "namespaceSelector": ns,
            "objectSelector": obj,
        })
    };
    let not_false = ("sidecar.istio.io/inject", "NotIn", &["false"][..]);
    let mut hooks = vec![
        hook(
            "rev.namespace.sidecar-injector.istio.io",
            selector(&[
                ("istio.io/rev", "In", &[tag]),
                ("istio-injection", "DoesNotExist", &[]),
            ]),
            selector(&[not_false]),
        ),
        hook(
            "rev.object.sidecar-injector.istio.io",
            selector(&[
                ("istio.io/rev", "DoesNotExist", &[]),
                ("istio-injection", "DoesNotExist", &[]),
            ]),
            selector(&[not_false, ("istio.io/rev", "In", &[tag])]),
        ),
    ];
    if tag == "default" {
        hooks.push(hook(
            "namespace.sidecar-injector.istio.io",
            selector(&[("istio-injection", "In", &["enabled"])]),
            selector(&[not_false]),
        ));
        hooks.push(hook(
            "object.sidecar-injector.istio.io",
            selector(&[
                ("istio-injection", "DoesNotExist", &[]),
                ("istio.io/rev", "DoesNotExist", &[]),
            ]),
            selector(&[
                ("sidecar.istio.io/inject", "In", &["true"]),
                ("istio.io/rev", "DoesNotExist", &[]),
            ]),
        ));
    }
    Value::Array(hooks)
}

/// Gives a label-only tag MWC the chart's webhooks (see the module comment).
fn adapt(mut object: Value) -> Value {
    let is_tag_mwc = object["kind"] == "MutatingWebhookConfiguration"
        && object.get("webhooks").is_none_or(Value::is_null);
    if is_tag_mwc {
        let labels = &object["metadata"]["labels"];
        if let (Some(tag), Some(rev)) = (
            labels["istio.io/tag"].as_str(),
            labels["istio.io/rev"].as_str(),
        ) {
            object["webhooks"] = chart_tag_webhooks(tag, rev);
        }
    }
    object
}

fn mesh_of(case: &Case) -> Result<Mesh, String> {
    let mut b = SnapshotBuilder::new();
    for o in &case.objects {
        b.add_value(adapt(o.clone()))
            .map_err(|e| format!("object {}: {e}", o["metadata"]["name"]))?;
    }
    Ok(Mesh::new(b.build()))
}

/// meshrev's data plane of `revision`: namespaces it injects that its
/// discoverySelectors admit.
fn managed(mesh: &Mesh, revision: &str) -> BTreeSet<String> {
    let Some(rev) = mesh.revision(revision) else {
        return BTreeSet::new();
    };
    mesh.snapshot()
        .namespaces()
        .filter(|ns| mesh.resolve_namespace(ns.name()).revision() == Some(revision))
        .filter(|ns| rev.discovers(&ns.selector_labels()))
        .map(|ns| ns.name().to_owned())
        .collect()
}

fn run(case: &Case) -> Result<(), String> {
    let mesh = mesh_of(case)?;
    let mut problems = Vec::new();
    let want_revs: BTreeSet<&str> = case
        .expected
        .control_planes
        .iter()
        .map(|c| c.revision.as_str())
        .collect();
    let got_revs: BTreeSet<&str> = mesh.revisions().map(|r| r.name.as_str()).collect();
    if want_revs != got_revs {
        problems.push(format!("revisions: want {want_revs:?}, got {got_revs:?}"));
    }
    let deliberate = DELIBERATE_DIFFERENCES
        .iter()
        .find(|(n, _, _)| *n == case.name);
    for cp in &case.expected.control_planes {
        let Some(rev) = mesh.revision(&cp.revision) else {
            continue;
        };
        if rev.istiod != cp.istiod_name || rev.namespace != cp.namespace {
            problems.push(format!(
                "revision {}: want istiod {}/{}, got {}/{}",
                cp.revision, cp.namespace, cp.istiod_name, rev.namespace, rev.istiod
            ));
        }
        if let Some(want) = cp.is_maistra {
            let got = rev.family == Family::Maistra;
            if got != want {
                problems.push(format!(
                    "revision {}: want is_maistra {want}, got {got} (family {:?}, from {})",
                    cp.revision, rev.family, rev.control_plane
                ));
            }
        }
        let tags: Vec<&str> = mesh
            .tags_of(&cp.revision)
            .map(|t| t.name.as_str())
            .collect();
        match &cp.tag {
            Some(Some(tag))
                if tag.revision != cp.revision || !tags.contains(&tag.name.as_str()) =>
            {
                problems.push(format!(
                    "revision {}: want tag {} -> {}, got tags {tags:?}",
                    cp.revision, tag.name, tag.revision
                ));
            }
            Some(None) if !tags.is_empty() => {
                problems.push(format!(
                    "revision {}: want no tag, got {tags:?}",
                    cp.revision
                ));
            }
            _ => {}
        }
        let want_managed: Option<BTreeSet<String>> = match deliberate {
            Some((_, _, overrides)) => overrides
                .iter()
                .find(|(r, _)| *r == cp.revision)
                .map(|(_, ns)| ns.iter().map(|n| (*n).to_owned()).collect()),
            None => cp.managed_namespaces.as_ref().map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            }),
        };
        if let Some(want) = want_managed {
            let got = managed(&mesh, &cp.revision);
            if got != want {
                let why: Vec<String> = mesh
                    .snapshot()
                    .namespaces()
                    .map(|ns| format!("{}: {}", ns.name(), mesh.resolve_namespace(ns.name())))
                    .collect();
                problems.push(format!(
                    "revision {}: want managed {want:?}, got {got:?} [{}]",
                    cp.revision,
                    why.join("; ")
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let input: Vec<String> = case
            .objects
            .iter()
            .map(|o| {
                format!(
                    "{} {} {}",
                    o["kind"].as_str().unwrap_or("?"),
                    o["metadata"]["name"],
                    o["metadata"].get("labels").unwrap_or(&Value::Null)
                )
            })
            .collect();
        Err(format!(
            "[{}] {}: input [{}]; upstream asserts: {}; port notes: {}; problems: {}",
            case.test,
            case.name,
            input.join(", "),
            case.asserted,
            case.notes.as_deref().unwrap_or("none"),
            problems.join(" | ")
        ))
    }
}

#[test]
fn kiali_istio_discovery_test_table() {
    let cases: Vec<Case> = upstream_table!("kiali_discovery.yaml", EXPECTED_ENTRIES);
    common::assert_unique(
        cases
            .iter()
            .map(|c| (c.test.as_str(), c.name.as_str()))
            .collect(),
        "names must be unique per test",
    );
    for name in KNOWN_GAPS
        .iter()
        .map(|(n, _)| n)
        .chain(DELIBERATE_DIFFERENCES.iter().map(|(n, _, _)| n))
    {
        assert!(
            cases
                .iter()
                .any(|c| c.name == *name && c.skip_reason.is_none()),
            "{name:?} is not a runnable case"
        );
    }

    let tally = common::run_cases(
        &cases,
        KNOWN_GAPS,
        Some(KNOWN_GAP_SYMPTOM),
        |c| &c.name,
        |c| {
            c.skip_reason.as_ref().map(|reason| {
                format!(
                    "[{}] {} ({} clusters, kiali_config {}): {reason}",
                    c.test,
                    c.name,
                    c.clusters.as_ref().map_or(1, BTreeMap::len),
                    c.kiali_config
                )
            })
        },
        run,
    );
    println!(
        "kiali discovery_test.go: {} run ({} against meshrev's deliberate answer), {} skipped, {} known gaps",
        tally.run,
        DELIBERATE_DIFFERENCES.len(),
        tally.skipped.len(),
        KNOWN_GAPS.len()
    );
    tally.print_skipped();
    for (n, why, _) in DELIBERATE_DIFFERENCES {
        println!("  deliberate difference {n}: {why}");
    }
    for (n, why) in KNOWN_GAPS {
        println!("  known gap {n}: {why}");
    }
    tally.assert_all_pass(EXPECTED_ENTRIES, EXPECTED_SKIPPED);
}
