//! Values a snapshot shares between objects: a pod's container names, owner
//! references, phase and proxy image are those of its siblings (every pod of a
//! ReplicaSet has the same), so the model keeps them behind [`Arc`]s and
//! reading keeps one copy of each distinct value ([`Interner`]).
//!
//! serde's `rc` feature is not on (a shared value would deserialize as copies
//! anyway): the fields name these functions with `serialize_with` and
//! `deserialize_with`, and read and write exactly what a `String` or `Vec`
//! would.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serializes a shared slice as a sequence.
pub(crate) fn slice<T: Serialize, S: Serializer>(v: &Arc<[T]>, s: S) -> Result<S::Ok, S::Error> {
    (**v).serialize(s)
}

/// Deserializes a sequence into a shared slice.
pub(crate) fn slice_de<'de, T, D>(d: D) -> Result<Arc<[T]>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Vec::<T>::deserialize(d).map(Arc::from)
}

/// Serializes an optional shared string as its string or `null`.
pub(crate) fn opt_str<S: Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    v.as_deref().serialize(s)
}

/// Deserializes an optional string into a shared one.
pub(crate) fn opt_str_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<str>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Arc::from))
}

/// Keeps one copy of each distinct value while a snapshot is read (as
/// [`crate::labels::Interner`] does for label maps).
#[derive(Debug)]
pub(crate) struct Interner<T: ?Sized> {
    seen: HashSet<Arc<T>>,
}

impl<T: ?Sized> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            seen: HashSet::new(),
        }
    }
}

impl<T: ?Sized + Eq + Hash> Interner<T> {
    /// Replaces `value` with an equal one read before, if any (the copy just
    /// read is then dropped); otherwise remembers it.
    pub(crate) fn intern(&mut self, value: &mut Arc<T>) {
        match self.seen.get(&**value) {
            Some(seen) => *value = Arc::clone(seen),
            None => {
                self.seen.insert(Arc::clone(value));
            }
        }
    }

    /// [`Self::intern`] for an optional value.
    pub(crate) fn intern_opt(&mut self, value: &mut Option<Arc<T>>) {
        if let Some(v) = value {
            self.intern(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_end_up_one_allocation_and_unequal_ones_stay_apart() {
        let mut names = Interner::<[String]>::default();
        let mut a: Arc<[String]> = vec!["web".to_owned(), "istio-proxy".to_owned()].into();
        let mut b: Arc<[String]> = vec!["web".to_owned(), "istio-proxy".to_owned()].into();
        let mut c: Arc<[String]> = vec!["web".to_owned()].into();
        names.intern(&mut a);
        names.intern(&mut b);
        names.intern(&mut c);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(*c, ["web"]);

        let mut strings = Interner::<str>::default();
        let mut x = Some(Arc::<str>::from("Running"));
        let mut y = Some(Arc::<str>::from("Running"));
        let mut none = None;
        strings.intern_opt(&mut x);
        strings.intern_opt(&mut y);
        strings.intern_opt(&mut none);
        assert!(Arc::ptr_eq(x.as_ref().unwrap(), y.as_ref().unwrap()));
        assert_eq!(none, None);
    }

    #[test]
    fn serde_reads_and_writes_what_a_string_and_a_vec_would() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct S {
            #[serde(serialize_with = "slice", deserialize_with = "slice_de")]
            list: Arc<[String]>,
            #[serde(default, serialize_with = "opt_str", deserialize_with = "opt_str_de")]
            text: Option<Arc<str>>,
        }
        let json = r#"{"list":["a","b"],"text":"t"}"#;
        let s: S = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
        let s: S = serde_json::from_str(r#"{"list":[]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"list":[],"text":null}"#
        );
    }
}
