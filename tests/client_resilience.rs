//! The client against the real control plane behind a fault-injecting proxy: 5xx and dropped
//! connections are retried for idempotent calls only, 429s wait for Retry-After (under a limiter,
//! every request waits and fewer go at once), and the console keeps serving its cache when every
//! retry fails.

use std::time::{Duration, Instant};

use console::{Console, ErrorCode, Profile};
use konnect::{
    AdaptiveLimiter, CreateControlPlaneRequest, KonnectClient, KonnectError, RetryPolicy,
};
use system_tests::faults::{self, Fault};
use system_tests::{start_control_plane, ADMIN_TOKEN};

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn retries_follow_the_method_and_the_servers_answer() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let proxy = faults::start(cp.base_url()).await;
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap().with_retry(quick());

    // GET through two 503s and a dropped connection: answered on the fourth try.
    proxy.script(vec![Fault::Status(503), Fault::Drop, Fault::Status(502)]);
    let groups = client.list_all_control_planes().await.unwrap();
    assert_eq!(groups[0].name, "default");
    assert_eq!(proxy.seen(), 4);

    // More failures than attempts: the last error comes back, typed.
    proxy.script(vec![Fault::Status(503); 6]);
    let err = client.list_all_control_planes().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(proxy.seen(), 4, "four attempts, no more");

    // A POST is not repeated after a 5xx: the group must not be created twice.
    proxy.script(vec![Fault::Status(503)]);
    let err = client
        .create_control_plane(&CreateControlPlaneRequest {
            name: "once".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(proxy.seen(), 1);

    // A 429 means "not processed": any method waits for Retry-After and tries again.
    proxy.script(vec![Fault::TooManyRequests { retry_after_secs: 1 }]);
    let started = Instant::now();
    let created = client
        .create_control_plane(&CreateControlPlaneRequest {
            name: "after-429".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited as asked: {:?}",
        started.elapsed()
    );
    assert_eq!((created.name.as_str(), proxy.seen()), ("after-429", 2));

    // A Retry-After longer than the policy accepts is returned as the 429 it is.
    proxy.script(vec![Fault::TooManyRequests { retry_after_secs: 3600 }]);
    match client.list_all_control_planes().await.unwrap_err() {
        KonnectError::Api(e) => {
            assert_eq!((e.status, e.problem.title.as_str()), (429, "Too Many Requests"))
        }
        other => panic!("{other}"),
    }

    // The console: a refresh that meets only failures serves the cache and says why.
    let app = tempfile::tempdir().unwrap();
    let console =
        Console::new(Profile::local(), client.clone(), &app.path().join("cache.sqlite")).unwrap();
    proxy.script(vec![]);
    let live = console.refresh_overview().await.unwrap();
    assert!(live.offline_reason.is_none());
    proxy.script(vec![Fault::Status(500); 20]);
    let cached = console.refresh_overview().await.unwrap();
    assert_eq!(cached.groups, live.groups);
    assert!(
        cached.offline_reason.as_deref().unwrap_or("").contains("injected 500"),
        "{:?}",
        cached.offline_reason
    );
    proxy.script(vec![Fault::TooManyRequests { retry_after_secs: 3600 }]);
    let limited = console.refresh_overview().await.unwrap();
    assert_eq!(limited.groups.len(), live.groups.len(), "a 429 also falls back to the cache");
    proxy.script(vec![Fault::TooManyRequests { retry_after_secs: 3600 }]);
    let refused = console
        .create_group(console::NewRuntimeGroup { name: "during-429".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        ErrorCode::RateLimited,
        "a write under a long 429 is refused with the reason, not queued"
    );
    cp.shutdown().await;
}

#[tokio::test]
async fn each_kind_of_call_has_its_own_timeout_and_a_slow_answer_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let proxy = faults::start(cp.base_url()).await;
    let timeouts = konnect::Timeouts {
        read: Duration::from_millis(300),
        write: Duration::from_millis(300),
        analytics: Duration::from_secs(3),
    };
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN)
        .unwrap()
        .with_retry(RetryPolicy { attempts: 2, ..quick() })
        .with_timeouts(timeouts);

    // A read slower than its timeout is tried again; the second try answers in time.
    proxy.script(vec![Fault::Delay(Duration::from_secs(1))]);
    let t = Instant::now();
    assert_eq!(client.list_all_control_planes().await.unwrap()[0].name, "default");
    assert_eq!(proxy.seen(), 2, "the slow try was abandoned and repeated");
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "it did not wait for the slow answer: {:?}",
        t.elapsed()
    );

    // Slow every time: a transport error that says it timed out, after both tries.
    proxy.script(vec![Fault::Delay(Duration::from_secs(1)), Fault::Delay(Duration::from_secs(1))]);
    let err = client.get_control_plane("00000000-0000-4000-8000-000000000000").await.unwrap_err();
    assert!(
        matches!(&err, KonnectError::Transport { message, .. } if message.contains("timed out")),
        "{err}"
    );
    assert_eq!(proxy.seen(), 2);

    // A write that times out is not repeated: it may have been applied.
    proxy.script(vec![Fault::Delay(Duration::from_secs(1))]);
    let err = client
        .create_control_plane(&CreateControlPlaneRequest {
            name: "slow".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.is_unreachable(), "{err}");
    assert_eq!(proxy.seen(), 1);

    // An analytics query may take longer than a read: one second is within its timeout.
    proxy.script(vec![Fault::Delay(Duration::from_secs(1))]);
    let answer = client
        .query_metrics(&serde_json::json!({
            "metrics": ["request_count"],
            "time_range": {"type": "relative", "time_range": "15m"},
        }))
        .await
        .unwrap();
    assert!(answer.get("data").is_some(), "{answer}");
    assert_eq!(proxy.seen(), 1);
}

#[tokio::test]
async fn under_a_limiter_a_429_halves_the_limit_and_a_write_is_sent_again_only_after_one() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let proxy = faults::start(cp.base_url()).await;
    let limiter = AdaptiveLimiter::new(4);
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN)
        .unwrap()
        .with_retry(quick())
        .with_limiter(limiter.clone());

    // A 429 naming no wait: the default one (half a second at least), then the write goes again,
    // once.
    proxy.script(vec![Fault::Status(429)]);
    let started = Instant::now();
    let form = CreateControlPlaneRequest { name: "paced".into(), ..Default::default() };
    assert_eq!(client.create_control_plane(&form).await.unwrap().name, "paced");
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());
    assert_eq!(proxy.seen(), 2);
    let state = limiter.state();
    assert_eq!((state.limit, state.max, state.rate_limited), (2, 4, 1));

    // A wait longer than the policy accepts: the 429 at once, and the limit halves again.
    proxy.script(vec![Fault::TooManyRequests { retry_after_secs: 3600 }]);
    let started = Instant::now();
    let err = client.list_all_control_planes().await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!((limiter.state().limit, limiter.state().waiting_until), (1, None));

    // A 5xx is retried as before and moves nothing; a success grows the limit back by one.
    proxy.script(vec![Fault::Status(503)]);
    client.list_all_control_planes().await.unwrap();
    assert_eq!(proxy.seen(), 2);
    let state = limiter.state();
    assert_eq!((state.limit, state.rate_limited), (2, 2));
    cp.shutdown().await;
}
