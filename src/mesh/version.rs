//! Versions of control planes and proxies, as far as the snapshot tells them: a
//! CR's `spec.version` (`v1.24.3`, Maistra's `v2.6`), an istiod Deployment's
//! `operator.istio.io/version` label, or an image tag (`proxyv2:1.24.0`,
//! `pilot:1.27.0-distroless`).

use serde::{Deserialize, Serialize};

/// `major.minor[.patch]`, compared in that order (a missing patch sorts first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<u32>,
}

impl Version {
    /// Reads `v1.24.3`, `1.24`, `2.6.4`, `1.27.0-distroless`, `1.24.3-rc.1`;
    /// `None` for anything else (`latest`, a digest, an empty string).
    ///
    /// ```
    /// use meshrev::mesh::Version;
    /// let v = Version::parse("v1.24.3").unwrap();
    /// assert_eq!((v.major, v.minor, v.patch), (1, 24, Some(3)));
    /// assert_eq!(Version::parse("1.27.0-distroless").unwrap().minor, 27);
    /// assert_eq!(Version::parse("latest"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.strip_prefix('v').unwrap_or(text);
        // A suffix (`-distroless`, `-rc.1`, `+build`) ends the numbers.
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let number = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let major = number(parts.next())?;
        let minor = number(parts.next())?;
        let patch = match parts.next() {
            None => None,
            p => Some(number(p)?),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    /// The version in an image reference's tag (`registry/name:1.24.0`,
    /// `name:1.24.0@sha256:...`); `None` without a readable tag.
    ///
    /// ```
    /// use meshrev::mesh::Version;
    /// let v = Version::from_image("docker.io/istio/proxyv2:1.24.0").unwrap();
    /// assert_eq!((v.major, v.minor), (1, 24));
    /// assert_eq!(Version::from_image("localhost:5000/istio/proxyv2"), None);
    /// assert_eq!(Version::from_image("quay.io/p/proxyv2@sha256:abcd"), None);
    /// ```
    pub fn from_image(image: &str) -> Option<Version> {
        let image = image.split('@').next()?;
        // The tag follows the last ':' after the last '/' (a registry port does not count).
        let name = image.rsplit('/').next()?;
        let (_, tag) = name.rsplit_once(':')?;
        Version::parse(tag)
    }

    /// How many minor versions `self` is behind `other` (0 when not behind or
    /// the majors differ: no minor arithmetic across majors).
    pub fn minors_behind(&self, other: &Version) -> u32 {
        if self.major == other.major {
            other.minor.saturating_sub(self.minor)
        } else {
            0
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{p}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_every_shape() {
        let v = |t: &str| Version::parse(t).map(|v| v.to_string());
        assert_eq!(v("v2.6").as_deref(), Some("2.6"));
        assert_eq!(v("1.24.3-rc.1").as_deref(), Some("1.24.3"));
        assert_eq!(v("1.24.x"), None);
        assert_eq!(v("1"), None);
        assert_eq!(v("1.2.3.4"), None);
        assert_eq!(v(""), None);
        assert_eq!(v("v1.-2"), None);
        assert_eq!(v("99999999999.1"), None);
        let i = |t: &str| Version::from_image(t).map(|v| v.to_string());
        assert_eq!(
            i("registry.redhat.io/openshift-service-mesh/proxyv2-rhel8:2.6.4").as_deref(),
            Some("2.6.4")
        );
        assert_eq!(
            i("localhost:5000/pilot:1.27.0@sha256:00").as_deref(),
            Some("1.27.0")
        );
        assert_eq!(i("pilot"), None);
        let a = Version::parse("1.24.3").unwrap();
        let b = Version::parse("1.26.0").unwrap();
        assert_eq!(a.minors_behind(&b), 2);
        assert_eq!(b.minors_behind(&a), 0);
        assert_eq!(a.minors_behind(&Version::parse("2.6").unwrap()), 0);
    }
}
