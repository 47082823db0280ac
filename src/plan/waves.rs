//! Waves: the canary namespace on its own first, then batches.

use super::error::PlanError;

/// Splits namespaces (with their live pod counts, in name order) into waves: the
/// canary first (the one the caller names, else the smallest by pods, ties by
/// name), then batches of `batch` namespaces (1 when not given) in name order.
pub fn waves(
    namespaces: &[(String, usize)],
    canary: Option<&str>,
    batch: Option<usize>,
) -> Result<Vec<Vec<String>>, PlanError> {
    let batch = batch.unwrap_or(1);
    if batch == 0 {
        return Err(PlanError::ZeroBatch);
    }
    if namespaces.is_empty() {
        return Ok(Vec::new());
    }
    let canary = match canary {
        Some(c) => {
            if !namespaces.iter().any(|(n, _)| n == c) {
                return Err(PlanError::CanaryNotInScope {
                    namespace: c.to_owned(),
                    in_scope: namespaces.iter().map(|(n, _)| n.clone()).collect(),
                });
            }
            c.to_owned()
        }
        None => namespaces
            .iter()
            .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
            .map(|(n, _)| n.clone())
            .unwrap_or_default(),
    };
    let rest: Vec<String> = namespaces
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| *n != canary)
        .collect();
    let mut out = vec![vec![canary]];
    out.extend(rest.chunks(batch).map(<[String]>::to_vec));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(list: &[(&str, usize)]) -> Vec<(String, usize)> {
        list.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
    }

    #[test]
    fn canary_is_the_smallest_by_pods_then_batches_in_name_order() {
        let all = ns(&[("earth", 3), ("mars", 2), ("mercury", 3), ("venus", 2)]);
        let w = waves(&all, None, Some(2)).unwrap();
        assert_eq!(w, [vec!["mars"], vec!["earth", "mercury"], vec!["venus"]]);
    }

    #[test]
    fn a_named_canary_goes_first_and_must_be_in_scope() {
        let all = ns(&[("earth", 3), ("mercury", 3)]);
        let w = waves(&all, Some("mercury"), None).unwrap();
        assert_eq!(w, [vec!["mercury"], vec!["earth"]]);
        let err = waves(&all, Some("pluto"), None).unwrap_err();
        assert!(matches!(err, PlanError::CanaryNotInScope { .. }), "{err}");
        assert!(err.to_string().contains("earth, mercury"), "{err}");
    }

    #[test]
    fn batch_zero_is_refused_and_nothing_gives_no_wave() {
        assert_eq!(waves(&[], None, Some(0)), Err(PlanError::ZeroBatch));
        assert!(waves(&[], None, None).unwrap().is_empty());
    }
}
