//! Retry policy: full jitter within an exponential ceiling, `Retry-After` honoured but capped.

use std::time::Duration;

use netsuite::RetryPolicy;
use rand::SeedableRng;

#[test]
fn backoff_stays_under_an_exponential_ceiling() {
    let policy = RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for retry in 1..=8u32 {
        let ceiling =
            (Duration::from_millis(100) * 2u32.pow(retry - 1)).min(Duration::from_secs(2));
        let delays: Vec<_> = (0..200)
            .map(|_| policy.delay(retry, None, &mut rng))
            .collect();
        assert!(delays.iter().all(|d| *d <= ceiling), "retry {retry}");
        let spread =
            delays.iter().max().unwrap().as_micros() - delays.iter().min().unwrap().as_micros();
        assert!(
            spread > ceiling.as_micros() / 2,
            "full jitter spreads retries, retry {retry}"
        );
    }
}

#[test]
fn retry_after_is_honoured_up_to_the_maximum() {
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_secs(5),
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(2)), &mut rng),
        Duration::from_secs(2)
    );
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(60)), &mut rng),
        Duration::from_secs(5)
    );
}

#[test]
fn attempts_are_bounded() {
    let policy = RetryPolicy::fast(3);
    assert!(policy.allows_another(1) && policy.allows_another(2));
    assert!(!policy.allows_another(3));
}
