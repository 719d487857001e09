//! Weighted round-robin over an upstream's targets, as Kong's ring balancer walks its wheel.

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::seq::SliceRandom;

#[derive(Debug)]
pub struct Balancer {
    /// Each target repeated weight/gcd times, shuffled once.
    wheel: Vec<String>,
    next: AtomicUsize,
    pub host_header: Option<String>,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Balancer {
    pub fn new(targets: Vec<(String, u32)>, host_header: Option<String>) -> Balancer {
        let live: Vec<_> = targets.into_iter().filter(|(_, w)| *w > 0).collect();
        let g = live.iter().fold(0, |acc, (_, w)| gcd(acc, *w)).max(1);
        let mut wheel: Vec<String> = live
            .iter()
            .flat_map(|(t, w)| std::iter::repeat_n(t.clone(), (*w / g) as usize))
            .collect();
        wheel.shuffle(&mut rand::rng());
        Balancer { wheel, next: AtomicUsize::new(0), host_header }
    }

    /// The next target (`host:port`), or `None` when no target has weight.
    pub fn pick(&self) -> Option<&str> {
        if self.wheel.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.wheel.len();
        Some(&self.wheel[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_weights_and_zero_disables() {
        let b =
            Balancer::new(vec![("a:1".into(), 300), ("b:1".into(), 100), ("c:1".into(), 0)], None);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..400 {
            *counts.entry(b.pick().unwrap().to_string()).or_insert(0) += 1;
        }
        assert_eq!(counts.get("a:1"), Some(&300));
        assert_eq!(counts.get("b:1"), Some(&100));
        assert_eq!(counts.get("c:1"), None);
        assert!(Balancer::new(vec![("x:1".into(), 0)], None).pick().is_none());
    }
}
