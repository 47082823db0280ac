//! One test per strategy and variant (on the fixtures), and one per refusal,
//! checking the error's variant and message.

use meshrev::plan::{
    self, NamespaceDisposition, Plan, PlanError, Request, StepAction, Strategy, WaveKind,
    WorkloadDisposition, render,
};
use meshrev::status::{is_live, running_revision};
use meshrev::{Mesh, Snapshot};

fn mesh(file: &str) -> Mesh {
    Mesh::new(Snapshot::from_path(format!("fixtures/{file}")).unwrap())
}

fn actions(plan: &Plan) -> Vec<String> {
    plan.steps()
        .filter(|s| s.action.is_change())
        .map(|s| s.action.to_string())
        .collect()
}

/// The namespaces a plan relabels, in order.
fn relabelled(plan: &Plan) -> Vec<&str> {
    plan.steps()
        .filter_map(|s| match &s.action {
            StepAction::LabelNamespace { namespace, .. } => Some(namespace.as_str()),
            _ => None,
        })
        .collect()
}

/// Every in-scope workload the plan moves runs the target at the end.
fn assert_moved(mesh: &Mesh, plan: &Plan) {
    let end = plan::simulate(mesh, plan).unwrap();
    for ns in &plan.scope.namespaces {
        for w in ns.workloads.iter().filter(|w| w.disposition.moves()) {
            for pod in end.snapshot().pods_in(&ns.name).filter(|p| is_live(p)) {
                let owner = end.snapshot().owner_of(pod).map(|o| o.meta.name.clone());
                if owner.as_deref() == Some(w.workload.name.as_str()) {
                    assert_eq!(
                        running_revision(pod).0.revision(),
                        Some(plan.target.revision.as_str()),
                        "{}/{}",
                        ns.name,
                        pod.meta.name
                    );
                }
            }
        }
    }
}

// Strategies

#[test]
fn upstream_tag_move_moves_the_tags_then_restarts_without_relabel() {
    let mesh = mesh("upstream-canary/01-before-tag-move.yaml");
    let plan = plan::plan(&mesh, &Request::to("1-24-0")).unwrap();
    assert_eq!(plan.strategy, Strategy::TagMove);
    assert_eq!(plan.waves[0].kind, WaveKind::Prepare);
    let script = render::kubectl(&plan);
    assert!(script.contains("istioctl tag set prod-stable --revision 1-24-0 --overwrite\n"));
    assert!(script.contains("istioctl tag set default --revision 1-24-0 --overwrite\n"));
    assert!(!script.contains("kubectl label"), "{script}");
    // storefront/loadgen opts out: reported, not restarted, so storefront's
    // Deployments restart one by one rather than with the namespace-wide command.
    let storefront = plan.scope.namespace("storefront").unwrap();
    let loadgen = storefront
        .workloads
        .iter()
        .find(|w| w.workload.name == "loadgen")
        .unwrap();
    assert_eq!(loadgen.disposition, WorkloadDisposition::OptedOut);
    assert!(script.contains("kubectl rollout restart deployment/web -n storefront\n"));
    assert!(!script.contains("kubectl rollout restart deployment -n storefront\n"));
    // The StatefulSet restarts by name.
    assert!(script.contains("kubectl rollout restart statefulset/redis -n checkout\n"));
    assert_moved(&mesh, &plan);
    // The stage the fixture shows after the move: tags moved.
    let end = plan::simulate(&mesh, &plan).unwrap();
    assert_eq!(
        end.tag("prod-stable").unwrap().revision.as_deref(),
        Some("1-24-0")
    );
}

#[test]
fn upstream_canary_relabel_sets_istio_io_rev_and_drops_istio_injection() {
    let mesh = mesh("upstream-canary/01-before-tag-move.yaml");
    let plan = plan::plan(
        &mesh,
        &Request::to("1-24-0").strategy(Strategy::CanaryRelabel),
    )
    .unwrap();
    let script = render::kubectl(&plan);
    assert!(
        script.contains(
            "kubectl label namespace legacy istio-injection- istio.io/rev=1-24-0 --overwrite=true\n"
        ),
        "{script}"
    );
    assert!(
        script.contains("kubectl label namespace checkout istio.io/rev=1-24-0 --overwrite=true\n")
    );
    // analytics already runs 1-24-0: not in scope at all.
    assert!(plan.scope.namespace("analytics").is_none());
    assert_moved(&mesh, &plan);
    // Relabelling to a tag keeps the tag in the label.
    let plan = plan::plan(&mesh, &Request::to("prod-canary")).unwrap();
    assert_eq!(plan.strategy, Strategy::CanaryRelabel);
    assert_eq!(plan.target.revision, "1-24-0");
    assert!(render::kubectl(&plan).contains("istio.io/rev=prod-canary --overwrite=true"));
    assert_moved(&mesh, &plan);
    // 1-23-0 runs nothing afterwards, but tags default and prod-stable still
    // send to istiod-1-23-0 (failurePolicy Fail): uninstalling it first would
    // reject their pods, so the note says to move the tags first.
    let note = plan
        .notes
        .iter()
        .find(|n| n.starts_with("revision 1-23-0 runs nothing any more"))
        .unwrap_or_else(|| panic!("{:?}", plan.notes));
    assert!(
        note.contains("tag(s) default, prod-stable still lead to it")
            && note.contains("`istioctl tag set default --revision 1-24-0 --overwrite`")
            && note.contains("reject"),
        "{note}"
    );
}

#[test]
fn sail_in_place_patches_the_version_then_restarts_what_runs_the_revision() {
    let mesh = mesh("sail-in-place/01-before.yaml");
    let plan = plan::plan(&mesh, &Request::to("default").version("v1.25.1")).unwrap();
    assert_eq!(plan.strategy, Strategy::InPlace);
    assert_eq!(
        actions(&plan),
        [
            "set Istio default spec.version to v1.25.1",
            "restart Deployment api/gateway-api",
            "restart Deployment shop/cart",
            "restart Deployment shop/frontend",
        ]
    );
    let shop = plan.scope.namespace("shop").unwrap();
    let exporter = shop
        .workloads
        .iter()
        .find(|w| w.workload.name == "batch-exporter")
        .unwrap();
    assert_eq!(exporter.disposition, WorkloadDisposition::OptedOut);
    let script = render::kubectl(&plan);
    assert!(script.contains(
        r#"kubectl patch istio default --type merge -p '{"spec":{"version":"v1.25.1"}}'"#
    ));
    let end = plan::simulate(&mesh, &plan).unwrap();
    let istio = end.snapshot().istios().next().unwrap();
    assert_eq!(istio.version.as_deref(), Some("v1.25.1"));
    // A namespace whose pods are not injected (tools: hostNetwork) is not in scope.
    assert!(plan.scope.namespace("tools").is_none());
}

/// A RevisionBased `Istio` that still runs only v1.24.3: the plan patches
/// `spec.version` first (the operator then creates default-v1-25-1 and moves the
/// `default` tag, sail-operator docs/update-strategy/update-strategy.adoc), waits
/// for the new IstioRevision to be Ready, then moves namespaces as from
/// `02-v1-25-1-added.yaml`, and awaits the prune of the old revision.
#[test]
fn sail_revision_based_from_one_revision_patches_the_version_first() {
    let mesh = mesh("sail-revision-based/01-v1-24-3.yaml");
    assert!(mesh.revision("default-v1-25-1").is_none());
    for target in ["default", "default-v1-25-1"] {
        let plan = plan::plan(&mesh, &Request::to(target).version("v1.25.1")).unwrap();
        assert_eq!(plan.strategy, Strategy::RevisionBased, "{target}");
        assert_eq!(plan.target.revision, "default-v1-25-1");
        assert_eq!(
            plan.sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["default-v1-24-3"]
        );
        assert_eq!(plan.waves[0].kind, WaveKind::Prepare);
        let first = plan.steps().next().unwrap();
        assert!(
            matches!(&first.action, StepAction::SetIstioVersion { istio, version } if istio == "default" && version == "v1.25.1"),
            "{first:?}"
        );
        // Step ids and wave numbers run on from the patch.
        let ids: Vec<usize> = plan.steps().map(|s| s.id).collect();
        assert_eq!(ids, (1..=plan.len()).collect::<Vec<_>>());
        let numbers: Vec<usize> = plan.waves.iter().map(|w| w.number).collect();
        assert_eq!(numbers, (1..=plan.waves.len()).collect::<Vec<_>>());
        let labels = relabelled(&plan);
        assert_eq!(
            labels,
            ["legacy"],
            "only the pinned namespace is relabelled"
        );
        let last = plan.steps().last().unwrap();
        assert!(
            matches!(&last.action, StepAction::AwaitGone { object } if object.name == "default-v1-24-3"),
            "{last:?}"
        );
        let script = render::kubectl(&plan);
        assert!(
            script.contains(
                "kubectl wait --for=condition=Ready istiorevision/default-v1-25-1 --timeout=10m\n"
            ),
            "{script}"
        );
        assert_moved(&mesh, &plan);
        // Rolled back after the canary: the version patch is undone first, so
        // the restart lands on default-v1-24-3 again.
        let back = plan.rollback(&mesh, Some(3)).unwrap();
        assert_eq!(back.target.revision, "default-v1-24-3");
        assert_eq!(
            back.sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["default-v1-25-1"]
        );
        assert!(matches!(
            &back.steps().next().unwrap().action,
            StepAction::SetIstioVersion { version, .. } if version == "v1.24.3"
        ));
    }
    // Three minor versions at once is refused, as for two revisions side by side.
    let err = plan::plan(&mesh, &Request::to("default").version("v1.27.0")).unwrap_err();
    assert!(matches!(err, PlanError::VersionSkew { .. }), "{err}");
}

#[test]
fn sail_revision_based_relabels_only_pinned_namespaces_and_awaits_the_prune() {
    let mesh = mesh("sail-revision-based/02-v1-25-1-added.yaml");
    let plan = plan::plan(&mesh, &Request::to("default-v1-25-1")).unwrap();
    assert_eq!(plan.strategy, Strategy::RevisionBased);
    let labels = relabelled(&plan);
    assert_eq!(
        labels,
        ["legacy"],
        "only the pinned namespace is relabelled"
    );
    let last = plan.steps().last().unwrap();
    assert!(
        matches!(&last.action, StepAction::AwaitGone { object } if object.name == "default-v1-24-3"),
        "{last:?}"
    );
    assert_moved(&mesh, &plan);
    // Only moving the tag followers leaves legacy on the old revision: no prune.
    let plan = plan::plan(
        &mesh,
        &Request::to("default-v1-25-1").namespaces(["shop", "catalog"]),
    )
    .unwrap();
    assert!(
        plan.steps()
            .all(|s| !matches!(s.action, StepAction::AwaitGone { .. }))
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("stays in use")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn ossm_multi_tenant_relabels_members_and_deletes_the_smcp_and_its_members() {
    let mesh = mesh("ossm-2.6-multitenant/01-partially-migrated.yaml");
    let plan = plan::plan(&mesh, &Request::to("istio-tenant-a")).unwrap();
    assert_eq!(plan.strategy, Strategy::OssmMultiTenant);
    // bookinfo already runs the target: not a source namespace, so not in scope...
    assert!(plan.scope.namespace("bookinfo").is_none());
    assert_moved(&mesh, &plan);
    // ...unless named, and then skipped with a note.
    let plan = plan::plan(
        &mesh,
        &Request::to("istio-tenant-a").namespaces(["bookinfo", "orders", "payments"]),
    )
    .unwrap();
    let bookinfo = plan.scope.namespace("bookinfo").unwrap();
    assert_eq!(bookinfo.disposition, NamespaceDisposition::AlreadyOnTarget);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("bookinfo is already on istio-tenant-a"))
    );
    let script = render::kubectl(&plan);
    assert!(script.contains("kubectl label namespace orders maistra.io/ignore-namespace=\"true\" istio.io/rev=istio-tenant-a --overwrite=true\n"), "{script}");
    assert!(script.contains("kubectl delete smcp basic -n istio-system-tenant-a\n"));
    assert!(script.contains("kubectl delete smm default -n payments\n"));
    assert_moved(&mesh, &plan);
}

#[test]
fn ossm_multi_tenant_adds_the_tenant_label_with_the_relabel() {
    let text = std::fs::read_to_string("fixtures/ossm-2.6-multitenant/01-partially-migrated.yaml")
        .unwrap();
    // orders without its tenant label: the 3.0 istiod would not discover it.
    let marker = "    kubernetes.io/metadata.name: orders\n";
    let at = text.find(marker).unwrap();
    let tenant = text[at..].find("    tenant: tenant-a\n").unwrap() + at;
    let text = format!(
        "{}{}",
        &text[..tenant],
        &text[tenant + "    tenant: tenant-a\n".len()..]
    );
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let plan = plan::plan(&mesh, &Request::to("istio-tenant-a")).unwrap();
    let script = render::kubectl(&plan);
    assert!(script.contains("kubectl label namespace orders maistra.io/ignore-namespace=\"true\" istio.io/rev=istio-tenant-a tenant=tenant-a --overwrite=true\n"), "{script}");
    assert_eq!(plan.discovery_labels["tenant"], "tenant-a");
    assert_moved(&mesh, &plan);
}

/// A small ClusterWide 2.6 mesh with an InPlace `Istio` named `default` (the
/// "simple" variant's setup); webhooks synthesized from the CRs.
const SIMPLE: &str = r#"
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: {name: basic, namespace: istio-system}
spec: {version: v2.6, mode: ClusterWide}
---
apiVersion: maistra.io/v1
kind: ServiceMeshMemberRoll
metadata: {name: default, namespace: istio-system}
spec:
  memberSelectors: [{matchLabels: {istio-injection: enabled}}]
---
apiVersion: sailoperator.io/v1
kind: Istio
metadata: {name: default}
spec: {version: v1.24.3, namespace: istio-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system, labels: {maistra.io/member-of: istio-system}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled, maistra.io/member-of: istio-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: web}, annotations: {sidecar.istio.io/inject: "true"}}
    spec: {containers: [{name: web}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web}
  annotations: {sidecar.istio.io/inject: "true", istio.io/rev: basic}
  ownerReferences: [{kind: Deployment, name: web, controller: true, apiVersion: apps/v1, uid: u1}]
spec: {containers: [{name: web}, {name: istio-proxy}]}
"#;

#[test]
fn ossm_simple_variant_only_sets_ignore_namespace() {
    let mesh = Mesh::new(Snapshot::from_yaml(SIMPLE).unwrap());
    let plan = plan::plan(&mesh, &Request::to("default")).unwrap();
    assert_eq!(plan.strategy, Strategy::OssmSimple);
    let script = render::kubectl(&plan);
    assert!(
        script.contains(
            "kubectl label namespace shop maistra.io/ignore-namespace=\"true\" --overwrite=true\n"
        ),
        "{script}"
    );
    assert!(script.contains("kubectl delete smcp basic -n istio-system\n"));
    assert_moved(&mesh, &plan);
    // The istio.io/rev variant forbids an Istio named default.
    let err = plan::plan(
        &mesh,
        &Request::to("default").strategy(Strategy::OssmClusterWide),
    )
    .unwrap_err();
    assert!(
        matches!(err, PlanError::DefaultIstioForbidden { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("Istio default is named default"),
        "{err}"
    );
}

#[test]
fn ossm_default_tag_variant_moves_through_istio_io_rev_then_the_default_tag() {
    let mesh = mesh("ossm-2.6-to-3.0/01-before.yaml");
    let plan = plan::plan(
        &mesh,
        &Request::to("ossm3")
            .strategy(Strategy::OssmDefaultTag)
            .batch(2),
    )
    .unwrap();
    let kinds: Vec<WaveKind> = plan.waves.iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds,
        [
            WaveKind::Canary,
            WaveKind::Batch,
            WaveKind::Batch,
            WaveKind::Switch,
            WaveKind::Batch,
            WaveKind::Batch,
            WaveKind::Batch,
            WaveKind::Cleanup
        ]
    );
    let script = render::kubectl(&plan);
    assert!(script.contains("kubectl label namespace mercury istio.io/rev- istio-injection=enabled --overwrite=true\n"), "{script}");
    assert!(script.contains(r#""kind":"IstioRevisionTag","metadata":{"name":"default"}"#));
    let end = plan::simulate(&mesh, &plan).unwrap();
    assert_eq!(end.default_revision(), Some("ossm3"));
    assert_moved(&mesh, &plan);
}

// Refusals

fn refused(file: &str, request: Request) -> PlanError {
    plan::plan(&mesh(file), &request).unwrap_err()
}

#[test]
fn refuses_an_unknown_target_listing_what_exists() {
    let err = refused("ossm-2.6-to-3.0/01-before.yaml", Request::to("ossm4"));
    assert!(matches!(err, PlanError::UnknownTarget { .. }), "{err}");
    assert!(err.to_string().contains("revisions: basic, ossm3"), "{err}");
}

#[test]
fn refuses_an_unknown_source_namespace_or_canary() {
    let err = refused(
        "ossm-2.6-to-3.0/01-before.yaml",
        Request::to("ossm3").from(["bsaic"]),
    );
    assert!(matches!(err, PlanError::UnknownSource { .. }), "{err}");
    let err = refused(
        "ossm-2.6-to-3.0/01-before.yaml",
        Request::to("ossm3").namespaces(["mercury", "pluto"]),
    );
    assert!(err.to_string().contains("namespace \"pluto\""), "{err}");
    let err = refused(
        "ossm-2.6-to-3.0/01-before.yaml",
        Request::to("ossm3").namespaces(["mercury"]).canary("venus"),
    );
    assert!(matches!(err, PlanError::CanaryNotInScope { .. }), "{err}");
    let err = refused(
        "ossm-2.6-to-3.0/01-before.yaml",
        Request::to("ossm3").batch(0),
    );
    assert_eq!(err, PlanError::ZeroBatch);
}

#[test]
fn refuses_version_skew_beyond_the_path() {
    let err = refused(
        "sail-in-place/01-before.yaml",
        Request::to("default").version("v1.26.0"),
    );
    assert!(
        matches!(
            err,
            PlanError::VersionSkew {
                minors: 2,
                allowed: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = refused(
        "sail-in-place/01-before.yaml",
        Request::to("default").strategy(Strategy::InPlace),
    );
    assert!(matches!(err, PlanError::MissingVersion { .. }), "{err}");
}

#[test]
fn refuses_an_smcp_older_than_2_6() {
    let text = SIMPLE.replace("version: v2.6", "version: v2.5");
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let err = plan::plan(&mesh, &Request::to("default")).unwrap_err();
    assert!(matches!(err, PlanError::SmcpTooOld { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("ServiceMeshControlPlane istio-system/basic is at v2.5"),
        "{err}"
    );
}

#[test]
fn refuses_an_istio_outside_the_smcp_namespace() {
    let text = SIMPLE.replace(
        "spec: {version: v1.24.3, namespace: istio-system}",
        "spec: {version: v1.24.3, namespace: istio-system-3}",
    );
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let err = plan::plan(&mesh, &Request::to("default")).unwrap_err();
    assert!(
        matches!(err, PlanError::IstioNamespaceMismatch { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("set spec.namespace: istio-system"),
        "{err}"
    );
}

/// The OSSM 2.6 -> 3.0 guide's prerequisites: gateways, addons, tracing and
/// network-policy management disabled in the SMCP first. The story's SMCP
/// states them all disabled; one turned back on refuses the plan, naming it.
#[test]
fn refuses_an_smcp_that_still_enables_gateways_or_addons() {
    let text = std::fs::read_to_string("fixtures/ossm-2.6-to-3.0/01-before.yaml").unwrap();
    assert!(
        plan::plan(
            &Mesh::new(Snapshot::from_yaml(&text).unwrap()),
            &Request::to("ossm3")
        )
        .is_ok()
    );
    for (from, to, feature) in [
        (
            "kiali:
        enabled: false",
            "kiali:
        enabled: true",
            "addons.kiali",
        ),
        ("type: None", "type: Jaeger", "tracing (Jaeger)"),
        (
            "manageNetworkPolicy: false",
            "manageNetworkPolicy: true",
            "security.manageNetworkPolicy",
        ),
    ] {
        // The first occurrence is in `spec` (the second in the SMCP's status).
        assert!(text.contains(from), "{from:?}");
        let mesh = Mesh::new(Snapshot::from_yaml(&text.replacen(from, to, 1)).unwrap());
        let err = plan::plan(&mesh, &Request::to("ossm3")).unwrap_err();
        match &err {
            PlanError::SmcpFeaturesEnabled { smcp, features } => {
                assert_eq!(smcp.name, "basic");
                assert_eq!(features, &[feature.to_owned()]);
            }
            other => panic!("{feature}: {other}"),
        }
        assert!(
            err.to_string().contains("disabled in the SMCP first"),
            "{err}"
        );
    }
}

/// The migration requires gateways and addons disabled; an SMCP that leaves
/// them to its profile gets them from the v2.6 `base` profile, which enables
/// them (maistra/istio-operator `resources/smcp-templates/v2.6/base`). The
/// plan goes ahead with a note naming each unstated setting; the story's SMCP
/// states them all and gets no such note.
#[test]
fn notes_gateway_and_addon_settings_an_smcp_leaves_to_its_profile() {
    let text = std::fs::read_to_string("fixtures/ossm-2.6-to-3.0/01-before.yaml").unwrap();
    let note_of = |text: &str| {
        let mesh = Mesh::new(Snapshot::from_yaml(text).unwrap());
        let plan = plan::plan(&mesh, &Request::to("ossm3")).unwrap();
        let notes: Vec<String> = plan
            .notes
            .iter()
            .filter(|n| n.contains("does not state"))
            .cloned()
            .collect();
        assert!(notes.len() <= 1, "{notes:?}");
        notes.into_iter().next()
    };
    assert_eq!(note_of(&text), None);
    // The first occurrences are in `spec` (the others in the SMCP's status).
    // (text replacements in the SMCP, the settings then left unstated)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 3] = [
        (
            &[(
                "kiali:\n        enabled: false",
                "kiali:\n        name: kiali",
            )],
            &["spec.addons.kiali.enabled"],
        ),
        (
            &[(
                "gateways:\n      enabled: false",
                "gateways:\n      ingress:\n        enabled: false",
            )],
            &["spec.gateways.egress.enabled"],
        ),
        (
            &[
                ("gateways:\n      enabled: false", "gateways:"),
                ("prometheus:\n        enabled: false", "prometheus: {}"),
            ],
            &[
                "spec.gateways.ingress.enabled",
                "spec.gateways.egress.enabled",
                "spec.addons.prometheus.enabled",
            ],
        ),
    ];
    for (edits, unstated) in cases {
        let mut edited = text.clone();
        for (from, to) in edits {
            assert!(edited.contains(from), "{from:?}");
            edited = edited.replacen(from, to, 1);
        }
        let smcp = Snapshot::from_yaml(&edited).unwrap();
        let smcp = smcp.control_planes().next().unwrap();
        assert_eq!(smcp.unstated_features, unstated.to_vec());
        let note = note_of(&edited).unwrap_or_else(|| panic!("no note for {unstated:?}"));
        assert!(
            note.starts_with(&format!(
                "ServiceMeshControlPlane istio-system/basic does not state {}:",
                unstated.join(", ")
            )),
            "{note}"
        );
        assert!(note.contains("v2.6 base profile enables"), "{note}");
        assert!(note.contains("oc get smcp basic -n istio-system"), "{note}");
    }
}

#[test]
fn refuses_smcp_managed_gateways() {
    let text = format!(
        "{SIMPLE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istio-ingressgateway\n  namespace: istio-system\n  labels: {{istio: ingressgateway, maistra.io/owner: istio-system}}\nspec: {{template: {{metadata: {{labels: {{app: gw}}}}, spec: {{containers: [{{name: istio-proxy}}]}}}}}}\n"
    );
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let err = plan::plan(&mesh, &Request::to("default")).unwrap_err();
    assert!(matches!(err, PlanError::SmcpManagedGateway { .. }), "{err}");
    assert!(err.to_string().contains("istio-ingressgateway"), "{err}");
}

#[test]
fn refuses_namespaces_outside_the_discovery_selectors() {
    let text = SIMPLE.replace(
        "spec: {version: v1.24.3, namespace: istio-system}",
        "spec:\n  version: v1.24.3\n  namespace: istio-system\n  values: {meshConfig: {discoverySelectors: [{matchExpressions: [{key: mesh, operator: Exists}]}]}}",
    );
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    let err = plan::plan(&mesh, &Request::to("default")).unwrap_err();
    assert!(matches!(err, PlanError::NotDiscovered { .. }), "{err}");
    assert!(
        err.to_string().contains("do not select namespace shop"),
        "{err}"
    );
}

#[test]
fn refuses_a_strategy_that_does_not_fit() {
    let err = refused(
        "ossm-2.6-to-3.0/01-before.yaml",
        Request::to("ossm3").strategy(Strategy::OssmMultiTenant),
    );
    assert!(
        matches!(err, PlanError::StrategyNotApplicable { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("is ClusterWide; use ossm-cluster-wide"),
        "{err}"
    );
    let err = refused(
        "ossm-2.6-to-3.0/01-before.yaml",
        Request::to("ossm3").strategy(Strategy::OssmSimple),
    );
    assert!(
        err.to_string()
            .contains("needs an InPlace Istio named default"),
        "{err}"
    );
}

#[test]
fn refuses_a_tag_that_resolves_nowhere() {
    let text = std::fs::read_to_string("fixtures/upstream-canary/01-before-tag-move.yaml")
        .unwrap()
        .replace("istiod-1-24-0", "istiod-gone");
    let mesh = Mesh::new(Snapshot::from_yaml(&text).unwrap());
    // prod-canary now sends to a service with no istiod: whatever the model makes
    // of it, a plan to it must not silently succeed with a bogus target.
    match plan::plan(&mesh, &Request::to("prod-canary")) {
        Err(e) => assert!(
            matches!(
                e,
                PlanError::TagResolvesNowhere { .. } | PlanError::UnknownTarget { .. }
            ),
            "{e}"
        ),
        Ok(p) => assert!(mesh.revision(&p.target.revision).is_some()),
    }
}

#[test]
fn a_namespace_already_on_the_target_is_skipped_and_said_so() {
    let mesh = mesh("ossm-2.6-to-3.0/03-mercury-migrated.yaml");
    let plan = plan::plan(
        &mesh,
        &Request::to("ossm3").namespaces(["mercury", "venus"]),
    )
    .unwrap();
    assert_eq!(plan.moved_namespaces().collect::<Vec<_>>(), ["venus"]);
    assert!(
        plan.notes
            .iter()
            .any(|n| n == "namespace mercury is already on ossm3: skipped")
    );
    // Not every namespace moved: the SMCP stays, and the plan says why.
    assert!(
        plan.steps()
            .all(|s| !matches!(s.action, StepAction::Delete { .. }))
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("is not deleted")),
        "{:?}",
        plan.notes
    );
}

/// After the InPlace version patch (`02-version-patched.yaml`: Istio default at
/// v1.25.1, pods still on the 1.24.3 proxy), `--to default` with no version is
/// the restart half of the upgrade: every workload on the revision restarted,
/// no second patch, and afterwards no outdated proxy is left.
#[test]
fn sail_in_place_after_the_patch_restarts_the_outdated_proxies_without_a_version() {
    let patched = mesh("sail-in-place/02-version-patched.yaml");
    let plan = plan::plan(&patched, &Request::to("default")).unwrap();
    assert_eq!(plan.strategy, Strategy::InPlace);
    assert!(
        !plan
            .steps()
            .any(|s| matches!(s.action, StepAction::SetIstioVersion { .. })),
        "the Istio is already at v1.25.1"
    );
    let restarted: Vec<String> = plan
        .steps()
        .filter_map(|s| match &s.action {
            StepAction::Restart { workload } => {
                Some(format!("{}/{}", workload.namespace, workload.name))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        restarted,
        ["api/gateway-api", "shop/cart", "shop/frontend"],
        "{}",
        render::kubectl(&plan)
    );
    let end = plan::simulate(&patched, &plan).unwrap();
    let status = meshrev::Status::of(&end);
    assert!(
        status
            .namespaces
            .iter()
            .flat_map(|n| &n.workloads)
            .all(|w| w.outdated_proxy.is_none() && !w.needs_restart)
    );
    // Before the patch there is nothing behind: no in-place plan without a version.
    let before = mesh("sail-in-place/01-before.yaml");
    let plan = plan::plan(&before, &Request::to("default")).unwrap();
    assert!(plan.is_empty(), "{}", render::kubectl(&plan));
    assert!(
        plan.notes.iter().any(|n| n.starts_with("nothing to do:")),
        "an empty plan says why: {:?}",
        plan.notes
    );
}
