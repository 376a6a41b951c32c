//! Spin 4.1's Redis client (redis-rs 0.32.7's `ConnectionManager`, through the test host's rebuild of
//! Spin's Redis backend) under the two conditions seen to hurt it on Spin, measured and printed:
//!
//! 1. An outage: Redis killed, down for a while, started again on its port. How long after it is back
//!    does the next read succeed? (0.32.7 retries at once, after 1–2 s, then every 60–120 s: its
//!    backoff ignores `exponent_base` and caps at backon's default 60 s, redis-rs #1717; calls wait for
//!    the reconnect with no timeout.)
//! 2. Many reads at once: 8 readers, each reading pages of 200 keys with N single `GET`s in flight
//!    (the store's batch read on Redis), for a few seconds per N. Reads per second, the longest wait
//!    for any read, and the socket queues (`ss -tn`) at the end: a client that stopped reading shows
//!    bytes waiting in its receive queue (redis-rs #1955, fixed in 1.2.1 by #2070).
//!
//! `cargo bench --profile host -p host --bench redis_client` (needs `redis-server`).

use host::kv::RedisServer;
use host::kv::redis::Redis;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const READERS: usize = 8;
const PAGE: usize = 200;
const KEYS: usize = 2_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = RedisServer::start()?;
    let redis = Arc::new(Redis::new(server.url(), None)?);
    println!(
        "Spin 4.1's Redis client (redis-rs 0.32.7 ConnectionManager) against a local redis-server"
    );

    for (label, size) in [("4 KiB values", 4 << 10), ("64 KiB values", 64 << 10)] {
        let value = vec![b'x'; size];
        for chunk in (0..KEYS).collect::<Vec<_>>().chunks(100) {
            let pairs = chunk
                .iter()
                .map(|i| (format!("bench:{i}"), value.clone()))
                .collect();
            redis
                .set_many(pairs)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        println!("\nconcurrent reads, {label}: {READERS} readers, pages of {PAGE} keys");
        println!(
            "in flight per reader | reads/s | longest read | ss -tn at the end (Recv-Q Send-Q, client side)"
        );
        let mut base = None;
        for in_flight in [1usize, 4, 16, 32, 64] {
            let (rate, longest) = reads(&redis, in_flight, Duration::from_secs(4)).await;
            let base = *base.get_or_insert(rate);
            println!(
                "{in_flight:>20} | {rate:>7.0} ({:.2}x) | {:>9.1} ms | {}",
                rate / base,
                longest.as_secs_f64() * 1000.0,
                queues(&server.url())
            );
        }
    }

    println!(
        "\noutage: Redis killed, down for D, started again on its port; first read that succeeds"
    );
    for down in [Duration::from_millis(500), Duration::from_secs(5)] {
        read_ok(&redis, Duration::from_secs(2)).await;
        server.stop();
        let stopped = Instant::now();
        // Reads while it is down (each given 1 s): they fail or wait, and start the client's retries.
        while stopped.elapsed() < down {
            let _ = tokio::time::timeout(Duration::from_secs(1), redis.get("bench:0")).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.restart()?;
        let back = Instant::now();
        let recovered = read_ok(&redis, Duration::from_secs(180)).await;
        match recovered {
            true => println!(
                "down {:>5.1} s: first good read {:.1} s after Redis was back",
                down.as_secs_f64(),
                back.elapsed().as_secs_f64()
            ),
            false => println!(
                "down {:>5.1} s: no good read within 180 s after Redis was back",
                down.as_secs_f64()
            ),
        }
        let fresh = Redis::new(server.url(), None)?;
        let asked = Instant::now();
        let ok = matches!(
            tokio::time::timeout(Duration::from_secs(2), fresh.get("bench:0")).await,
            Ok(Ok(_))
        );
        println!(
            "            a fresh client (a restarted process): {} in {:.0} ms",
            if ok { "read" } else { "no read" },
            asked.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

/// Polls with single reads (1 s each) until one succeeds or `within` passes.
async fn read_ok(redis: &Redis, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(1), redis.get("bench:0")).await
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// `READERS` readers for `run`, each reading pages with `in_flight` reads at once: reads per second and
/// the longest single read.
async fn reads(redis: &Arc<Redis>, in_flight: usize, run: Duration) -> (f64, Duration) {
    use futures::StreamExt;
    let done = Arc::new(AtomicU64::new(0));
    let longest = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let readers = (0..READERS).map(|reader| {
        let (redis, done, longest) = (redis.clone(), done.clone(), longest.clone());
        tokio::spawn(async move {
            let mut page = reader;
            while start.elapsed() < run {
                let keys: Vec<String> = (0..PAGE)
                    .map(|i| format!("bench:{}", (page * PAGE + i) % KEYS))
                    .collect();
                let timed: Vec<_> = futures::stream::iter(keys)
                    .map(|key| {
                        let redis = redis.clone();
                        async move {
                            let asked = Instant::now();
                            let read =
                                tokio::time::timeout(Duration::from_secs(10), redis.get(&key))
                                    .await;
                            (read.is_ok_and(|r| r.is_ok()), asked.elapsed())
                        }
                    })
                    .buffered(in_flight)
                    .collect()
                    .await;
                for (ok, took) in timed {
                    longest.fetch_max(took.as_micros() as u64, Ordering::Relaxed);
                    if ok {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                page += READERS;
            }
        })
    });
    futures::future::join_all(readers).await;
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    (rate, Duration::from_micros(longest.load(Ordering::Relaxed)))
}

/// The client side's receive and send queues of connections to the server, from `ss -tn`.
fn queues(url: &str) -> String {
    let port = url.rsplit(':').next().unwrap_or_default();
    let Ok(out) = std::process::Command::new("ss")
        .args([
            "-tn",
            "state",
            "established",
            &format!("( dport = :{port} )"),
        ])
        .output()
    else {
        return "(ss not available)".into();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some(format!("{} {}", fields.next()?, fields.next()?))
        })
        .collect();
    if rows.is_empty() {
        "(no connection)".into()
    } else {
        rows.join(", ")
    }
}
