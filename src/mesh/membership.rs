//! Maistra membership: which namespaces a ServiceMeshControlPlane manages
//! (maistra/istio-operator `pkg/apis/maistra/v1/servicemeshmemberroll_types.go`
//! `IsMember`, and the member controller for `ServiceMeshMember`).

use crate::labels::{self, LabelSelector, Labels};
use crate::snapshot::{ServiceMeshMember, ServiceMeshMemberRoll};

/// Namespaces that can never be members, whatever the roll says: `kube`,
/// `openshift` and names starting `kube-`, `openshift-`, `ibm-` (`IsMember`, as
/// maistra/istio-operator `servicemeshmemberroll_types_test.go` `TestIsMember`
/// pins it), and the control-plane namespace, which upstream removes in the
/// member-roll controller (`pkg/controller/servicemesh/memberroll/controller.go`
/// `reconcileObject`) rather than in `IsMember`.
pub fn is_excluded_namespace(namespace: &str, control_plane_namespace: &str) -> bool {
    namespace == control_plane_namespace
        || namespace == "kube"
        || namespace == "openshift"
        || namespace.starts_with("kube-")
        || namespace.starts_with("openshift-")
        || namespace.starts_with("ibm-")
}

/// The member roll's verdict for one namespace: listed by name, `"*"`, or matched
/// by any of `memberSelectors`; never an excluded namespace.
pub fn roll_includes(
    members: &[String],
    member_selectors: &[LabelSelector],
    control_plane_namespace: &str,
    namespace: &str,
    namespace_labels: &Labels,
) -> bool {
    if is_excluded_namespace(namespace, control_plane_namespace) {
        return false;
    }
    members.iter().any(|m| m == "*" || m == namespace)
        || member_selectors.iter().any(|s| s.matches(namespace_labels))
}

/// Whether `namespace` is a member of the control plane `cp_name` in
/// `cp_namespace`, by its member roll (if any) or a `ServiceMeshMember` in it.
pub fn is_member<'a>(
    roll: Option<&ServiceMeshMemberRoll>,
    members: impl IntoIterator<Item = &'a ServiceMeshMember>,
    cp_name: &str,
    cp_namespace: &str,
    namespace: &str,
    namespace_labels: &Labels,
) -> bool {
    if let Some(roll) = roll
        && roll_includes(
            &roll.members,
            &roll.member_selectors,
            cp_namespace,
            namespace,
            namespace_labels,
        )
    {
        return true;
    }
    !is_excluded_namespace(namespace, cp_namespace)
        && members.into_iter().any(|m| {
            m.meta.namespace.as_deref() == Some(namespace)
                && m.control_plane_name == cp_name
                && m.control_plane_namespace == cp_namespace
        })
}

/// The selector the operator puts in the `default` member roll it creates for a
/// ClusterWide control plane.
pub fn cluster_wide_default_selector() -> LabelSelector {
    LabelSelector::unchecked(
        Labels::from([(labels::INJECTION.to_owned(), "enabled".to_owned())]),
        Vec::new(),
    )
}
