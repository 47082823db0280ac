//! [`Labels`]: a Kubernetes object's labels or annotations, shared until written.

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The map every empty [`Labels`] reads as: `BTreeMap::new` allocates nothing.
static EMPTY: BTreeMap<String, String> = BTreeMap::new();

/// Labels (or annotations) of a Kubernetes object: a sorted map, so output is
/// deterministic, behind a shared pointer.
///
/// Why shared: in a real cluster most pods carry exactly the labels of their
/// siblings (every pod of a ReplicaSet has its template's labels and one
/// `pod-template-hash`), and a snapshot of 100,000 pods held 100,000 copies.
/// Reading a snapshot keeps one copy of each distinct map, cloning a snapshot
/// (the planner simulates on copies) copies pointers, and a write goes to a
/// private copy first ([`Arc::make_mut`]), so sharing is never visible.
///
/// Reading goes through [`Deref`] to the [`BTreeMap`] (`get`, `iter`,
/// `contains_key`, ...), and so does writing ([`DerefMut`]: `insert`, `remove`,
/// `retain`, `entry`).
///
/// ```
/// use meshrev::labels::Labels;
/// let a = Labels::from([("istio.io/rev".to_owned(), "canary".to_owned())]);
/// let mut b = a.clone();
/// b.insert("app".into(), "web".into());
/// assert_eq!(a.len(), 1);
/// assert_eq!(b.get("app").map(String::as_str), Some("web"));
/// ```
#[derive(Clone, Default)]
pub struct Labels(Option<Arc<BTreeMap<String, String>>>);

// Equality, order and hash are the maps': an emptied map equals no map.
impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.is_shared_with(other) || self.as_map() == other.as_map()
    }
}

impl Eq for Labels {}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Labels {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_map().cmp(other.as_map())
    }
}

impl std::hash::Hash for Labels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_map().hash(state);
    }
}

impl Labels {
    /// No labels.
    pub const fn new() -> Self {
        Labels(None)
    }

    /// Whether there are none (also a path for `skip_serializing_if`).
    pub fn is_empty(&self) -> bool {
        self.as_map().is_empty()
    }

    /// The labels as a map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        self.0.as_deref().unwrap_or(&EMPTY)
    }

    /// The labels as an owned map (copied only when shared).
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0.map(Arc::unwrap_or_clone).unwrap_or_default()
    }

    /// Whether both are one shared map (not only equal ones).
    pub(crate) fn is_shared_with(&self, other: &Labels) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Deref for Labels {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        self.as_map()
    }
}

impl DerefMut for Labels {
    fn deref_mut(&mut self) -> &mut Self::Target {
        Arc::make_mut(self.0.get_or_insert_with(Default::default))
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_map().fmt(f)
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Self {
        if map.is_empty() {
            Labels(None)
        } else {
            Labels(Some(Arc::new(map)))
        }
    }
}

impl<const N: usize> From<[(String, String); N]> for Labels {
    fn from(pairs: [(String, String); N]) -> Self {
        BTreeMap::from(pairs).into()
    }
}

impl From<Labels> for BTreeMap<String, String> {
    fn from(labels: Labels) -> Self {
        labels.into_map()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        BTreeMap::from_iter(iter).into()
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        let mut iter = iter.into_iter().peekable();
        if iter.peek().is_some() {
            (**self).extend(iter);
        }
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_map().iter()
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = btree_map::IntoIter<String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl PartialEq<BTreeMap<String, String>> for Labels {
    fn eq(&self, other: &BTreeMap<String, String>) -> bool {
        self.as_map() == other
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::deserialize(deserializer).map(Labels::from)
    }
}

/// Keeps one copy of each distinct label map while a snapshot is read: the
/// pods of one ReplicaSet, the ReplicaSet's own labels and its template's,
/// and the `app` labels repeated in every namespace all end up one map.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    seen: std::collections::HashSet<Labels>,
}

impl Interner {
    /// `labels`, or an equal map read before, shared.
    pub(crate) fn intern(&mut self, labels: Labels) -> Labels {
        if labels.is_empty() {
            return Labels::new();
        }
        if let Some(seen) = self.seen.get(&labels) {
            return seen.clone();
        }
        self.seen.insert(labels.clone());
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_write_never_shows_through_a_copy() {
        let a = labels(&[("app", "web")]);
        let mut b = a.clone();
        assert!(a.is_shared_with(&b));
        b.insert("version".into(), "v2".into());
        assert!(!a.is_shared_with(&b));
        assert_eq!(a, labels(&[("app", "web")]));
        assert_eq!(b, labels(&[("app", "web"), ("version", "v2")]));
    }

    #[test]
    fn empty_labels_are_one_value_however_made() {
        let mut emptied = labels(&[("app", "web")]);
        emptied.remove("app");
        // Equality is of the maps, whatever the pointer.
        assert_eq!(emptied, Labels::new());
        assert_eq!(Labels::from(BTreeMap::new()), Labels::new());
        assert_eq!(serde_json::to_string(&Labels::new()).unwrap(), "{}");
    }

    #[test]
    fn serde_reads_and_writes_a_plain_map() {
        let l: Labels = serde_json::from_str(r#"{"b": "2", "a": "1"}"#).unwrap();
        assert_eq!(serde_json::to_string(&l).unwrap(), r#"{"a":"1","b":"2"}"#);
        assert_eq!(format!("{l:?}"), r#"{"a": "1", "b": "2"}"#);
    }

    #[test]
    fn the_interner_shares_equal_neighbours_and_keeps_unequal_ones() {
        let mut interner = Interner::default();
        let first = interner.intern(labels(&[("app", "web"), ("hash", "1")]));
        let sibling = interner.intern(labels(&[("app", "web"), ("hash", "1")]));
        assert!(first.is_shared_with(&sibling));
        let other = interner.intern(labels(&[("app", "web"), ("hash", "2")]));
        assert!(!other.is_shared_with(&first));
        assert_eq!(other.get("hash").map(String::as_str), Some("2"));
        // However many distinct maps later.
        for i in 0..100 {
            interner.intern(labels(&[("n", &i.to_string())]));
        }
        let late = interner.intern(labels(&[("app", "web"), ("hash", "1")]));
        assert!(late.is_shared_with(&first));
    }
}
